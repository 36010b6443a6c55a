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
        Assert.Equal(linux.Lines, AppImages.AppLines(guest.Console));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        Assert.Equal(Args.Length, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
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
