using Unikernel.Tools.Cli;
using Unikernel.Tools.Deploy;
using Unikernel.Tools.Qemu;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests.Deploy;

/// <summary>`uk deploy --linux-initrd`: an instance that is a Linux microVM (the deploy-time comparison's), booted with
/// -kernel/-initrd and configured through its kernel command line, and what it refuses.</summary>
public sealed class LinuxGuestTests
{
    [Fact]
    public void TheEnvironmentComesFirstAsWordsThenTheAppendAsGiven()
    {
        Assert.Equal("ASPNETCORE_URLS=http://0.0.0.0:8080 APP_VERSION=v2 console=ttyS0 quiet INIT_NETWORK=10.0.2.15/24,10.0.2.2 -- --flag",
            LinuxGuest.CommandLine(" console=ttyS0 quiet INIT_NETWORK=10.0.2.15/24,10.0.2.2 -- --flag ", ["ASPNETCORE_URLS=http://0.0.0.0:8080", "APP_VERSION=v2"]));
        Assert.Equal("A=", LinuxGuest.CommandLine("", ["A="]));
    }

    [Theory]
    [InlineData("APP_VERSION", "needs NAME=VALUE")]
    [InlineData("=v", "needs NAME=VALUE")]
    [InlineData("Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning", "whose name has a '.'")]
    [InlineData("GREETING=hello world", "cannot hold spaces or '\"'")]
    [InlineData("Q=\"x\"", "cannot hold spaces or '\"'")]
    public void AnEntryLinuxWouldNotPassUnchangedIsRefused(string entry, string reason)
        => Assert.Contains(reason, Assert.Throws<ArgumentException>(() => LinuxGuest.CommandLine("quiet", [entry])).Message);

    [Fact]
    public void ALinuxGuestBootsWithItsInitrdAndItsCommandLineWithoutOurConsoleTag()
    {
        var args = QemuCommand.BuildArguments(new QemuOptions
        {
            ImagePath = "/k/vmlinux", InitrdPath = "/k/initramfs.cpio.gz", CommandLine = "console=ttyS0 A=1", ConsoleTag = "0123456789abcdef",
            DetachedPidFile = "/s/qemu.pid", ConsoleFile = "/s/console.log",
        }).ToList();
        Assert.Equal("/k/vmlinux", args[args.IndexOf("-kernel") + 1]);
        Assert.Equal("/k/initramfs.cpio.gz", args[args.IndexOf("-initrd") + 1]);
        Assert.Equal("console=ttyS0 A=1", args[args.IndexOf("-append") + 1]);
        // Our image keeps its tag.
        var ours = QemuCommand.BuildArguments(new QemuOptions { ImagePath = "/k/img", CommandLine = "A=1", ConsoleTag = "0123456789abcdef" }).ToList();
        Assert.DoesNotContain("-initrd", ours);
        Assert.StartsWith(ConsoleTag.Option("0123456789abcdef"), ours[ours.IndexOf("-append") + 1]);
    }

    [Theory]
    [InlineData(new[] { "-k", "uk.instance=x" }, "-k, --env-file and app arguments are our kernel's")]
    [InlineData(new[] { "-e", "A=b c" }, "cannot hold spaces")]
    public void DeployRefusesWhatALinuxGuestCannotTakeBeforeStartingAnything(string[] extra, string reason)
    {
        using var dir = new TempDirectory();
        string kernel = dir.File("vmlinux"), initrd = dir.File("initramfs");
        File.WriteAllText(kernel, "not checked: a Linux kernel is QEMU's to load");
        File.WriteAllText(initrd, "");
        var (status, _, error) = Uk(["deploy", kernel, "--name", "linux", "--port", "1", "--state-dir", dir.File("state"), "--linux-initrd", initrd, .. extra]);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains(reason, error);
        Assert.False(Directory.Exists(dir.File("state")));
    }

    [Fact]
    public void DeployRefusesAMissingInitrd()
    {
        using var dir = new TempDirectory();
        string kernel = dir.File("vmlinux");
        File.WriteAllText(kernel, "");
        var (status, _, error) = Uk("deploy", kernel, "--name", "linux", "--port", "1", "--state-dir", dir.File("state"), "--linux-initrd", dir.File("none"));
        Assert.Equal(Deployer.Failed, status);
        Assert.Contains("initramfs not found: " + dir.File("none"), error);
    }
}
