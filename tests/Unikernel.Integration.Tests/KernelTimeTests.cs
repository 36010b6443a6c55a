using System.Globalization;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Time, timer interrupts and randomness (runtime/Kernel/Time, runtime/Kernel/Entropy): the boot report's
/// clock, wall-clock and randomness lines, and the self-tests timer, clock, time-syscalls and random, on both
/// machine models under TCG.
/// </summary>
public partial class KernelTimeTests
{
    private static async Task<string> SelfTestAsync(string selftest, MachineKind machine, bool icount = false)
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, machine, $"uk.selftest={selftest}", icount);
        Assert.False(result.TimedOut, result.Console);
        Assert.True(result.ExitStatus == 0, $"exit status {result.ExitStatus}\n{result.Console}");
        Assert.DoesNotContain("selftest FAILED", result.Console);
        return result.Console;
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task BootReportGivesTheClockRateTheWallClockAndTheRandomnessSource(MachineKind machine)
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, machine);
        DateTime hostUtc = DateTime.UtcNow;
        Assert.Equal(0, result.ExitStatus);
        string c = result.Console;

        var clock = ClockLine().Match(c);
        Assert.True(clock.Success, c);
        double tscMHz = double.Parse(clock.Groups["tsc"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(tscMHz, 100, 10_000);   // QEMU TCG passes the host's TSC through
        Assert.InRange(int.Parse(clock.Groups["reads"].Value), 64, int.MaxValue);
        // The kernel's own 3-sigma bound of its 1 ms calibration is typically 60-150 ppm on a quiet host, but both the
        // bound and the rate measure the host's quiet as much as the kernel: CI runs on a loaded 2-core host gave a
        // bound of 18,192 ppm once and a rate 2.4 % above the host's another time (both microvm). This test is about
        // the boot report's lines, so it requires a plausible rate (above) and a bound; the PIT measurement's accuracy
        // is TscFrequencySourceTests' business (within 1 % of the host's rate).
        Assert.InRange(int.Parse(clock.Groups["ppm"].Value), 1, int.MaxValue);
        var timer = TimerLine().Match(c);   // written before an image without an app powers off
        Assert.True(timer.Success, c);
        double apicMHz = double.Parse(timer.Groups["apic"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(apicMHz, 62.5 * 0.99, 62.5 * 1.01);   // QEMU: 1 GHz bus clock / 16
        Assert.InRange(int.Parse(clock.Groups["cost"].Value), 900, 100_000);

        // The RTC holds the host's UTC time (QEMU's -rtc base=utc default), to the second.
        var wall = Regex.Match(c, @"uk: wall clock: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \(CMOS RTC at boot, whole seconds\)");
        Assert.True(wall.Success, c);
        var guestUtc = DateTime.ParseExact(wall.Groups[1].Value, "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture,
                                           DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.InRange((hostUtc - guestUtc).TotalMinutes, -3, 3);

        Assert.Contains("uk: randomness: RDRAND", c);   // -cpu max under TCG has RDRAND
    }

    // -icount shift=0: the TSC, the PIT and the APIC all follow the instruction counter, 1 ns per instruction.
    [Fact]
    public async Task UnderInstructionCountingTheTscRunsAtOneGigahertz()
    {
        var result = await KernelImages.BootAsync(KernelImages.Kernel, MachineKind.Microvm, icount: true);
        Assert.Equal(0, result.ExitStatus);
        var clock = ClockLine().Match(result.Console);
        Assert.True(clock.Success, result.Console);
        Assert.InRange(double.Parse(clock.Groups["tsc"].Value, CultureInfo.InvariantCulture), 999.9, 1000.1);
        var timer = TimerLine().Match(result.Console);
        Assert.True(timer.Success, result.Console);
        Assert.InRange(double.Parse(timer.Groups["apic"].Value, CultureInfo.InvariantCulture), 62.49, 62.51);
    }

    [Fact]
    public async Task WithoutRdrandTheFallbackGeneratorIsUsedAndSaidToBeNotCryptographic()
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, MachineKind.Microvm, "uk.selftest=random", cpu: "qemu64");
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains("uk: randomness: xoshiro256** seeded from the TSC and the RTC (NOT cryptographic: the CPU has neither RDRAND nor RDSEED)", result.Console);
        Assert.Contains("uk: selftest random: all checks passed (ok)", result.Console);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task TimerInterruptsArriveAtTheCalibratedPeriod(MachineKind machine)
    {
        string c = await SelfTestAsync("timer", machine);
        var periodic = Regex.Match(c, @"uk: selftest timer: (\d+) ticks of (\d+) ns took (\d+) ns \(expected (\d+), [+-][\d.]+%\), hook called (\d+) times");
        Assert.True(periodic.Success, c);
        Assert.Equal(periodic.Groups[1].Value, periodic.Groups[5].Value);
        // Never early; how late depends on the host (QEMU drops ticks it raises too late), so the rate is
        // checked on the ticks' expiries instead: a whole number of periods apart on the TSC.
        long took = long.Parse(periodic.Groups[3].Value), expected = long.Parse(periodic.Groups[4].Value);
        Assert.True(took >= expected * 995 / 1000, c);
        // The kernel leaves out what the host blurred (a stalled read; a hook run a period late, one of them on purpose)
        // and checks the rest: successive expiries whole periods apart, and the period itself on the TSC.
        var grid = Regex.Match(c, @"uk: selftest timer: tick expiries span (\d+) periods over (\d+) ticks \((\d+) lost to the host, (\d+) handled a period late, (\d+) stalled reads left out\); period on the TSC (\d+) ns");
        Assert.True(grid.Success, c);
        int periods = int.Parse(grid.Groups[1].Value), used = int.Parse(grid.Groups[2].Value);
        Assert.True(used >= 10 && periods >= used - 1, c);
        Assert.Equal(20, used + int.Parse(grid.Groups[4].Value) + int.Parse(grid.Groups[5].Value));
        Assert.InRange(long.Parse(grid.Groups[6].Value), 4_975_000L, 5_025_000L);   // 5 ms +-0.5%
        // The calibrated rate against the counter itself over 20 ms: QEMU's 62.5 MHz, and the calibration within 0.5%.
        var rate = Regex.Match(c, @"uk: selftest timer: counter against the TSC over \d+ us: (\d+) Hz \(within (\d+) ppm\), calibrated (\d+) Hz");
        Assert.True(rate.Success, c);
        long counterHz = long.Parse(rate.Groups[1].Value), calibratedHz = long.Parse(rate.Groups[3].Value);
        Assert.InRange(Math.Abs(calibratedHz - counterHz), 0, counterHz / 200);
        Assert.Matches(@"uk: selftest timer: \d+ ticks interrupted \d+ loop iterations, state intact", c);
        Assert.Matches(@"uk: selftest timer: one-shot of 5000000 ns fired after \d+ ns, 1 tick\(s\) in all", c);
        Assert.Contains("uk: selftest timer: all checks passed (ok)", c);
    }

    [Fact]
    public async Task TimerWorksUnderInstructionCounting()
    {
        string c = await SelfTestAsync("timer", MachineKind.Microvm, icount: true);
        Assert.Contains("uk: selftest timer: all checks passed (ok)", c);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task ClockIsMonotonicAndABusyWaitMeasuresItsLengthOnThePit(MachineKind machine)
    {
        string c = await SelfTestAsync("clock", machine);
        Assert.Matches(@"uk: selftest clock: 200000 reads over \d+ ns, monotonic went back 0 times, realtime 0 times", c);
        var wait = Regex.Match(c, @"uk: selftest clock: busy wait of 10000000 ns measured (\d+) ns on the clock, (\d+) ns on the PIT \([+-][\d.]+%, reads bracketed within (\d+) ns; \d+ rounds stretched by the host left out\)");
        Assert.True(wait.Success, c);
        // Never short; longer only if the host descheduled the VM as the wait ended, and never past the PIT's 16-bit
        // countdown (54.9 ms: the kernel leaves out a round the host stretched further, as the PIT wrapped in it). The
        // two must agree within 0.5%, plus how uncertain the PIT reads at the two ends were.
        long onClock = long.Parse(wait.Groups[1].Value), onPit = long.Parse(wait.Groups[2].Value), brackets = long.Parse(wait.Groups[3].Value);
        Assert.InRange(onClock, 10_000_000, 50_000_000);
        Assert.InRange(Math.Abs(onClock - onPit), 0, onPit / 200 + brackets + 1000);
        Assert.Contains("uk: selftest clock: all checks passed (ok)", c);
    }

    [Fact]
    public async Task TimeAndRandomSystemCallsAnswerLikeLinux()
    {
        string c = await SelfTestAsync("time-syscalls", MachineKind.Microvm);
        Assert.Matches(@"uk: selftest time-syscalls: \d+ checks passed \(ok\)", c);
        Assert.DoesNotContain("unimplemented system call", c);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task RandomBytesAreBalancedAndNeverRepeat(MachineKind machine)
    {
        string c = await SelfTestAsync("random", machine);
        Assert.Contains("uk: selftest random: source RDRAND;", c);
        Assert.Contains("uk: selftest random: all checks passed (ok)", c);
    }

    [GeneratedRegex(@"uk: clock: TSC (?<tsc>\d+\.\d{3}) MHz \(measured against the PIT: \d+ us, (?<reads>\d+) reads, \+-(?<ppm>\d+) ppm at 3 sigma(, \d attempts)?\); set-up took (?<cost>\d+) us")]
    private static partial Regex ClockLine();

    [GeneratedRegex(@"uk: timer: local APIC (?<apic>\d+\.\d{3}) MHz \(bus clock / 16, measured against the TSC over \d+ us, within \d+ ppm\)")]
    private static partial Regex TimerLine();
}
