using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;
using Xunit.Abstractions;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The network card and stack (runtime/Kernel/Devices, runtime/Kernel/Net) on QEMU's user networking, on both
/// machine models under TCG: the boot report's "net:" line, ping to the gateway (the net-ping self-test), and
/// the UDP and TCP echo self-tests reached from the host through QEMU's host port forwards.
/// </summary>
public partial class KernelNetworkTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(MachineKind.Microvm, "mmio")]
    [InlineData(MachineKind.Pc, "pci")]
    public async Task BootReportNamesTheCardItsMacAndTheAddress(MachineKind machine, string bus)
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, machine, network: new QemuNetwork());
        Assert.True(result.ExitStatus == 0, result.Console);
        var line = NetLine().Match(result.Console);
        Assert.True(line.Success, result.Console);
        Assert.Equal("52:54:00:12:34:56", line.Groups["mac"].Value);   // QEMU's default MAC
        Assert.Equal(bus, line.Groups["bus"].Value);
        Assert.Equal("10.0.2.15/24", line.Groups["address"].Value);
        Assert.Contains("gateway 10.0.2.2 dns 10.0.2.3, link up", result.Console);
        Assert.Matches(@", dhcp from 10\.0\.2\.2 in \d+ ms, lease 86400 s", result.Console);   // slirp's DHCP server, its one-day lease
    }

    [Fact]
    public async Task TheAddressComesFromKernelOptions()
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm, "uk.net.ip=10.0.2.20/16 uk.net.gateway=10.0.2.1",
                                                  network: new QemuNetwork());
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains(" 10.0.2.20/16 gateway 10.0.2.1 dns 10.0.2.3, link up", result.Console);
        Assert.Contains(", static", result.Console);
    }

    [Fact]
    public async Task WithoutACardTheKernelSaysNothingAboutTheNetwork()
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm);
        Assert.Equal(0, result.ExitStatus);
        Assert.DoesNotContain("uk: net:", result.Console);
    }

    // slirp answers ICMP echo sent to its own addresses (the gateway 10.0.2.2 and the DNS 10.0.2.3).
    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task PingToTheGatewayIsAnswered(MachineKind machine)
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, machine, "uk.selftest=net-ping", network: new QemuNetwork());
        string c = result.Console;
        Assert.True(result.ExitStatus == 0, c);
        Assert.Matches(@"uk: selftest net-ping: gateway 10\.0\.2\.2 is at 52:55:0a:00:02:02 \(ARP", c);
        var summary = Regex.Match(c, @"uk: selftest net-ping: 5 sent, 5 received, rtt min/avg/max = (\d+)/(\d+)/(\d+) us");
        Assert.True(summary.Success, c);
        output.WriteLine($"{machine}: ping rtt min/avg/max {summary.Groups[1].Value}/{summary.Groups[2].Value}/{summary.Groups[3].Value} us");
        Assert.Contains("uk: selftest net-ping: all checks passed (ok)", c);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task UdpDatagramsFromTheHostAreEchoed(MachineKind machine)
    {
        int[] sizes = [1, 7, 100, 512, 1000, 1472, 2, 64, 1472, 300];   // 1472: a full 1500-byte IP packet
        int port = FreePort(SocketType.Dgram, ProtocolType.Udp);
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("udp", port, 7)] };
        await using var guest = RunningGuest.Start(KernelImages.SelfTestKernel, machine, $"uk.selftest=net-udp-echo uk.selftest.count={sizes.Length}", network);
        await guest.WaitForAsync("uk: selftest net-udp-echo: echoing udp port 7");

        using var client = new UdpClient(AddressFamily.InterNetwork);
        client.Connect(IPAddress.Loopback, port);
        var random = new Random(7);
        var rtts = new List<double>();
        foreach (int size in sizes)
        {
            byte[] payload = new byte[size];
            random.NextBytes(payload);
            var stopwatch = Stopwatch.StartNew();
            await client.SendAsync(payload);
            using var timeout = new CancellationTokenSource(ReplyTimeout);
            UdpReceiveResult reply;
            try { reply = await client.ReceiveAsync(timeout.Token); }
            catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException($"no echo of a {size}-byte datagram\n{guest.Console}"); }
            rtts.Add(stopwatch.Elapsed.TotalMicroseconds);
            Assert.Equal(payload, reply.Buffer);
        }

        var result = await guest.Finished;
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains($"uk: selftest net-udp-echo: echoed {sizes.Length} datagrams, {sizes.Sum()} bytes", result.Console);
        Assert.Contains("uk: selftest net-udp-echo: all checks passed (ok)", result.Console);
        rtts.Sort();
        output.WriteLine($"{machine}: udp echo from the host, {sizes.Length} datagrams: round trip median {rtts[rtts.Count / 2]:F0} us, min {rtts[0]:F0} us, max {rtts[^1]:F0} us");
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task TcpConnectionsFromTheHostAreEchoed(MachineKind machine)
    {
        // Several at once; 0 bytes: connect and close at once; the large ones fill both windows many times over.
        int[] sizes = [0, 1, 1000, 100_000, 300_000, 5];
        var (result, elapsed) = await EchoOverTcpAsync(machine, sizes, "");
        Assert.Contains($"uk: selftest net-tcp-echo: {sizes.Length} connections", result.Console);
        Assert.Contains($" {sizes.Sum()} bytes echoed", result.Console);
        Assert.Contains("connections still open 0", result.Console);
        output.WriteLine($"{machine}: tcp echo of {sizes.Sum()} bytes over {sizes.Length} concurrent connections: {elapsed.TotalMilliseconds:F0} ms");
    }

    // Every 10th frame the card receives is thrown away (uk.net.drop-every, test kernel only): lost data,
    // lost ACKs, lost FINs. Out-of-order data is kept, the host's TCP retransmits what we lost, ours what it lost.
    [Fact]
    public async Task TcpEchoSurvivesDroppedFrames()
    {
        int[] sizes = [20_000, 60_000, 3];
        var (result, elapsed) = await EchoOverTcpAsync(MachineKind.Microvm, sizes, "uk.net.drop-every=10");
        var stats = Regex.Match(result.Console, @"(\d+) retransmissions, (\d+) frames dropped on purpose");
        Assert.True(stats.Success, result.Console);
        Assert.True(int.Parse(stats.Groups[2].Value) > 0, result.Console);
        output.WriteLine($"tcp echo with every 10th frame dropped: {elapsed.TotalMilliseconds:F0} ms, {stats.Value}");
    }

    private async Task<(BootResult Result, TimeSpan Elapsed)> EchoOverTcpAsync(MachineKind machine, int[] sizes, string options)
    {
        int port = FreePort(SocketType.Stream, ProtocolType.Tcp);
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", port, 7)] };
        using var capture = new PacketCapture();
        await using var guest = RunningGuest.Start(KernelImages.SelfTestKernel, machine,
                                                   $"uk.selftest=net-tcp-echo uk.selftest.count={sizes.Length} {options}", network,
                                                   qemuArguments: capture.QemuArguments());
        await guest.WaitForAsync("uk: selftest net-tcp-echo: echoing tcp port 7");

        var stopwatch = Stopwatch.StartNew();
        var random = new Random(11);
        var payloads = sizes.Select(size => { var b = new byte[size]; random.NextBytes(b); return b; }).ToArray();
        byte[][] echoes;
        try { echoes = await EchoAllAsync(port, payloads); }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}\n{guest.Console}\n{capture.DescribeTcp()}");
        }
        var elapsed = stopwatch.Elapsed;
        for (int i = 0; i < sizes.Length; i++)
            Assert.True(payloads[i].AsSpan().SequenceEqual(echoes[i]), $"connection {i}: {payloads[i].Length} bytes sent, {echoes[i].Length} came back (or different)\n{guest.Console}");

        var result = await guest.Finished;
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains("uk: selftest net-tcp-echo: all checks passed (ok)", result.Console);
        foreach (var line in result.Console.Split('\n').Where(l => l.StartsWith("uk: selftest net-tcp-echo: ")))
            output.WriteLine($"{machine}: {line.TrimEnd()}");
        return (result, elapsed);
    }

    /// <summary>Sends <paramref name="payload"/> to an echo server behind a host port, half-closes, and returns what came back.</summary>
    internal static async Task<byte[]> EchoOneAsync(int port, byte[] payload, TimeSpan? timeLimit = null)
        => (await EchoAllAsync(port, [payload], timeLimit))[0];

    /// <summary>
    /// Echoes each payload on a connection of its own, all at once. The connections are opened one after another, for
    /// slirp listens on a forwarded host port with a backlog of 1: connections racing into that queue while QEMU's main
    /// loop is slow to accept (a loaded host) leave one handshake's last ACK dropped by the host kernel, the client sends
    /// its data, the host kernel gives up on the half-open connection and answers the data with a reset. Opened in turn,
    /// a connection only waits (its SYN is retried) and is never reset. Checked on the host alone with a listener of
    /// backlog 1 that accepts every 2 s: six racing connects sending 100 kB each gave one "Connection reset by peer" in each
    /// run, six connects in turn none.
    /// </summary>
    internal static async Task<byte[][]> EchoAllAsync(int port, IReadOnlyList<byte[]> payloads, TimeSpan? timeLimit = null)
    {
        using var timeout = new CancellationTokenSource(timeLimit ?? TimeSpan.FromSeconds(90));
        var clients = new List<TcpClient>();
        try
        {
            foreach (var _ in payloads)
            {
                var client = new TcpClient(AddressFamily.InterNetwork);
                clients.Add(client);
                await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            }
            return await Task.WhenAll(payloads.Select((payload, i) => EchoAsync(clients[i], payload, timeout.Token)));
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    private static async Task<byte[]> EchoAsync(TcpClient client, byte[] payload, CancellationToken cancellation)
    {
        var stream = client.GetStream();
        var send = Task.Run(async () =>
        {
            for (int offset = 0; offset < payload.Length; offset += 16384)
                await stream.WriteAsync(payload.AsMemory(offset, Math.Min(16384, payload.Length - offset)), cancellation);
            client.Client.Shutdown(SocketShutdown.Send);
        });
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellation)) > 0) received.Write(buffer, 0, n);
        await send;
        return received.ToArray();
    }

    // A host port for a forward, free for TCP and UDP now: below Linux's ephemeral range (32768-60999), where the
    // host's own connections (and the kernel's bind(0)) take theirs, and never the same twice in this test run.
    private static int s_nextPort = 20000 + Random.Shared.Next(10000);

    internal static int FreePort(SocketType type, ProtocolType protocol)
    {
        while (true)
        {
            int port = Interlocked.Increment(ref s_nextPort);
            if (port > 32000) Interlocked.Exchange(ref s_nextPort, 20000);
            try
            {
                using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) { }
        }
    }

    [GeneratedRegex(@"uk: net: virtio-net (?<mac>[0-9a-f]{2}(:[0-9a-f]{2}){5}) \((?<bus>mmio|pci)\) (?<address>[\d.]+/\d+)")]
    private static partial Regex NetLine();
}
