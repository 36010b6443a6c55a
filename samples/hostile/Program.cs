using System.Diagnostics;
using Hostile;
using Hostile.Fuzzing;

// `hostile`: every attack, one "attack NAME: OUTCOME" line each, then "hostile: N attacks done" and exit 0.
// `hostile fuzz SEED COUNT [SEEDS] [--skip N,...]`: COUNT random system calls for each of SEEDS seeds from SEED, a summary line
// per seed, a health check of the kernel afterwards, exit 0 (only inside the unikernel: random system calls as
// root on a real Linux host could change the host).
NativeCode.Initialize();
bool onUnikernel = AttackRun.DetectUnikernel();

if (args.Length > 0 && args[0] == "fuzz")
    return FuzzCommand.Run(args[1..], onUnikernel);
if (args.Length > 0)
{
    Console.Error.WriteLine($"hostile: unknown arguments '{string.Join(' ', args)}' (usage: hostile | hostile fuzz SEED COUNT [SEEDS])");
    return 2;
}

Console.Out.WriteLine($"hostile: attacking the {(onUnikernel ? "unikernel's" : "Linux")} kernel from ring 3");
int count;
using (var catcher = new FaultCatcher())
{
    var run = new AttackRun(catcher, onUnikernel);
    // The order puts first what cannot hurt a kernel that lacks the boundary, so that such a kernel still reports
    // as much as it can before the attacks that may take it down.
    FaultAttacks.Run(run);
    PointerAttacks.Run(run);
    SignalAttacks.RunArchPrctl(run);
    SignalAttacks.RunPause(run);
    SignalAttacks.RunSigreturn(run);
    Impersonation.Run(run);
    MemoryAttacks.RunMaps(run);
    MemoryAttacks.RunDeviceAddresses(run);
    MemoryAttacks.RunDestructive(run);
    SignalAttacks.RunFrameAtKernelAddress(run);
    count = run.Count;
    // With our handler in front of the runtime's, a fault outside a probe must still reach the runtime: a
    // null dereference in managed code becomes a NullReferenceException, on this thread and on another.
    Console.Out.WriteLine($"hostile: runtime faults still reach the runtime: {RuntimeFaults.StillBecomeExceptions()}");
}
Console.Out.WriteLine($"hostile: {count} attacks done");
return 0;

internal static class RuntimeFaults
{
    public static string StillBecomeExceptions()
    {
        bool here = NullDereferenceThrows(), there = false;
        var other = new Thread(() => there = NullDereferenceThrows());
        other.Start();
        other.Join();
        return here && there ? "yes" : $"NO (this thread {here}, another {there})";
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static string? Describe(object? value) => value!.ToString();

    private static bool NullDereferenceThrows()
    {
        try { Describe(null); return false; }
        catch (NullReferenceException) { return true; }
    }
}

internal static class FuzzCommand
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    public static int Run(string[] args, bool onUnikernel)
    {
        // --skip N,N,...: leave these call numbers out too (to narrow down which call a kernel bug needs).
        var skipped = new HashSet<long>();
        int skipAt = Array.IndexOf(args, "--skip");
        if (skipAt >= 0)
        {
            bool valid = skipAt + 1 < args.Length;
            foreach (string n in valid ? args[skipAt + 1].Split(',') : [])
                if (long.TryParse(n, out long nr)) skipped.Add(nr); else valid = false;
            if (!valid) { Console.Error.WriteLine("hostile: --skip takes a comma-separated list of system call numbers"); return 2; }
            args = args[..skipAt].Concat(args[(skipAt + 2)..]).ToArray();
        }
        if (args.Length is < 2 or > 3 || !ulong.TryParse(args[0], out ulong firstSeed) || !int.TryParse(args[1], out int count) || count < 0
            || !int.TryParse(args.Length == 3 ? args[2] : "1", out int seeds) || seeds < 1)
        {
            Console.Error.WriteLine("hostile: usage: hostile fuzz SEED COUNT [SEEDS] [--skip N,N,...] (SEED and COUNT non-negative integers, SEEDS at least 1)");
            return 2;
        }
        if (!onUnikernel)
        {
            Console.Error.WriteLine("hostile: fuzz runs only inside the unikernel (random system calls could change a real host)");
            return 2;
        }

        // First output before the resources: the runtime opens its console descriptor (a dup of 1) on first use, and
        // the fuzzer's sweep closes every descriptor that was not open when the resources were made.
        Console.Out.WriteLine($"fuzz: {seeds} seeds from {firstSeed}, {count} calls each{(skipped.Count > 0 ? ", skipping " + string.Join(',', skipped) : "")}");
        Console.Out.Flush();
        var resources = new FuzzResources();
        int total = 0;
        for (ulong seed = firstSeed; seed < firstSeed + (ulong)seeds; seed++)
        {
            var fuzzer = new SyscallFuzzer(seed, resources, skipped);
            FuzzSummary? summary = null;
            // The fuzzer's own thread, so that a call that never returns is seen by this one (the bound), which
            // reports it and ends the app with status 3.
            var thread = new Thread(() => summary = fuzzer.Run(count), 1 << 20) { IsBackground = true, Name = "fuzzer" };
            thread.Start();
            int last = -1;
            var still = Stopwatch.StartNew();
            while (!thread.Join(250))
            {
                int done = fuzzer.Completed;
                if (done != last) { last = done; still.Restart(); continue; }
                if (still.Elapsed < HangLimit) continue;
                Console.Out.WriteLine($"fuzz: seed {seed}: HANG after {done} calls in {fuzzer.Current}");
                Console.Out.Flush();
                return 3;
            }
            Console.Out.WriteLine(summary!.Format(seed));
            total += summary.Calls;
        }
        resources.Delete();
        Console.Out.WriteLine($"fuzz: {seeds} seeds, {total} calls");
        Console.Out.WriteLine($"fuzz: kernel healthy: {HealthCheck()}");
        return 0;
    }

    /// <summary>After the storm: files, pipes, threads, timers and the GC still work.</summary>
    private static string HealthCheck()
    {
        Sys.Call(95 /* umask */, 0x12);   // a random umask would make the check's own file unreadable
        string path = Path.Combine(Path.GetTempPath(), $"hostile-health-{Environment.ProcessId}");
        File.WriteAllText(path, "still here");
        bool file = File.ReadAllText(path) == "still here";
        File.Delete(path);
        int sum = 0;
        var worker = new Thread(() => { for (int i = 1; i <= 1000; i++) sum += i; });
        worker.Start();
        worker.Join();
        var clock = Stopwatch.StartNew();
        Thread.Sleep(20);
        bool slept = clock.ElapsedMilliseconds >= 15;
        GC.Collect();
        byte[][] garbage = Enumerable.Range(0, 100).Select(i => new byte[10_000]).ToArray();
        bool gc = garbage.All(g => g.Length == 10_000);
        return file && sum == 500_500 && slept && gc ? "yes" : $"NO (file {file}, thread {sum == 500_500}, sleep {slept}, gc {gc})";
    }
}
