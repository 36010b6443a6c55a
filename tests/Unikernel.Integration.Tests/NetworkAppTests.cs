using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Unikernel.Tools.Qemu;
using Xunit.Abstractions;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/netecho: .NET's System.Net.Sockets (epoll, non-blocking sockets, accept4, sendmsg/recvmsg, socket
/// options) on the kernel's socket calls. Over loopback its output must match Linux's line by line (no card
/// needed); as a server it echoes TCP and UDP from the host through QEMU's host forwards.
/// </summary>
public class NetworkAppTests(ITestOutputHelper output)
{
    private const string App = "netecho";

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task LoopbackSocketsBehaveAsOnLinux(MachineKind machine)
    {
        var linux = AppImages.RunOnLinux(App, ["loopback"]);
        var guest = await AppImages.BootAsync(App, machine, ["loopback"]);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, linux.ExitStatus);
        Assert.Contains("loopback: done", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest.Console));
        Assert.Equal(0, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task ADotNetServerEchoesTcpAndUdpFromTheHost(MachineKind machine)
    {
        int[] sizes = [1, 200_000, 5000];
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", port, 7), QemuNetwork.Forward("udp", port, 7)] };
        string commandLine = KernelCommandLine.Build([], [], ["serve", sizes.Length.ToString()]);
        await using var guest = RunningGuest.Start(AppImages.Image(App), machine, commandLine, network, memory: "256M");
        await guest.WaitForAsync("serve: echoing tcp and udp port 7");

        // UDP first (the server stops after the TCP connections); a datagram may be lost, so each is retried.
        using (var udp = new UdpClient(AddressFamily.InterNetwork))
        {
            udp.Connect(IPAddress.Loopback, port);
            var rtts = new List<double>();
            for (int i = 0; i < 10; i++)
            {
                byte[] payload = new byte[1 + i * 100];
                new Random(i).NextBytes(payload);
                for (int attempt = 1; ; attempt++)
                {
                    var stopwatch = Stopwatch.StartNew();
                    await udp.SendAsync(payload);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                    try
                    {
                        var reply = await udp.ReceiveAsync(timeout.Token);
                        rtts.Add(stopwatch.Elapsed.TotalMicroseconds);
                        Assert.Equal(payload, reply.Buffer);
                        break;
                    }
                    catch (OperationCanceledException) when (attempt < 3) { }
                }
            }
            rtts.Sort();
            output.WriteLine($"{machine}: udp echo by a .NET app: median {rtts[rtts.Count / 2]:F0} us, min {rtts[0]:F0} us");
        }

        var stopwatchTcp = Stopwatch.StartNew();
        var random = new Random(3);
        var payloads = sizes.Select(size => { var b = new byte[size]; random.NextBytes(b); return b; }).ToArray();
        var echoes = await Task.WhenAll(payloads.Select(p => KernelNetworkTests.EchoOneAsync(port, p)));
        output.WriteLine($"{machine}: tcp echo by a .NET app of {sizes.Sum()} bytes over {sizes.Length} connections: {stopwatchTcp.Elapsed.TotalMilliseconds:F0} ms");
        for (int i = 0; i < sizes.Length; i++) Assert.True(payloads[i].AsSpan().SequenceEqual(echoes[i]), $"connection {i}\n{guest.Console}");

        var result = await guest.Finished;
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains($"serve: {sizes.Length} connections, {sizes.Sum()} bytes echoed", result.Console);
        Assert.DoesNotContain("unimplemented system call", result.Console);
    }
}
