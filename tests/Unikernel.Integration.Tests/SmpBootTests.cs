using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The application processors come up (ACPI MADT, INIT-SIPI-SIPI, the trampoline) on every machine model with ACPI,
/// under multi-threaded TCG, and the app still runs to its end as on Linux. Until the scheduler runs threads on them
/// the APs only answer TLB shootdowns; the self-test makes each answer rounds of them.
/// </summary>
public class SmpBootTests
{
    private static readonly string[] Args = ["first", "second arg"];

    private static string[] Smp(int cpus) => ["-smp", cpus.ToString(), "-accel", "tcg,thread=multi"];

    [Theory]
    [InlineData(MachineKind.Pc, 2)]
    [InlineData(MachineKind.Pc, 4)]
    [InlineData(MachineKind.Q35, 2)]
    [InlineData(MachineKind.Q35, 4)]
    [InlineData(MachineKind.Microvm, 2)]
    [InlineData(MachineKind.Microvm, 4)]
    public async Task EveryCpuStartsAndTheAppRunsAsOnLinux(MachineKind machine, int cpus)
    {
        var linux = AppImages.RunOnLinux("hello", Args);
        var guest = await AppImages.BootAsync("hello", machine, Args, qemuArguments: Smp(cpus));

        Assert.False(guest.TimedOut, guest.Console);
        string ids = string.Join(",", Enumerable.Range(0, cpus));
        Assert.Single(guest.KernelLines, l => Regex.IsMatch(l, $@"^uk: smp: {cpus} CPUs \(APIC ids {ids}\), {cpus - 1} started in \d+ us$"));
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        // The runtime's GC changes mappings (mprotect, madvise, munmap) and asks for membarrier: each a shootdown round.
        var shootdowns = guest.KernelLines.Select(l => Regex.Match(l, @"^uk: tlb shootdown: (\d+) rounds, \d+ us waiting for acknowledgements$"))
            .Single(m => m.Success);
        Assert.True(int.Parse(shootdowns.Groups[1].Value) > 0, guest.Console);
    }

    [Fact]
    public async Task OneCpuStartsNothingAndSaysNothing()
    {
        var guest = await AppImages.BootAsync("hello", MachineKind.Pc, Args);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.DoesNotContain(guest.KernelLines, l => l.StartsWith("uk: smp:", StringComparison.Ordinal) || l.StartsWith("uk: tlb shootdown:", StringComparison.Ordinal));
        Assert.Equal(Args.Length, guest.ExitStatus);
    }

    // microvm with acpi=off has no MADT: the kernel cannot know the other CPUs' APIC IDs and stays on one.
    [Fact]
    public async Task WithoutMadtTheKernelStaysOnOneCpuAndSaysSo()
    {
        var guest = await AppImages.BootAsync("hello", MachineKind.Microvm, Args, qemuArguments: ["-M", "microvm,acpi=off", .. Smp(2)]);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("uk: smp: 1 CPU (no ACPI MADT lists the others)", guest.KernelLines);
        Assert.Equal(Args.Length, guest.ExitStatus);
    }

    [Fact]
    public async Task EveryApAnswersShootdownRounds()
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, MachineKind.Q35, "uk.selftest=smp", qemuArguments: Smp(4));

        Assert.False(result.TimedOut, result.Console);
        Assert.Matches(@"uk: selftest smp: 4 CPUs online, 30 shootdown rounds acknowledged by every CPU, \d+ us a round \(ok\)", result.Console);
        Assert.DoesNotContain("selftest FAILED", result.Console);
    }
}
