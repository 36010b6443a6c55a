using System.Collections.Concurrent;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Stress;

/// <summary>
/// The stress mode: each phase does a fixed amount of work on every CPU at once and checks what came out against what
/// must come out. Phases run one after the other, each under a time limit (a missed limit ends the run with status 3, so
/// a lost wake-up or a stuck CPU shows as a named TIMEOUT, not as a hang).
/// </summary>
internal static class StressRun
{
    private static int s_checks, s_failures;
    private static readonly TimeSpan PhaseLimit = TimeSpan.FromSeconds(120);

    public static int Run(int rounds)
    {
        int cpus = Environment.ProcessorCount;
        Console.WriteLine($"stress: {cpus} processors, {(GCSettings.IsServerGC ? "Server" : "Workstation")} GC, {rounds} round(s)");
        for (int round = 1; round <= rounds; round++)
        {
            Phase("threads", () => Threads(cpus));
            Phase("parallel-for", ParallelFor);
            Phase("concurrent-dictionary", () => Dictionary(cpus));
            Phase("channels", () => Channels(cpus));
            Phase("timers", Timers);
            Phase("gc-under-load", () => GcUnderLoad(cpus));
            Phase("exceptions-on-every-cpu", ExceptionsOnEveryCpu);
        }
        if (s_failures == 0)
        {
            Console.WriteLine($"stress: passed {s_checks} checks");
            return 0;
        }
        Console.WriteLine($"stress: FAILED {s_failures} of {s_checks} checks");
        return 1;
    }

    private static void Phase(string name, Func<string?> body)
    {
        string? problem = null;
        var task = Task.Run(() =>
        {
            try { problem = body(); }
            catch (Exception e) { problem = $"{e.GetType().Name}: {e.Message}"; }
        });
        if (!task.Wait(PhaseLimit))
        {
            Console.WriteLine($"stress: {name}: TIMEOUT after {PhaseLimit.TotalSeconds:F0} s");
            Console.Out.Flush();
            Environment.Exit(3);
        }
        s_checks++;
        if (problem == null) Console.WriteLine($"stress: {name}: ok");
        else
        {
            s_failures++;
            Console.WriteLine($"stress: {name}: WRONG ({problem})");
        }
    }

    // Many more threads than CPUs, each adding to one shared counter and its own slot.
    private static string? Threads(int cpus)
    {
        int count = 4 * cpus + 4;
        const int Increments = 20_000;
        long shared = 0;
        var own = new long[count];
        var threads = new Thread[count];
        for (int t = 0; t < count; t++)
        {
            int me = t;
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < Increments; i++)
                {
                    Interlocked.Increment(ref shared);
                    own[me] += i;
                    if ((i & 1023) == 0) Thread.Yield();
                }
            });
            threads[t].Start();
        }
        foreach (var thread in threads) thread.Join();
        long expectedOwn = (long)Increments * (Increments - 1) / 2;
        if (shared != (long)count * Increments) return $"shared counter {shared}, expected {(long)count * Increments}";
        for (int t = 0; t < count; t++)
            if (own[t] != expectedOwn) return $"thread {t} summed {own[t]}, expected {expectedOwn}";
        return null;
    }

    // Parallel.For with a per-worker local sum, against the closed form.
    private static string? ParallelFor()
    {
        const int N = 400_000;
        long total = 0;
        Parallel.For(0, N, () => 0L, (i, _, local) => local + (long)i * i % 1_000_003, local => Interlocked.Add(ref total, local));
        long expected = 0;
        for (long i = 0; i < N; i++) expected += i * i % 1_000_003;
        return total == expected ? null : $"sum {total}, expected {expected}";
    }

    private static string? Dictionary(int cpus)
    {
        const int Keys = 1_000, Passes = 50;
        int workers = 2 * cpus + 2;
        var map = new ConcurrentDictionary<int, long>();
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            for (int pass = 0; pass < Passes; pass++)
                for (int k = 0; k < Keys; k++)
                {
                    map.AddOrUpdate(k, 1, (_, v) => v + 1);
                    if (k % 97 == w) map.TryRemove(-1 - w, out _);
                    map.TryAdd(-1 - w, w);
                }
        });
        if (map.Count != Keys + workers) return $"{map.Count} keys, expected {Keys + workers}";
        for (int k = 0; k < Keys; k++)
            if (map[k] != (long)workers * Passes) return $"key {k} counted {map[k]}, expected {(long)workers * Passes}";
        return null;
    }

    // Producers and consumers on a small bounded channel: every item arrives exactly once.
    private static string? Channels(int cpus)
    {
        int producers = cpus + 1, consumers = cpus + 1;
        const int PerProducer = 20_000;
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.Wait });
        var seen = new int[producers * PerProducer];
        var producing = Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (int i = 0; i < PerProducer; i++) await channel.Writer.WriteAsync((long)p * PerProducer + i);
        })).ToArray();
        var consuming = Enumerable.Range(0, consumers).Select(_ => Task.Run(async () =>
        {
            await foreach (long item in channel.Reader.ReadAllAsync()) Interlocked.Increment(ref seen[item]);
        })).ToArray();
        Task.WaitAll(producing);
        channel.Writer.Complete();
        Task.WaitAll(consuming);
        for (int i = 0; i < seen.Length; i++)
            if (seen[i] != 1) return $"item {i} arrived {seen[i]} times";
        return null;
    }

    // Timers and delays firing on the thread pool from every CPU: each fires its count, and no delay returns before half
    // its time (.NET's timers fire up to a few ms early on Linux too: their clock is the millisecond tick count).
    private static string? Timers()
    {
        const int TimerCount = 32, Ticks = 5;
        var fired = new int[TimerCount];
        using var done = new CountdownEvent(TimerCount);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var timers = new Timer[TimerCount];
        for (int t = 0; t < TimerCount; t++)
        {
            int me = t;
            timers[t] = new Timer(_ =>
            {
                if (Interlocked.Increment(ref fired[me]) == Ticks) done.Signal();
            }, null, 5 + me % 7, 10);
        }
        bool all = done.Wait(TimeSpan.FromSeconds(60));
        foreach (var timer in timers) timer.Dispose();
        if (!all) return $"{TimerCount - done.CurrentCount} of {TimerCount} timers reached {Ticks} ticks in 60 s";
        var delays = Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(20 + i % 13);
            return clock.ElapsedMilliseconds >= (20 + i % 13) / 2;
        })).ToArray();
        Task.WaitAll(delays);
        int early = delays.Count(d => !d.Result);
        return early == 0 ? null : $"{early} of {delays.Length} Task.Delay calls returned before half their time";
    }

    // Allocating threads on every CPU keep linked structures alive across collections, forced and natural, and check
    // them afterwards: a moved object with a stale reference, or a thread suspended at a bad point, breaks a checksum.
    private static string? GcUnderLoad(int cpus)
    {
        int before = GC.CollectionCount(0);
        int workers = cpus + 1;
        var problems = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.Sleep(5);
            }
        });
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var keep = new List<int[]>();
            for (int i = 0; i < 3_000; i++)
            {
                var array = new int[16 + (i * 7 + w) % 200];
                for (int j = 0; j < array.Length; j++) array[j] = i ^ j ^ w;
                keep.Add(array);
                if (keep.Count > 400) keep.RemoveRange(0, 200);
                _ = new byte[(i % 5) * 1024];   // garbage
            }
            foreach (var array in keep)
            {
                int i = array[0] ^ w;
                for (int j = 0; j < array.Length; j++)
                    if (array[j] != (i ^ j ^ w)) { problems.Enqueue($"worker {w}: array of item {i} corrupted at {j}"); return; }
            }
        });
        stop.Cancel();
        collector.Wait();
        int collections = GC.CollectionCount(0) - before;
        if (problems.TryDequeue(out string? problem)) return problem;
        return collections >= 2 ? null : $"only {collections} collections ran";
    }

    // On every CPU, pinned there: managed exceptions, and the two that start as CPU faults and reach the runtime as
    // signals (divide error -> SIGFPE -> DivideByZeroException, page fault -> SIGSEGV -> NullReferenceException).
    private static string? ExceptionsOnEveryCpu()
    {
        ulong[] mask = Native.GetAffinity(0, out int errno) ?? throw new InvalidOperationException($"sched_getaffinity: errno {errno}");
        List<int> cpus = Native.Cpus(mask);
        var problems = new ConcurrentQueue<string>();
        var threads = cpus.Select(cpu => new Thread(() =>
        {
            int set = Native.SetAffinityToCpu(cpu);
            if (set != 0) { problems.Enqueue($"pinning to CPU {cpu}: errno {set}"); return; }
            int caught = 0;
            for (int i = 0; i < 200; i++)
            {
                try { Throw(i); } catch (InvalidOperationException e) when (e.Message == "thrown " + i) { caught++; }
                try { _ = Divide(i, Zero); } catch (DivideByZeroException) { caught++; }
                try { _ = Deref(null); } catch (NullReferenceException) { caught++; }
            }
            int ranOn = Native.sched_getcpu();
            if (caught != 600) problems.Enqueue($"CPU {cpu}: caught {caught} of 600");
            if (ranOn != cpu) problems.Enqueue($"thread pinned to CPU {cpu} ran on CPU {ranOn}");
        })).ToList();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        return problems.TryDequeue(out string? problem) ? problem : null;
    }

    // Zero, but not a constant ILC could fold: the division must reach the CPU.
    private static int Zero = Environment.ProcessorCount > 10_000 ? 1 : 0;

    [MethodImpl(MethodImplOptions.NoInlining)] private static void Throw(int i) => throw new InvalidOperationException("thrown " + i);
    [MethodImpl(MethodImplOptions.NoInlining)] private static int Divide(int a, int b) => a / b;
    [MethodImpl(MethodImplOptions.NoInlining)] private static int Deref(int[]? a) => a![0];
}
