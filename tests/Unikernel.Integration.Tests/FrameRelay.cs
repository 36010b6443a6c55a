using System.Net;
using System.Net.Sockets;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// A bad network between a guest and QEMU's user networking (QemuNetwork.Relay): QEMU sends every frame of the guest's
/// card, and every frame user networking has for it, as a UDP datagram to this relay, which passes it on -- or drops it,
/// or holds it back behind the next frame (reordering), each with a set probability from a seeded RNG, in both
/// directions. With <see cref="Fuzzer"/> set it also sends the guest malformed copies of real frames.
/// </summary>
internal sealed class FrameRelay : IAsyncDisposable
{
    private readonly UdpClient _guestSide = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly UdpClient _userSide = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random;
    private readonly Task _toUser, _toGuest;
    private readonly object _lock = new();

    public QemuNetworkRelay Ports { get; }
    /// <summary>Probability that a frame is dropped / held back behind the next one (each direction).</summary>
    public double DropRate { get; set; }
    public double ReorderRate { get; set; }
    public FrameFuzzer? Fuzzer { get; set; }

    public long Forwarded, Dropped, Reordered;

    public FrameRelay(int seed)
    {
        _random = new Random(seed);
        int FreeUdpPort() => KernelNetworkTests.FreePort(SocketType.Dgram, ProtocolType.Udp);
        Ports = new QemuNetworkRelay(FreeUdpPort(), ((IPEndPoint)_guestSide.Client.LocalEndPoint!).Port,
                                     FreeUdpPort(), ((IPEndPoint)_userSide.Client.LocalEndPoint!).Port);
        var toGuestQemu = new IPEndPoint(IPAddress.Loopback, Ports.GuestSideQemuPort);
        var toUserQemu = new IPEndPoint(IPAddress.Loopback, Ports.UserSideQemuPort);
        _toUser = Task.Run(() => PumpAsync(_guestSide, _userSide, toUserQemu, towardGuest: false));
        _toGuest = Task.Run(() => PumpAsync(_userSide, _guestSide, toGuestQemu, towardGuest: true));
    }

    private async Task PumpAsync(UdpClient from, UdpClient via, IPEndPoint to, bool towardGuest)
    {
        byte[]? held = null;
        while (!_stop.IsCancellationRequested)
        {
            byte[] frame;
            // A held frame goes out after the next one, or after a short quiet spell (it must not wait forever).
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                if (held != null) wait.CancelAfter(TimeSpan.FromMilliseconds(20));
                try { frame = (await from.ReceiveAsync(wait.Token)).Buffer; }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    await via.SendAsync(held!, to);
                    held = null;
                    continue;
                }
                catch (OperationCanceledException) { return; }
                catch (SocketException) { continue; }   // ICMP port unreachable before QEMU bound its side
            }

            bool drop, hold;
            byte[]? malformed = null;
            lock (_lock)
            {
                Fuzzer?.Observe(frame, towardGuest);
                if (towardGuest && Fuzzer != null) malformed = Fuzzer.Next(frame, _random);
                drop = _random.NextDouble() < DropRate;
                hold = !drop && held == null && _random.NextDouble() < ReorderRate;
            }
            if (malformed != null) await SendAsync(via, malformed, to);
            if (drop) { Interlocked.Increment(ref Dropped); continue; }
            if (hold) { held = frame; Interlocked.Increment(ref Reordered); continue; }
            await SendAsync(via, frame, to);
            Interlocked.Increment(ref Forwarded);
            if (held != null)
            {
                await SendAsync(via, held, to);
                held = null;
            }
        }
    }

    private static async Task SendAsync(UdpClient via, byte[] frame, IPEndPoint to)
    {
        try { await via.SendAsync(frame, to); }
        catch (SocketException) { }   // QEMU gone (the guest exited)
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await Task.WhenAll(_toUser, _toGuest); } catch (OperationCanceledException) { }
        _guestSide.Dispose();
        _userSide.Dispose();
        _stop.Dispose();
    }
}
