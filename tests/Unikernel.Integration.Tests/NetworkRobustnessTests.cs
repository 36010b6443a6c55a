using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;
using Xunit.Abstractions;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The kernel's network stack on a bad network: samples/netecho serving the host through FrameRelay, which drops and
/// reorders frames in both directions (TCP must still deliver every byte in order) or feeds the guest malformed frames
/// (the kernel must drop each, name the reason in its exit line, and keep serving).
/// </summary>
public partial class NetworkRobustnessTests(ITestOutputHelper output)
{
    private const string App = "netecho";

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task LargeTransfersArriveIntactThroughDroppedAndReorderedFrames(MachineKind machine)
    {
        int[] sizes = [2_000_000, 1_000_000];
        await using var relay = new FrameRelay(seed: 6) { DropRate = 0.02, ReorderRate = 0.03 };
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", port, 7)], Relay = relay.Ports };
        // The app exits as soon as the last connection closes, typically with echoed bytes still unacknowledged (frames are
        // being dropped): the kernel must deliver them before powering off (Process/AppExit, NetworkStack.DeliverBeforePowerOff).
        string commandLine = KernelCommandLine.Build([], [], ["serve", sizes.Length.ToString()]);
        await using var guest = RunningGuest.Start(AppImages.Image(App), machine, commandLine, network, memory: "256M", timeout: TimeSpan.FromMinutes(6));
        await guest.WaitForAsync("serve: echoing tcp and udp port 7");

        var random = new Random(7);
        var payloads = sizes.Select(size => { var b = new byte[size]; random.NextBytes(b); return b; }).ToArray();
        var stopwatch = Stopwatch.StartNew();
        var echoes = await KernelNetworkTests.EchoAllAsync(port, payloads, TimeSpan.FromMinutes(4));
        output.WriteLine($"{machine}: {sizes.Sum()} bytes echoed in {stopwatch.Elapsed.TotalSeconds:F1} s; relay: {relay.Forwarded} frames forwarded, {relay.Dropped} dropped, {relay.Reordered} reordered");
        for (int i = 0; i < sizes.Length; i++)
            Assert.True(payloads[i].AsSpan().SequenceEqual(echoes[i]),
                        $"connection {i}: {echoes[i].Length} of {sizes[i]} bytes came back, the first difference at {payloads[i].AsSpan().CommonPrefixLength(echoes[i])}\n{guest.Console}");

        var result = await guest.Finished;
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains($"serve: {sizes.Length} connections, {sizes.Sum()} bytes echoed", result.Console);
        // The relay really got in the way: with ~3,000 frames each way, 2% and 3% are dozens.
        Assert.True(relay.Dropped > 20 && relay.Reordered > 20, $"dropped {relay.Dropped}, reordered {relay.Reordered}");
        output.WriteLine(NetLine().Match(result.Console).Value);
    }

    // The guest as the client (its SYN, its retransmissions) through the same bad network, to a server on the host.
    [Fact]
    public async Task AGuestClientsTransferArrivesIntactThroughDroppedAndReorderedFrames()
    {
        const int Size = 1_500_000;
        await using var relay = new FrameRelay(seed: 8) { DropRate = 0.02, ReorderRate = 0.03 };
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = NetworkAppTests.EchoOneConnectionAsync(listener);

        string commandLine = KernelCommandLine.Build([], [], ["client", "10.0.2.2", port.ToString(), Size.ToString()]);
        var result = await KernelImages.BootAsync(AppImages.Image(App), MachineKind.Microvm, commandLine, memory: "256M",
                                                  network: new QemuNetwork { Relay = relay.Ports }, timeout: TimeSpan.FromMinutes(6));

        output.WriteLine($"relay: {relay.Forwarded} frames forwarded, {relay.Dropped} dropped, {relay.Reordered} reordered");
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains($"client: {Size} bytes sent, {Size} came back, identical", result.Console);
        Assert.Equal(Size, await server.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(relay.Dropped > 20 && relay.Reordered > 20, $"dropped {relay.Dropped}, reordered {relay.Reordered}");
    }

    [Theory]
    [InlineData(MachineKind.Microvm, 11)]
    [InlineData(MachineKind.Pc, 12)]
    public async Task MalformedFramesAreDroppedAndCountedAndTheGuestKeepsServing(MachineKind machine, int seed)
    {
        const int Limit = 250;
        var fuzzer = new FrameFuzzer(Limit, rate: 0.5);
        await using var relay = new FrameRelay(seed) { Fuzzer = fuzzer };
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", port, 7)], Relay = relay.Ports };
        string commandLine = KernelCommandLine.Build([], [], ["serve", "2"]);
        await using var guest = RunningGuest.Start(AppImages.Image(App), machine, commandLine, network, memory: "256M", timeout: TimeSpan.FromMinutes(6));
        await guest.WaitForAsync("serve: echoing tcp and udp port 7");

        // The malformed frames ride along with a transfer (copies of its segments, and made-up ones in between) ...
        var random = new Random(seed);
        byte[] payload = new byte[600_000];
        random.NextBytes(payload);
        byte[] echoed = await KernelNetworkTests.EchoOneAsync(port, payload, TimeSpan.FromMinutes(3));
        Assert.True(payload.AsSpan().SequenceEqual(echoed), $"{echoed.Length} of {payload.Length} bytes, or different ones\n{guest.Console}");
        fuzzer.Enabled = false;
        // ... and a clean exchange afterwards still works.
        byte[] clean = new byte[5000];
        random.NextBytes(clean);
        Assert.Equal(clean, await KernelNetworkTests.EchoOneAsync(port, clean, TimeSpan.FromMinutes(1)));

        var result = await guest.Finished;
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.DoesNotContain("panic", result.Console);
        Assert.Contains($"serve: 2 connections, {payload.Length + clean.Length} bytes echoed", result.Console);

        var line = NetLine().Match(result.Console);
        Assert.True(line.Success, result.Console);
        output.WriteLine($"{machine}: injected {fuzzer.Total}: {string.Join(", ", fuzzer.Injected.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))}");
        output.WriteLine(line.Value);
        var dropped = line.Groups["reasons"].Value.Split(", ", StringSplitOptions.RemoveEmptyEntries)
                          .Select(r => r.Split('=')).ToDictionary(r => r[0], r => long.Parse(r[1]));
        var expected = fuzzer.Injected.GroupBy(p => FrameFuzzer.KernelReason(p.Key)).ToDictionary(g => g.Key, g => (long)g.Sum(p => p.Value));

        Assert.True(fuzzer.Total >= 100, $"only {fuzzer.Total} frames injected");
        Assert.True(expected.Count >= 8, $"too few kinds of defect: {string.Join(", ", expected.Keys)}");
        Assert.True(long.Parse(line.Groups["dropped"].Value) >= fuzzer.Total, line.Value);
        // Every malformed frame reached the kernel (loopback UDP and a ring with room do not lose them) and was dropped
        // for the reason it was built with; frames not for this host are dropped too (other-mac, ip-address), but
        // nothing else is.
        foreach (var (reason, count) in expected)
            Assert.True(dropped.GetValueOrDefault(reason) == count, $"{reason}: injected {count}, the kernel dropped {dropped.GetValueOrDefault(reason)}\n{line.Value}");
        foreach (var reason in dropped.Keys)
            Assert.True(expected.ContainsKey(reason) || reason is "other-mac" or "ip-address", $"unexpected drops: {reason}\n{line.Value}");

        // The app read the same counters from /proc/net/drops before it exited (after the last frame with a defect).
        var file = AppImages.AppLines(result).Where(l => l.StartsWith("serve: drops: ", StringComparison.Ordinal))
                            .Select(l => l["serve: drops: ".Length..].Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        Assert.True(file.ContainsKey("received") && file.ContainsKey("tcp-options"), result.Console);
        foreach (var (reason, count) in file.Where(p => p.Key is not ("received" or "sent")))
            Assert.True(dropped.GetValueOrDefault(reason) == count, $"/proc/net/drops says {reason} {count}; the exit line: {line.Value}");
    }

    [GeneratedRegex(@"uk: net: received (?<received>\d+) frames, sent (?<sent>\d+), dropped (?<dropped>\d+)(?: \((?<reasons>[^)]*)\))?")]
    internal static partial Regex NetLine();
}
