using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>The product kernel boots on both machine models and reports what it found.</summary>
public class KernelBootTests
{
    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task BootsAndReportsConfigurationMemoryAndRuntimeChecks(MachineKind machine)
    {
        string cmdline = KernelCommandLine.Build(["uk.exit=0"], ["GREETING=hello world", "MODE=test"], ["first", "second arg"]);
        var result = await KernelImages.BootAsync(KernelImages.Kernel, machine, cmdline);

        Assert.False(result.TimedOut, result.Console);
        Assert.Equal(0, result.ExitStatus);
        string c = result.Console;
        Assert.Contains("uk: Unikernel: C# kernel up", c);
        Assert.Contains("uk: command line: \"" + cmdline + "\"", c);
        Assert.Contains("uk:   kernel option: uk.exit=0", c);
        Assert.Contains("uk:   environment: GREETING=hello world", c);
        Assert.Contains("uk:   environment: MODE=test", c);
        Assert.Contains("uk:   argument: first", c);
        Assert.Contains("uk:   argument: second arg", c);
        Assert.Matches(@"uk:   0x0+100000-0x[0-9a-f]+ RAM|uk:   0x[0-9a-f]+-0x[0-9a-f]+ RAM", c);
        Assert.Contains("uk: class constructor: CpuIdentity.Vendor = \"", c);
        Assert.DoesNotContain("CpuIdentity.Vendor = \"\"", c);
        Assert.Contains("uk: module initializer: ran", c);
        Assert.Contains("uk: GC statics: ok", c);
        Assert.Matches(@"uk: heap: new byte\[1000\] at 0x[0-9a-f]+, checksum 124716, live blocks (\d+) -> (\d+) -> \1 after free", c);
        Assert.Matches(@"uk: kernel symbols: [1-9]\d+ functions", c);
        Assert.Contains("uk: ready", c);
        Assert.Contains("uk: exit status 0", c);
    }

    [Fact]
    public async Task MemoryReportMatchesGuestRam()
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm, memory: "256M");
        Assert.Equal(0, result.ExitStatus);
        var m = Regex.Match(result.Console, @"uk: memory: (\d+) MiB RAM; kernel image 0x[0-9a-f]+-0x[0-9a-f]+ \(\d+ KiB\); page allocator: (\d+) of (\d+) pages free");
        Assert.True(m.Success, result.Console);
        int ramMiB = int.Parse(m.Groups[1].Value);
        Assert.InRange(ramMiB, 250, 256);
        long freePages = long.Parse(m.Groups[2].Value), totalPages = long.Parse(m.Groups[3].Value);
        Assert.InRange(totalPages * 4096, 240L << 20, 256L << 20);
        Assert.True(freePages <= totalPages && freePages > totalPages * 9 / 10, result.Console);
    }

    [Theory]
    [InlineData(MachineKind.Microvm, 3)]
    [InlineData(MachineKind.Pc, 42)]
    public async Task ExitStatusReachesTheHost(MachineKind machine, int status)
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, machine, $"uk.exit={status}");
        Assert.Equal(status, result.ExitStatus);
        Assert.Equal(2 * status + 1, result.QemuExitCode);
        Assert.Contains($"uk: exit status {status}", result.Console);
    }

    // Other VMMs have no isa-debug-exit: the kernel prints its status, then resets the machine (i8042
    // on pc, a triple fault on microvm, which has no keyboard controller); -no-reboot turns either
    // into QEMU exiting with 0, and the runner reads the status from the console.
    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task WithoutDebugExitTheStatusIsPrintedAndTheMachineStops(MachineKind machine)
    {
        var result = await QemuRunner.RunAsync(new QemuOptions
        {
            ImagePath = KernelImages.Kernel, Machine = machine, Accelerator = Accelerator.Tcg,
            CommandLine = "uk.exit=5", DebugExitDevice = false,
        }, KernelImages.BootTimeout);
        Assert.False(result.TimedOut, result.Console);
        Assert.Equal(0, result.QemuExitCode);
        Assert.Equal(5, result.ExitStatus);
        Assert.Contains("uk: exit status 5", result.Console);
    }

    [Fact]
    public async Task BootCostIsReportedInVirtualNanoseconds()
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm, icount: true);
        Assert.Equal(0, result.ExitStatus);
        var m = Regex.Match(result.Console, @"uk: boot cost: entry at tsc (\d+), to C# entry (\d+) tsc, to end of kernel init (\d+) tsc");
        Assert.True(m.Success, result.Console);
        long toCSharp = long.Parse(m.Groups[2].Value), toInit = long.Parse(m.Groups[3].Value);
        Assert.True(toCSharp > 0 && toInit > toCSharp, result.Console);
    }

    [Fact]
    public async Task MalformedCommandLineIsAClearPanic()
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm, "KEY=\"unterminated");
        Assert.Equal(70, result.ExitStatus);
        Assert.Contains("uk: panic: kernel command line: unterminated double quote", result.Console);
    }
}
