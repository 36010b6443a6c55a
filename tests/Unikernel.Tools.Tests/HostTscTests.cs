using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

// uk's reading of the host TSC's rate (tools/Uk/Qemu/HostTsc.cs), which `uk run` passes to TCG guests as uk.tsc.khz.
// The guest-side proof that the figure is right (a 1 s sleep lasting 1 s on the host, the TSC agreeing with the PIT)
// is in tests/Unikernel.Integration.Tests/TscFrequencySourceTests.cs.
public class HostTscTests
{
    [SkippableFact]
    public void TwoMeasurementsAgreeAndGiveATscRate()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.Intrinsics.X86.X86Base.IsSupported, "x86-64 Linux only");
        ulong? first = HostTsc.Measure(), second = HostTsc.Measure();
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.InRange((double)first!.Value, 100_000, 10_000_000);   // 100 MHz .. 10 GHz, in kHz
        // 40 ms windows each bracketed within ~100 ns: a few ppm apart; 200 ppm leaves room for a descheduled read.
        Assert.InRange(Math.Abs((double)first.Value - second!.Value) / first.Value, 0, 200e-6);
    }

    [SkippableFact]
    public void TheRateIsCachedForThisHostBootAndReadBack()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.Intrinsics.X86.X86Base.IsSupported, "x86-64 Linux only");
        using var dir = new TempDirectory();
        ulong? measured = HostTsc.HostKilohertz(dir.Path);
        Skip.If(measured is null, "this host's TSC is not invariant: uk passes no rate");
        string cache = Path.Combine(dir.Path, "tsc-khz");
        if (File.Exists(cache))   // absent when the host's CPUID states the rate (nothing measured, nothing cached)
        {
            string boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            File.WriteAllText(cache, $"{boot} 1234567\n");
            Assert.Equal(1234567UL, HostTsc.HostKilohertz(dir.Path));
            File.WriteAllText(cache, "another-boot 1234567\n");   // another host boot: measured again
            Assert.InRange((double)HostTsc.HostKilohertz(dir.Path)!.Value, measured!.Value * 0.9998, measured.Value * 1.0002);
        }
    }

    [Fact]
    public void InstructionCountingGivesOneGigahertzAndKvmNothing()
    {
        Assert.Equal("uk.tsc.khz=1000000", HostTsc.KernelOption(Accelerator.Tcg, instructionCounting: true));
        Assert.Null(HostTsc.KernelOption(Accelerator.Kvm, instructionCounting: false));
    }
}
