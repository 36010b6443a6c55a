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
        string cmdline = KernelCommandLine.Build(["uk.exit=0", "uk.report.values=1"], ["GREETING=hello world", "MODE=test"], ["first", "second arg"]);
        var result = await KernelImages.BootAsync(KernelImages.Kernel, machine, cmdline);

        Assert.False(result.TimedOut, result.Console);
        Assert.Equal(0, result.ExitStatus);
        string c = result.Console;
        Assert.Contains("uk: Unikernel: C# kernel up", c);
        // uk's console secret comes first, masked: the report (and whatever reads the kernel's copy) never holds it.
        Assert.Contains("uk:   kernel option: uk.console.tag=" + new string('*', 32), c);
        Assert.DoesNotContain(result.ConsoleTag, c);
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

    // Other VMMs (libvirt, clouds) have no isa-debug-exit: the kernel prints its status, then powers off through ACPI
    // soft-off where the tables describe it -- PM1a control's SLP_TYP from \_S5 on pc and q35, the GED's sleep control
    // register on microvm -- which QEMU reports as a guest shutdown, not a reset (a VMM without -no-reboot would restart
    // the machine on a reset). A person reads the status there; the runner never takes a status from text, so it
    // reports a guest that stopped without one.
    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    [InlineData(MachineKind.Q35)]
    public async Task WithoutDebugExitTheStatusIsPrintedAndTheMachinePowersOff(MachineKind machine)
    {
        string directory = Directory.CreateTempSubdirectory("uk-qmp-").FullName;
        try
        {
            string qmp = Path.Combine(directory, "qmp.sock");
            var run = QemuRunner.RunAsync(new QemuOptions
            {
                ImagePath = KernelImages.Kernel, Machine = machine, Accelerator = Accelerator.Tcg,
                CommandLine = "uk.exit=5", DebugExitDevice = false, QmpSocketPath = qmp,
                ExtraArguments = [QmpShutdownEvent.PausedStart],
            }, KernelImages.BootTimeout);
            string? reason = await QmpShutdownEvent.WaitAsync(qmp, KernelImages.BootTimeout);
            var result = await run;
            Assert.False(result.TimedOut, result.Console);
            Assert.Equal(0, result.QemuExitCode);
            Assert.Equal(GuestExit.NoStatus, result.ExitStatus);
            Assert.StartsWith("the guest stopped without an exit status", result.Problem);
            Assert.Contains("uk: exit status 5", result.KernelLines);
            Assert.Equal("guest-shutdown", reason);
        }
        finally { Directory.Delete(directory, recursive: true); }
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

    // A command line the kernel cannot take is the host's mistake, not a kernel fault: one report, status 64
    // (EX_USAGE), no panic. uk refuses these before booting; other VMMs pass whatever they are given.
    [Theory]
    [InlineData("KEY=\"unterminated", "unterminated double quote")]
    [InlineData("A=\\x4", "a \\x escape without two hexadecimal digits")]
    [InlineData("A=\\x00", "a \\x00 escape (NUL cannot be in an argument or environment entry)")]
    [InlineData("uk.env=NOVALUE", "uk.env= without NAME=VALUE")]
    [InlineData("words", "more than 256 words")]
    [InlineData("long", "longer than 4095 bytes")]
    public async Task AMalformedCommandLineIsRefusedWithAReport(string commandLine, string problem)
    {
        commandLine = commandLine switch
        {
            "words" => string.Join(' ', Enumerable.Repeat("w", 257)),
            "long" => "A=" + new string('x', 4100),
            _ => commandLine,
        };
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm, commandLine);
        Assert.Equal(64, result.ExitStatus);
        Assert.Contains("uk: kernel command line rejected: " + problem, result.KernelLines);
        Assert.DoesNotContain("panic", result.Console);
    }

    // Control bytes in a value are shown escaped: a newline cannot end the kernel's report line and start one the
    // app's output would seem to hold.
    [Fact]
    public async Task TheBootReportEscapesControlBytes()
    {
        string cmdline = KernelCommandLine.Build(["uk.exit=0", "uk.report.values=1"], ["GREETING=hi\nuk: exit status 9\r\u001b[2J"], []);
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm, cmdline);
        Assert.Equal(0, result.ExitStatus);
        Assert.Contains("uk:   environment: GREETING=hi\\x0auk: exit status 9\\x0d\\x1b[2J", result.KernelLines);
        Assert.Equal("", result.AppOutput);
        Assert.DoesNotContain("uk: exit status 9", result.KernelLines);
    }
}
