using System.Net;
using System.Net.Sockets;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// IPv6 on the wire with samples/netecho: over QEMU's user networking the kernel takes its address from slirp's
/// router advertisement (SLAAC, prefix fec0::/64) and reaches the host through slirp's fec0::2, which is the host's
/// ::1 (QEMU 7.2's hostfwd takes no IPv6 addresses, so the other way needs a tap); on a tap device with a static
/// uk.net.ip6 address a dual-stack server on [::] answers the host over IPv6 and IPv4 alike.
/// </summary>
public class Ipv6NetworkTests
{
    private const string App = "netecho";

    [Fact]
    public async Task AClientInTheImageReachesTheHostOverIpv6ThroughSlaac()
    {
        const int Size = 100_000;
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = NetworkAppTests.EchoOneConnectionAsync(listener);

        var result = await AppImages.BootAsync(App, MachineKind.Microvm, ["client", "fec0::2", port.ToString(), Size.ToString()],
            network: new QemuNetwork());

        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains("uk: net: ipv6 fe80::5054:ff:fe12:3456", result.Console);   // QEMU's default MAC 52:54:00:12:34:56
        Assert.Contains("fec0::5054:ff:fe12:3456 router fe80::2", result.Console);
        Assert.Contains($"client: connected to [fec0::2]:{port}", result.Console);
        Assert.Contains($"client: {Size} bytes sent, {Size} came back, identical", result.Console);
        Assert.Equal(Size, await server.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ADualStackServerOnATapAnswersTheHostOverIpv6AndIpv4()
    {
        using var tap = TemporaryTap.Create("uksix", 81);
        string address = tap.Address(2), address6 = tap.Address6(2);
        var options = new List<string> { $"uk.net.ip={address}/24", $"uk.net.gateway={tap.Address(1)}", $"uk.net.ip6={address6}/64" };
        string commandLine = KernelCommandLine.Build(options, [], ["serve", "2", "::"]);
        await using var guest = RunningGuest.Start(AppImages.Image(App), MachineKind.Microvm, commandLine, new QemuNetwork { TapDevice = tap.Name },
                                                   memory: "256M");
        await guest.WaitForAsync("serve: echoing tcp and udp port 7");

        // UDP over IPv6 (retried: a datagram may go before the neighbours know each other).
        using (var udp = new UdpClient(AddressFamily.InterNetworkV6))
        {
            udp.Connect(IPAddress.Parse(address6), 7);
            byte[] payload = "a datagram over IPv6"u8.ToArray();
            for (int attempt = 1; ; attempt++)
            {
                await udp.SendAsync(payload);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                try
                {
                    var reply = await udp.ReceiveAsync(timeout.Token);
                    Assert.Equal(payload, reply.Buffer);
                    break;
                }
                catch (OperationCanceledException) when (attempt < 3) { }
            }
        }

        var random = new Random(6);
        byte[] six = new byte[150_000], four = new byte[5_000];
        random.NextBytes(six);
        random.NextBytes(four);
        Assert.Equal(six, await EchoAsync(new IPEndPoint(IPAddress.Parse(address6), 7), six));
        Assert.Equal(four, await EchoAsync(new IPEndPoint(IPAddress.Parse(address), 7), four));

        var result = await guest.Finished;
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains($"serve: 2 connections, {six.Length + four.Length} bytes echoed", result.Console);
        Assert.Contains($"uk: net: ipv6 fe80::5054:ff:fe12:3456 {address6}", result.Console);
    }

    private static async Task<byte[]> EchoAsync(IPEndPoint endpoint, byte[] payload)
    {
        using var client = new TcpClient(endpoint.AddressFamily);
        await client.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(30));
        var stream = client.GetStream();
        var send = Task.Run(async () =>
        {
            await stream.WriteAsync(payload);
            client.Client.Shutdown(SocketShutdown.Send);
        });
        var received = new MemoryStream();
        await stream.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(60));
        await send;
        return received.ToArray();
    }
}
