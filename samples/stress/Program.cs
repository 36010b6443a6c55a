// The SMP proof app: the same static executable runs on Linux and in the image.
//
// Modes (first argument):
//   topology          what the app sees of the CPUs, one "name: value" line each. Lines starting "affinity: " depend
//                     only on the CPUs the process may use (Linux: taskset -c 0-{N-1}; the image: -smp N), lines
//                     starting "machine: " on the machine's CPUs (the image: N; Linux: the host's). Exit 0.
//   stress [rounds]   threads, Parallel.For, ConcurrentDictionary, Channels, timers, GC under load and exceptions
//                     (managed, and from CPU faults) thrown on every CPU, ROUNDS times (default 1). Every check prints
//                     "stress: NAME: ok" or "stress: NAME: WRONG (what)"; then "stress: passed N checks" (exit 0) or
//                     "stress: FAILED K of N checks" (exit 1). A phase that does not finish in its time limit prints
//                     "stress: NAME: TIMEOUT after S s" and exits 3: bounded, never a hang.
//   compute [units]   a fixed CPU-bound computation (UNITS work units, default 64) spread over ProcessorCount workers
//                     with Parallel.For; prints the workers, the elapsed time and a checksum that does not depend on
//                     the worker count. Exit 0.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Stress;

public static class Program
{
    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "stress";
        switch (mode)
        {
            case "topology": return Topology.Run();
            case "stress" when args.Length == 1: return StressRun.Run(1);
            case "stress" when args.Length == 2 && int.TryParse(args[1], out int rounds) && rounds is > 0 and <= 100: return StressRun.Run(rounds);
            case "compute" when args.Length == 1: return Compute.Run(64);
            case "compute" when args.Length == 2 && int.TryParse(args[1], out int units) && units is > 0 and <= 100_000: return Compute.Run(units);
            default:
                Console.Error.WriteLine("usage: stress [topology | stress [rounds 1-100] | compute [units 1-100000]]");
                return 2;
        }
    }
}

/// <summary>musl's answers, which come from the kernel's system calls (sched_getaffinity, getcpu, /sys).</summary>
internal static unsafe partial class Native
{
    public const int ScNprocessorsConf = 83, ScNprocessorsOnln = 84;

    [LibraryImport("libc", SetLastError = true)] private static partial int sched_getaffinity(int pid, nuint size, ulong* mask);
    [LibraryImport("libc", SetLastError = true)] private static partial int sched_setaffinity(int pid, nuint size, ulong* mask);
    [LibraryImport("libc")] public static partial int sched_getcpu();
    [LibraryImport("libc")] public static partial long sysconf(int name);
    [LibraryImport("libc")] public static partial int gettid();

    /// <summary>The first 1024 CPUs of the thread's affinity (tid 0: the caller), or null with errno.</summary>
    public static ulong[]? GetAffinity(int tid, out int errno)
    {
        ulong* mask = stackalloc ulong[16];
        int result = sched_getaffinity(tid, 128, mask);
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (result < 0) return null;
        var copy = new ulong[16];
        for (int i = 0; i < 16; i++) copy[i] = mask[i];
        return copy;
    }

    /// <summary>sched_setaffinity with a mask of SIZE bytes; 0 or errno.</summary>
    public static int SetAffinity(int tid, ulong[] mask, int size)
    {
        fixed (ulong* m = mask)
            return sched_setaffinity(tid, (nuint)size, m) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    public static int SetAffinityToCpu(int cpu)
    {
        var mask = new ulong[16];
        mask[cpu / 64] = 1UL << (cpu % 64);
        return SetAffinity(0, mask, 128);
    }

    public static List<int> Cpus(ulong[] mask)
    {
        var cpus = new List<int>();
        for (int i = 0; i < mask.Length * 64; i++)
            if ((mask[i / 64] & (1UL << (i % 64))) != 0) cpus.Add(i);
        return cpus;
    }
}

internal static class Topology
{
    public static int Run()
    {
        ulong[] mask = Native.GetAffinity(0, out int errno) ?? throw new InvalidOperationException($"sched_getaffinity: errno {errno}");
        List<int> cpus = Native.Cpus(mask);
        Console.WriteLine($"affinity: Environment.ProcessorCount: {Environment.ProcessorCount}");
        Console.WriteLine($"affinity: sched_getaffinity CPUs: {cpus.Count}");
        Console.WriteLine($"affinity: sysconf(_SC_NPROCESSORS_ONLN): {Native.sysconf(Native.ScNprocessorsOnln)}");
        // musl 1.2.3 (Debian 12) counts the affinity for both; glibc reads /sys for these two.
        Console.WriteLine($"affinity: sysconf(_SC_NPROCESSORS_CONF): {Native.sysconf(Native.ScNprocessorsConf)}");
        Console.WriteLine($"affinity: sched_getcpu is in the affinity: {cpus.Contains(Native.sched_getcpu())}");
        Console.WriteLine($"affinity: same mask for this thread's id: {SameMask(Native.GetAffinity(Native.gettid(), out _), mask)}");

        // Linux's size rules: a mask too small for the CPUs, or not a multiple of a long, is EINVAL.
        Console.WriteLine($"affinity: sched_getaffinity with 4 bytes: errno {GetErrno(4)}");
        Console.WriteLine($"affinity: sched_setaffinity to no CPU: errno {Native.SetAffinity(0, new ulong[16], 128)}");
        Console.WriteLine($"affinity: sched_setaffinity to a CPU beyond the machine: errno {Native.SetAffinity(0, BeyondMask(), 128)}");
        Console.WriteLine($"affinity: sched_getaffinity of a thread that does not exist: errno {GetErrnoOf(int.MaxValue)}");

        // Each CPU of the affinity, pinned to from a thread of its own: the thread must then run there.
        int onTheirCpu = 0;
        foreach (int cpu in cpus)
        {
            int seen = -1, set = -1;
            var thread = new Thread(() => { set = Native.SetAffinityToCpu(cpu); Thread.Yield(); seen = Native.sched_getcpu(); });
            thread.Start();
            thread.Join();
            if (set == 0 && seen == cpu) onTheirCpu++;
            else Console.WriteLine($"affinity: pinned to CPU {cpu}: sched_setaffinity errno {set}, ran on CPU {seen}");
        }
        Console.WriteLine($"affinity: threads pinned to each CPU ran there: {onTheirCpu}/{cpus.Count}");
        // Another thread's affinity, by its id, as the GC sets its server threads' (pthread_setaffinity_np).
        int otherTid = 0;
        using (var ready = new ManualResetEventSlim())
        using (var release = new ManualResetEventSlim())
        {
            var other = new Thread(() => { otherTid = Native.gettid(); ready.Set(); release.Wait(); });
            other.Start();
            ready.Wait();
            var one = new ulong[16];
            one[cpus[^1] / 64] = 1UL << (cpus[^1] % 64);
            int set = Native.SetAffinity(otherTid, one, 8);
            ulong[]? read = Native.GetAffinity(otherTid, out _);
            Console.WriteLine($"affinity: another thread's affinity set by its id: errno {set}, now its last CPU only: {SameMask(read, one)}");
            release.Set();
            other.Join();
        }
        Console.WriteLine($"affinity: this thread's affinity unchanged by the others: {SameMask(Native.GetAffinity(0, out _), mask)}");

        Console.WriteLine($"machine: /sys/devices/system/cpu/online: {File.ReadAllText("/sys/devices/system/cpu/online").Trim()}");
        Console.WriteLine($"machine: /sys/devices/system/cpu/possible: {File.ReadAllText("/sys/devices/system/cpu/possible").Trim()}");
        Console.WriteLine($"machine: /sys/devices/system/cpu/present: {File.ReadAllText("/sys/devices/system/cpu/present").Trim()}");
        Console.WriteLine($"machine: /sys/devices/system/cpu/cpuN directories: {Directory.GetDirectories("/sys/devices/system/cpu", "cpu*").Count(d => char.IsDigit(d[^1]))}");
        Console.WriteLine($"machine: /proc/cpuinfo processors: {File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor\t:", StringComparison.Ordinal))}");
        Console.WriteLine($"machine: /proc/cpuinfo distinct apicids: {File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("apicid", StringComparison.Ordinal)).Distinct().Count()}");
        return 0;
    }

    private static unsafe int GetErrno(int size)
    {
        ulong* m = stackalloc ulong[16];
        return SchedGetAffinityRaw(0, (nuint)size, m) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    private static unsafe int GetErrnoOf(int tid)
    {
        ulong* m = stackalloc ulong[16];
        return SchedGetAffinityRaw(tid, 128, m) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    [DllImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static extern unsafe int SchedGetAffinityRaw(int pid, nuint size, ulong* mask);

    private static ulong[] BeyondMask()
    {
        var mask = new ulong[16];
        mask[15] = 1UL << 63;   // CPU 1023
        return mask;
    }

    private static bool SameMask(ulong[]? a, ulong[] b) => a != null && a.AsSpan().SequenceEqual(b);
}

internal static class Compute
{
    public static int Run(int units)
    {
        int workers = Environment.ProcessorCount;
        var results = new ulong[units];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, units, new ParallelOptions { MaxDegreeOfParallelism = workers }, unit => results[unit] = Unit(unit));
        clock.Stop();
        ulong checksum = 0;
        foreach (ulong r in results) checksum = checksum * 31 + r;
        Console.WriteLine($"compute: {units} units on {workers} workers in {clock.Elapsed.TotalMilliseconds:F0} ms, checksum {checksum:x16}");
        return 0;
    }

    // One unit: a fixed integer computation (xorshift rounds), no memory traffic, no allocation.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Unit(int unit)
    {
        ulong x = 0x9E3779B97F4A7C15UL ^ (ulong)unit;
        for (int i = 0; i < 2_000_000; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        return x;
    }
}
