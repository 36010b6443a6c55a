using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/conformance in the unikernel against the same executable on Linux: every line that does not
/// legitimately differ ("env-specific: ..."), and the exit status. Its other modes check what a
/// differential test cannot: preemption, GC suspension of a running thread, and bad app behaviour.
/// </summary>
public class ConformanceAppTests
{
    private const string App = "conformance";
    private const string EnvironmentSpecific = "env-specific: ";

    // With several vCPUs (issue 18: multi-threaded TCG, the app's threads on every CPU, the kernel's checked locking on)
    // the output must not change; the processor count is then the vCPU count.
    [Theory]
    [InlineData(MachineKind.Microvm, 1)]
    [InlineData(MachineKind.Pc, 1)]
    [InlineData(MachineKind.Microvm, 2)]
    [InlineData(MachineKind.Microvm, 4)]
    public async Task OutputAndExitStatusMatchLinux(MachineKind machine, int cpus)
    {
        string[] args = ["conformance", "an argument", "x=y"];
        string[] environment = ["CONFORMANCE_MODE=differential"];
        var linux = AppImages.RunOnLinux(App, args, environment);
        var guest = await AppImages.BootAsync(App, machine, args, environment, CheckedLocksWith(cpus), memory: "512M", cpus: cpus,
                                              timeout: TimeSpan.FromMinutes(3));

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(42, linux.ExitStatus);
        Assert.Equal(Comparable(linux.Lines), Comparable(AppImages.AppLines(guest)));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        Assert.Contains($"env-specific: processors: {cpus}", guest.Console);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ASpinningThreadDoesNotStopTheOthers(int cpus)
    {
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["cpu-spin"], kernelOptions: CheckedLocksWith(cpus), cpus: cpus);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("cpu-spin: main thread woke up 5/5, spinner advanced meanwhile: True", guest.Console);
        Assert.Contains("preemption: ok", guest.Console);
        Assert.Equal(0, guest.ExitStatus);
    }

    // At 2 vCPUs the spinning thread runs on the other CPU while the GC suspends it: the signal crosses CPUs.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task GarbageCollectionSuspendsARunningThread(int cpus)
    {
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["gc-under-load"], kernelOptions: CheckedLocksWith(cpus), cpus: cpus);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("gc-under-load: GC.Collect 10/10 returned", guest.Console);
        Assert.Contains("gc while spinning: ok", guest.Console);
        Assert.Equal(0, guest.ExitStatus);
    }

    [Theory]
    [InlineData("low", "0x100000")]                   // the kernel image: supervisor-only pages
    [InlineData("high", "0xFFFF800000001000")]        // the kernel half of the address space
    public async Task AWildWriteIntoKernelMemoryIsCaughtLikeOnLinux(string target, string address)
    {
        var linux = AppImages.RunOnLinux(App, ["null-wild", target]);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["null-wild", target]);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains($"null-wild: writing to {address}", guest.Console);
        Assert.Contains("Process terminated. Access Violation", guest.Console);
        Assert.Contains("uk: app terminated by SIGABRT (signal 6)", guest.Console);
        Assert.Equal(134, linux.ExitStatus);
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task AnUnhandledExceptionEndsTheAppExactlyAsOnLinux(MachineKind machine)
    {
        var linux = AppImages.RunOnLinux(App, ["unhandled"]);
        var guest = await AppImages.BootAsync(App, machine, ["unhandled"]);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("Unhandled exception. System.InvalidOperationException: nobody catches this one", guest.Console);
        // The same executable: the same message and the same stack trace, offsets included.
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(134, linux.ExitStatus);
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
    }

    [Fact]
    public async Task UnboundedAllocationEndsWithAnOutOfMemoryReport()
    {
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["oom"], memory: "128M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("oom: allocated 64 MiB", guest.Console);
        Assert.Matches(@"uk: out of memory: no physical page for app address 0x[0-9a-f]+; the app has \d+ MiB committed of 127 MiB RAM; killing it \(SIGKILL\)", guest.Console);
        Assert.Equal(137, guest.ExitStatus);
    }

    /// <summary>
    /// The process-info mode: Process.GetCurrentProcess() (name, threads, start time, memory), Environment.UserName,
    /// /proc/self/{stat,status,cmdline,environ,limits,fd,task} and Process.Start of programs that are not there, with
    /// the properties the app prints equal to Linux's. What legitimately differs (pid, user name) is env-specific.
    /// </summary>
    [Fact]
    public async Task ProcessInformationMatchesLinux()
    {
        string[] args = ["process-info", "an argument", "x=y"];
        string[] environment = ["CONFORMANCE_MODE=process-info"];
        var linux = AppImages.RunOnLinux(App, args, environment);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, args, environment, memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("process-info: ok", linux.Lines);
        Assert.Equal(Comparable(linux.Lines), Comparable(AppImages.AppLines(guest)));
        Assert.Equal(0, guest.ExitStatus);
        Assert.Contains("env-specific: process id: 1", guest.Console);
        Assert.Contains("env-specific: user name: root", guest.Console);
        // A program that exists cannot run: fork(2)'s ENOSYS ("not supported on this platform"), said on the console.
        Assert.Contains("env-specific: start the app itself: exit status 2", linux.Lines);
        Assert.Contains("env-specific: start the app itself: System.ComponentModel.Win32Exception, error 38: ", guest.Console);
        Assert.Contains("uk: fork, vfork, execve: the image runs one process and starts no other program (ENOSYS)", guest.Console);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }

    /// <summary>With several vCPUs, the kernel's checked locking mode (lock-held assertions: smpsched's uk.debug.locks).</summary>
    private static string[] CheckedLocksWith(int cpus) => cpus > 1 ? ["uk.debug.locks=1"] : [];

    private static List<string> Comparable(List<string> lines) =>
        lines.Where(l => !l.StartsWith(EnvironmentSpecific, StringComparison.Ordinal)).ToList();
}
