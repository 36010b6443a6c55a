using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Waits on a QEMU's QMP socket for its SHUTDOWN event and returns the event's reason ("guest-shutdown" for ACPI
/// soft-off, "guest-reset" for a reset under -no-reboot, "host-qmp-quit", ...): how a test tells which way a guest
/// stopped when no isa-debug-exit status says more. QEMU listens with wait=off, so the socket appears just after start.
/// The guest must be started paused (QEMU's -S, <see cref="PausedStart"/>), and this resumes it once the events flow:
/// QMP sends no event before capabilities negotiation, and a small guest can power off, and QEMU exit and remove its
/// socket, before a test on a loaded host has connected.
/// </summary>
internal static class QmpShutdownEvent
{
    /// <summary>The QEMU argument that keeps the vCPUs stopped until <see cref="WaitAsync"/> resumes them.</summary>
    public const string PausedStart = "-S";

    public static async Task<string?> WaitAsync(string socketPath, TimeSpan timeLimit)
    {
        using var limit = new CancellationTokenSource(timeLimit);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        while (true)
        {
            try { await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), limit.Token); break; }
            catch (SocketException) { await Task.Delay(10, limit.Token); }
        }
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"execute\":\"qmp_capabilities\"}"), limit.Token);
        bool resumed = false;
        while (await reader.ReadLineAsync(limit.Token) is { } line)
        {
            using var message = JsonDocument.Parse(line);
            // The answer to qmp_capabilities: events flow from here on, so the guest may run.
            if (!resumed && message.RootElement.TryGetProperty("return", out _))
            {
                resumed = true;
                await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"execute\":\"cont\"}"), limit.Token);
            }
            if (message.RootElement.TryGetProperty("event", out var name) && name.GetString() == "SHUTDOWN")
                return message.RootElement.GetProperty("data").GetProperty("reason").GetString();
        }
        return null;
    }
}
