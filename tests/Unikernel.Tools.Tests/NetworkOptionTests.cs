using Unikernel.Tools.Cli;
using Unikernel.Tools.Qemu;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests;

/// <summary>`uk run -p`, `--net` and `--tap`: parsing, the QEMU netdevs they become, and the errors that name the bad value.</summary>
public class NetworkOptionTests
{

    private static (int Status, string Out, string Error) DryRun(params string[] options)
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        return Uk(["run", image, "--dry-run", "--accel", "tcg", .. options]);
    }

    [Theory]
    [InlineData("8080:80", "tcp", "127.0.0.1", 8080, 80)]
    [InlineData("8080:80/tcp", "tcp", "127.0.0.1", 8080, 80)]
    [InlineData("5353:53/udp", "udp", "127.0.0.1", 5353, 53)]
    [InlineData("5353:53/UDP", "udp", "127.0.0.1", 5353, 53)]
    [InlineData("0.0.0.0:80:8080", "tcp", "0.0.0.0", 80, 8080)]
    [InlineData("192.168.1.5:65535:1/udp", "udp", "192.168.1.5", 65535, 1)]
    public void PortForwardsUseDockersSyntax(string text, string protocol, string address, int host, int guest)
        => Assert.Equal(new PortForward(protocol, address, host, guest), PortForward.Parse(text));

    [Theory]
    [InlineData("8080", "expected [IP:]HOST:GUEST")]
    [InlineData("1:2:3:4", "expected [IP:]HOST:GUEST")]
    [InlineData("8080:80/sctp", "tcp or udp, not 'sctp'")]
    [InlineData("0:80", "host port must be 1-65535, not '0'")]
    [InlineData("80:65536", "guest port must be 1-65535, not '65536'")]
    [InlineData("http:80", "host port must be 1-65535, not 'http'")]
    [InlineData("-1:80", "host port must be 1-65535, not '-1'")]
    [InlineData("localhost:80:80", "'localhost' is not an IPv4 address")]
    [InlineData("::1:80:80", "expected [IP:]HOST:GUEST")]
    public void ABadPortForwardIsNamedWithWhatIsWrong(string text, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => PortForward.Parse(text));
        Assert.StartsWith($"-p {text}: ", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void DryRunShowsEveryForwardOnUserNetworking()
    {
        var (status, output, error) = DryRun("-p", "8080:80", "--publish", "0.0.0.0:5353:53/udp");
        Assert.Equal(0, status);
        Assert.Equal("", error);
        Assert.Contains("-netdev user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:0.0.0.0:5353-:53 ", output);
        Assert.Contains("-device virtio-net-device,netdev=net0", output);
    }

    [Fact]
    public void WithoutNetworkOptionsThereIsNoCard()
    {
        var (status, output, _) = DryRun();
        Assert.Equal(0, status);
        Assert.DoesNotContain("-netdev", output);
        Assert.Contains("-netdev user,id=net0 ", DryRun("--net").Out);
    }

    [Fact]
    public void DryRunShowsTheTapNetdevWithoutHostScripts()
    {
        var (status, output, error) = DryRun("--tap", "uktap7", "--machine", "pc");
        Assert.Equal(0, status);
        Assert.Equal("", error);
        Assert.Contains("-netdev tap,id=net0,ifname=uktap7,script=no,downscript=no,vnet_hdr=on -device virtio-net-pci,netdev=net0,romfile= ", output);
        Assert.DoesNotContain("-netdev user", output);
    }

    [Theory]
    [InlineData(new[] { "-p", "8080" }, "-p 8080: expected [IP:]HOST:GUEST")]
    [InlineData(new[] { "-p", "8080:80", "-p", "8080:81" }, "host port 8080/tcp is forwarded twice")]
    [InlineData(new[] { "--tap", "uktap0", "-p", "8080:80" }, "with --tap uktap0 the guest is reached at its own address")]
    [InlineData(new[] { "--tap", "uktap0", "--net" }, "with --tap uktap0")]
    public void ContradictoryOrBadNetworkOptionsAreUsageErrors(string[] options, string message)
    {
        var (status, output, error) = DryRun(options);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains(message, error);
        Assert.Equal("", output);
    }

    [Fact]
    public void AMissingTapDeviceIsUksOwnFailureBeforeQemuStarts()
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var (status, _, error) = Uk("run", image, "--accel", "tcg", "--tap", "uknosuchtap9");
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains("uknosuchtap9", error);
        Assert.Contains(File.Exists("/dev/net/tun") ? "no such network device" : "/dev/net/tun is missing", error);
    }

    [Fact]
    public void TapChecksNameTheProblem()
    {
        using var root = new TempDirectory();
        Assert.Contains("/dev/net/tun is missing", TapDevice.Problem("uktap0", root.Path));
        Directory.CreateDirectory(root.File("dev/net"));
        File.WriteAllText(root.File("dev/net/tun"), "");
        Assert.Contains("--tap uktap0: no such network device; create it first, e.g.: ip tuntap add dev uktap0 mode tap", TapDevice.Problem("uktap0", root.Path));
        Directory.CreateDirectory(root.File("sys/class/net/eth0"));
        Assert.Equal("--tap eth0: the device exists but is not a tap device", TapDevice.Problem("eth0", root.Path));
        Directory.CreateDirectory(root.File("sys/class/net/uktap0"));
        File.WriteAllText(root.File("sys/class/net/uktap0/tun_flags"), "0x1002\n");
        Assert.Null(TapDevice.Problem("uktap0", root.Path));
        Assert.Contains("not a network interface name", TapDevice.Problem("a,b", root.Path));
        Assert.Contains("not a network interface name", TapDevice.Problem("sixteencharsname", root.Path));
    }

    [Fact]
    public void ARelayedNetworkJoinsUserNetworkingToTheRelaysSocketThroughAHub()
    {
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", 8080, 80)], Relay = new QemuNetworkRelay(1001, 1002, 1003, 1004) };
        string args = string.Join(' ', network.Arguments(MachineKind.Microvm));
        Assert.Equal("-netdev socket,id=net0,udp=127.0.0.1:1002,localaddr=127.0.0.1:1001 -netdev user,id=user0,hostfwd=tcp:127.0.0.1:8080-:80 "
                     + "-netdev socket,id=relay0,udp=127.0.0.1:1004,localaddr=127.0.0.1:1003 -netdev hubport,id=hub0user,hubid=0,netdev=user0 "
                     + "-netdev hubport,id=hub0relay,hubid=0,netdev=relay0 -global virtio-mmio.force-legacy=false -device virtio-net-device,netdev=net0", args);
    }
}
