using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Several vCPUs (issue 18) under QEMU's multi-threaded TCG: what the app sees of them (samples/stress `topology`,
/// held to the same executable on Linux restricted with taskset to as many CPUs) and the stress run, repeated, with
/// Server and Workstation GC. The conformance differential at 2 and 4 vCPUs is in ConformanceAppTests.
/// </summary>
public class SmpTests
{
    private const string App = "stress";

    /// <summary>The kernel's checked locking mode (smpsched): every stress boot runs with it.</summary>
    private static readonly string[] CheckedLocks = ["uk.debug.locks=1"];

    /// <summary>
    /// Environment.ProcessorCount, sched_getaffinity (caller and by thread id, Linux's size rules), musl's sysconf, a
    /// thread pinned to each CPU running there, another thread's affinity set by its id: the "affinity:" lines must be
    /// what Linux prints for the same executable under `taskset -c 0-{N-1}` (where the host has N CPUs; the expected
    /// lines are the same formula in N either way), and the guest's "machine:" lines (/sys/devices/system/cpu,
    /// /proc/cpuinfo) must describe N CPUs. On pc the CPUs come from the firmware's MADT, on microvm from QEMU's own.
    /// </summary>
    [Theory]
    [InlineData(MachineKind.Microvm, 1)]
    [InlineData(MachineKind.Microvm, 2)]
    [InlineData(MachineKind.Microvm, 4)]
    [InlineData(MachineKind.Pc, 4)]
    public async Task TheAppSeesEveryVcpuAsLinuxShowsTheCpusItMayUse(MachineKind machine, int cpus)
    {
        var guest = await AppImages.BootAsync(App, machine, ["topology"], cpus: cpus);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, guest.ExitStatus);
        var lines = AppImages.AppLines(guest);
        Assert.Equal(AffinityLines(cpus), lines.Where(l => l.StartsWith("affinity: ", StringComparison.Ordinal)).ToList());
        Assert.Equal(MachineLines(cpus), lines.Where(l => l.StartsWith("machine: ", StringComparison.Ordinal)).ToList());
        Assert.DoesNotContain("unimplemented system call", guest.Console);

        if (Environment.ProcessorCount >= cpus)
        {
            var linux = AppImages.RunOnLinux(App, ["topology"], cpuList: cpus == 1 ? "0" : $"0-{cpus - 1}");
            Assert.Equal(0, linux.ExitStatus);
            Assert.Equal(AffinityLines(cpus), linux.Lines.Where(l => l.StartsWith("affinity: ", StringComparison.Ordinal)).ToList());
        }
    }

    /// <summary>
    /// The stress run (threads, Parallel.For, ConcurrentDictionary, Channels, timers, GC under load, exceptions from
    /// every CPU, each checked) three rounds in one boot, at 2 and 4 vCPUs, with the image's Server GC and with
    /// Workstation GC (DOTNET_gcServer=0), under the kernel's checked locking: no hang (each phase has a limit, the boot
    /// one too), no panic, no wrong result.
    /// </summary>
    [Theory]
    [InlineData(2, true)]
    [InlineData(2, false)]
    [InlineData(4, true)]
    [InlineData(4, false)]
    public async Task TheStressRunPassesRepeatedly(int cpus, bool serverGc)
    {
        string[] environment = serverGc ? [] : ["DOTNET_gcServer=0"];
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["stress", "3"], environment, CheckedLocks, memory: "512M",
                                              cpus: cpus, timeout: TimeSpan.FromMinutes(6));

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains($"stress: {cpus} processors, {(serverGc ? "Server" : "Workstation")} GC, 3 round(s)", guest.Console);
        Assert.Contains("stress: passed 21 checks", guest.Console);
        Assert.DoesNotContain("WRONG", guest.Console);
        Assert.DoesNotContain(guest.KernelLines, l => l.StartsWith("uk: panic", StringComparison.Ordinal));
        Assert.Equal(0, guest.ExitStatus);
    }

    private static List<string> AffinityLines(int n) =>
    [
        $"affinity: Environment.ProcessorCount: {n}",
        $"affinity: sched_getaffinity CPUs: {n}",
        $"affinity: sysconf(_SC_NPROCESSORS_ONLN): {n}",
        $"affinity: sysconf(_SC_NPROCESSORS_CONF): {n}",
        "affinity: sched_getcpu is in the affinity: True",
        "affinity: same mask for this thread's id: True",
        "affinity: sched_getaffinity with 4 bytes: errno 22",
        "affinity: sched_setaffinity to no CPU: errno 22",
        "affinity: sched_setaffinity to a CPU beyond the machine: errno 22",
        "affinity: sched_getaffinity of a thread that does not exist: errno 3",
        $"affinity: threads pinned to each CPU ran there: {n}/{n}",
        "affinity: another thread's affinity set by its id: errno 0, now its last CPU only: True",
        "affinity: this thread's affinity unchanged by the others: True",
    ];

    private static List<string> MachineLines(int n)
    {
        string list = n == 1 ? "0" : $"0-{n - 1}";
        return
        [
            $"machine: /sys/devices/system/cpu/online: {list}",
            $"machine: /sys/devices/system/cpu/possible: {list}",
            $"machine: /sys/devices/system/cpu/present: {list}",
            $"machine: /sys/devices/system/cpu/cpuN directories: {n}",
            $"machine: /proc/cpuinfo processors: {n}",
            $"machine: /proc/cpuinfo distinct apicids: {n}",
        ];
    }
}
