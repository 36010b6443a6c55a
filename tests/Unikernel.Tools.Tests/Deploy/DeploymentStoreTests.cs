using Unikernel.Tools.Cli;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Tests.Deploy;

/// <summary>The deployment state file (atomic JSON), its lock, and the deploy commands' usage errors.</summary>
public sealed class DeploymentStoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("uk-deploy-test-");

    public void Dispose() => _root.Delete(recursive: true);

    private static DeploymentState Sample() => new()
    {
        Name = "web", BindAddress = "127.0.0.1", PublicPort = 8080, GuestPort = 8080, HaproxyPid = 42, Generation = 2,
        Instances =
        [
            new InstanceRecord { Id = "web-2-abcdef", Image = "/images/v2.img", Generation = 2, HostPort = 40001, Pid = 7, Directory = "/state/web/web-2-abcdef",
                                 ConsoleTag = "00112233445566778899aabbccddeeff", Status = InstanceStatus.Serving, StartedAt = DateTimeOffset.UnixEpoch },
        ],
        LastDeploy = new DeployOutcome { Image = "/images/v2.img", Generation = 2, Result = "live", SecondsToTraffic = 1.5 },
    };

    [Fact]
    public void StateRoundTripsThroughItsFile()
    {
        var store = new DeploymentStore(_root.FullName);
        store.Save(Sample());
        var loaded = store.Load("web")!;
        Assert.Equal(8080, loaded.PublicPort);
        Assert.Equal(42, loaded.HaproxyPid);
        var instance = Assert.Single(loaded.Instances);
        Assert.Equal(InstanceStatus.Serving, instance.Status);
        Assert.Equal("/state/web/web-2-abcdef/qmp.sock", instance.QmpSocket);
        Assert.Equal(1.5, loaded.LastDeploy!.SecondsToTraffic);
        Assert.Equal(["web"], store.Names());
        string json = File.ReadAllText(Path.Combine(_root.FullName, "web", "state.json"));
        Assert.Contains("\"status\": \"Serving\"", json);
        Assert.DoesNotContain("qmpSocket", json);   // derived, not stored
        Assert.Empty(Directory.GetFiles(Path.Combine(_root.FullName, "web"), "*.tmp"));   // the temporary file was renamed over state.json
    }

    [Fact]
    public void AMissingDeploymentIsNullAndACorruptOneIsOneLineNamingTheFile()
    {
        var store = new DeploymentStore(_root.FullName);
        Assert.Null(store.Load("nothing"));
        Directory.CreateDirectory(store.DirectoryOf("bad"));
        File.WriteAllText(Path.Combine(store.DirectoryOf("bad"), "state.json"), "{\"name\": ");
        var e = Assert.Throws<InvalidDataException>(() => store.Load("bad"));
        Assert.Contains(Path.Combine(store.DirectoryOf("bad"), "state.json"), e.Message);
    }

    [Fact]
    public void TheLockTurnsASecondWriterAwayAndNamesTheHolder()
    {
        string directory = Path.Combine(_root.FullName, "web");
        using (var first = DeploymentLock.TryTake(directory, out _))
        {
            Assert.NotNull(first);
            Assert.Null(DeploymentLock.TryTake(directory, out string holder));
            Assert.Equal($"pid {Environment.ProcessId}", holder);
        }
        using var again = DeploymentLock.TryTake(directory, out _);
        Assert.NotNull(again);
    }

    [Theory]
    [InlineData("web", true)]
    [InlineData("web_2-blue", true)]
    [InlineData("-web", false)]
    [InlineData("../etc", false)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    public void DeploymentNamesAreSafeAsDirectoryAndProxyNames(string name, bool valid)
        => Assert.Equal(valid, DeploymentStore.NameProblem(name) is null);

    [Fact]
    public void TheStateDirectoryComesFromTheOptionThenUkStateDirThenXdgStateHome()
    {
        Assert.Equal("/a", DeploymentStore.Default("/a", _ => "/b").Root);
        Assert.Equal("/b", DeploymentStore.Default(null, n => n == "UK_STATE_DIR" ? "/b" : "/c").Root);
        Assert.Equal("/c/uk/deployments", DeploymentStore.Default(null, n => n == "XDG_STATE_HOME" ? "/c" : null).Root);
    }

    private static (int Status, string Out, string Error) Uk(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int status = UkCommandLine.Invoke(args, UkConsole.Plain(output, error));
        return (status, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(new[] { "deploy", "x.img" }, "--name")]
    [InlineData(new[] { "deploy", "x.img", "--name", "web", "--health", "health" }, "--health 'health': an absolute path")]
    [InlineData(new[] { "deploy", "x.img", "--name", "web", "--port", "70000" }, "--port must be 1-65535")]
    [InlineData(new[] { "deploy", "x.img", "--name", "web", "--instances", "0" }, "--instances must be 1-16")]
    [InlineData(new[] { "deploy", "x.img", "--name", "web", "--ready-timeout", "soon" }, "--ready-timeout must be a number of seconds")]
    [InlineData(new[] { "deploy", "x.img", "--name", "web", "--bind", "localhost" }, "--bind must be an IPv4 address")]
    [InlineData(new[] { "deploy", "x.img", "--name", "../web" }, "deployment name '../web'")]
    [InlineData(new[] { "logs" }, "uk logs --help")]
    [InlineData(new[] { "stop" }, "uk stop --help")]
    public void DeployUsageErrorsExitWithTwo(string[] args, string expected)
    {
        var (status, _, error) = Uk(args);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void CommandsOnAnUnknownDeploymentSaySo()
    {
        var (status, _, error) = Uk("stop", "web", "--state-dir", _root.FullName);
        Assert.Equal(Deployer.Failed, status);
        Assert.Contains($"no deployment named 'web' in {_root.FullName}", error);
        (status, _, error) = Uk("logs", "web", "--state-dir", _root.FullName);
        Assert.Equal(Deployer.Failed, status);
        Assert.Contains("no deployment named 'web'", error);
        (status, _, error) = Uk("ps", "--state-dir", _root.FullName);
        Assert.Equal(0, status);
        Assert.Contains("no deployments", error);
    }
}
