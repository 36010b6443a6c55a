using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>samples/hello in the unikernel behaves exactly as the same executable on Linux.</summary>
public class HelloAppTests
{
    private static readonly string[] Args = ["first", "second arg", "x=y"];
    private static readonly string[] Environment = ["GREETING=hello from the command line"];

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task OutputAndExitStatusMatchLinux(MachineKind machine)
    {
        var linux = AppImages.RunOnLinux("hello", Args, Environment);
        var guest = await AppImages.BootAsync("hello", machine, Args, Environment);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        Assert.Equal(Args.Length, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }

    // The image was published with Unikernel.Sdk (`make apps`), which had uk-ld write uk_image_info: the boot report
    // names the app, its version and the image's SHA-256, the same as the image's link map.
    [Fact]
    public async Task BootReportNamesTheImageAsItsLinkMapDoes()
    {
        string map = Path.Combine(KernelImages.RepositoryRoot, "artifacts", "images", "hello.map");
        string[] record = File.ReadAllLines(map).Single(l => l.StartsWith("image-info\t", StringComparison.Ordinal)).Split('\t');
        var guest = await AppImages.BootAsync("hello", MachineKind.Microvm, []);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal("hello", record[1]);
        Assert.Matches("^[0-9a-f]{64}$", record[3]);
        Assert.Contains($"uk: image hello {record[2]} sha256:{record[3]}\n", guest.Console.Replace("\r", ""));
    }

    [Fact]
    public async Task SyscallTraceShowsEveryCallWithItsResult()
    {
        var guest = await AppImages.BootAsync("hello", MachineKind.Microvm, [], kernelOptions: ["uk.strace"]);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Matches(@"uk: \[1\] arch_prctl\(0x1002, 0x[0-9a-f]+\) = 0x0", guest.Console);
        Assert.Matches(@"uk: \[1\] clone\(0x[0-9a-f]+, .*\) = 0x2", guest.Console);
        Assert.Matches(@"uk: \[1\] exit_group\(0x0\) = \?", guest.Console);
        Assert.Contains("Hello from a bootable C# app!", guest.Console);
    }
}
