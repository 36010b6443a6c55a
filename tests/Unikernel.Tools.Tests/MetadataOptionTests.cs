using Unikernel.Tools.Cli;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

/// <summary>
/// `uk run --metadata [IP:]PORT`: a host metadata server at 169.254.169.254:80 in the guest (guestfwd, with slirp's
/// network moved to hold that address), and uk.cloud=off for every other guest with a card.
/// </summary>
public class MetadataOptionTests
{
    private static (int Status, string Out, string Error) DryRun(params string[] options)
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var output = new StringWriter();
        var error = new StringWriter();
        int status = UkCommandLine.Invoke(["run", image, "--dry-run", "--accel", "tcg", .. options], UkConsole.Plain(output, error));
        return (status, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("8181", "127.0.0.1", 8181)]
    [InlineData("10.1.2.3:80", "10.1.2.3", 80)]
    public void TakesAPortAndAnOptionalAddress(string text, string address, int port)
    {
        var forward = MetadataForward.Parse(text);
        Assert.Equal(new MetadataForward(address, port), forward);
        Assert.Equal($"tcp:169.254.169.254:80-tcp:{address}:{port}", forward.GuestForward);
    }

    [Theory]
    [InlineData("0", "the port must be 1-65535, not '0'")]
    [InlineData("host:80", "'host' is not an IPv4 address")]
    [InlineData("1.2.3:80", "'1.2.3' is not an IPv4 address")]
    [InlineData("1:2:3", "expected [IP:]PORT")]
    public void ABadValueIsNamedWithWhatIsWrong(string text, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => MetadataForward.Parse(text));
        Assert.StartsWith($"--metadata {text}: ", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void TheGuestReachesTheServerWhereACloudsIsAndAsksIt()
    {
        var (status, output, error) = DryRun("--metadata", "8181", "-p", "8080:80");
        Assert.Equal(0, status);
        Assert.Equal("", error);
        Assert.Contains("-netdev user,id=net0,net=169.254.169.0/24,hostfwd=tcp:127.0.0.1:8080-:80,guestfwd=tcp:169.254.169.254:80-tcp:127.0.0.1:8181 ", output);
        Assert.DoesNotContain("uk.cloud=", output);
    }

    [Fact]
    public void AnyOtherGuestWithACardDoesNotAskTheHostsMetadataServer()
    {
        Assert.Contains("uk.cloud=off", DryRun("--net").Out);
        Assert.Contains("uk.cloud=off", DryRun("-p", "8080:80").Out);
        Assert.DoesNotContain("uk.cloud", DryRun().Out);   // no card: nothing is asked anyway
        string asked = DryRun("--net", "-k", "uk.cloud=gce").Out;
        Assert.Contains("uk.cloud=gce", asked);
        Assert.DoesNotContain("uk.cloud=off", asked);
        var (status, _, error) = DryRun("--tap", "uktap0", "--metadata", "8181");
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains("--metadata", error);
    }

    [Fact]
    public void ANoServerIsNamedBeforeQemuStarts()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var error = new StringWriter();
        int status = UkCommandLine.Invoke(["run", image, "--accel", "tcg", "--metadata", port.ToString()], UkConsole.Plain(new StringWriter(), error));
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains($"--metadata: no metadata server listens on 127.0.0.1:{port}", error.ToString());
    }
}
