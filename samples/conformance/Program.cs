// The conformance app: the same static executable runs on Linux and inside the unikernel, and a test
// compares the two outputs line by line.
//
// Output format
// - Every line on standard output is "section: result". Results are deterministic: no timings, addresses,
//   thread ids or dates; where time matters the app prints a derived boolean ("elapsed >= 45 ms: True").
//   Everything is printed by the main thread, in a fixed order.
// - Lines that legitimately differ between Linux and the unikernel start with "env-specific: " (processor
//   count, OS description, temp path, ...). A test skips them in the line-by-line comparison and checks
//   them on their own; the processor count is "env-specific: processors: N".
// - Standard error gets exactly one line in the default mode ("stderr: ..."), plus the full exception of
//   any section that failed unexpectedly.
// - A section that throws unexpectedly prints "<section>: UNEXPECTED <type>: <message>" and the run goes on;
//   the run then ends with "failed sections: N" before "done" and exits 1 instead of 42.
//
// Modes (first argument; README.md has what each proves and what Linux does):
//   conformance (default)  everything below, then "done"; exit code 42
//   cpu-spin               a thread spins forever while the main thread sleeps 5 x 100 ms; "preemption: ok", exit 0
//   gc-under-load          a thread spins without calling the runtime while the main thread runs GC.Collect()
//                          10 times; "gc while spinning: ok", exit 0
//   oom [limit-MiB]        allocates and touches 1 MiB arrays, progress every 64 MiB; stops at 2 GiB with
//                          "oom: not reached" (exit 0), or "oom: OutOfMemoryException after N MiB" (exit 3)
//   null-wild [high|low|null]  writes through a wild pointer; see README.md (on Linux: high and low end in
//                          FailFast, SIGABRT, exit status 134; null is a caught NullReferenceException, exit 0)
//   file-watcher           only the "watcher" section (FileSystemWatcher, inotify); exit 0
//   process-info [args...] Process/Environment figures, /proc/self, /etc/passwd, Process.Start of missing
//                          programs (ProcessInfo.cs); "process-info: ok", exit 0
//   environment            every environment entry ("environment: NAME=VALUE", sorted, escaped) and whether stdin,
//                          stdout and stderr are redirected (not a terminal); exit 0 (EnvironmentAndConsole.cs)
//   log-lines COUNT MS     COUNT numbered lines, one every MS ms, on stdout and (every third) stderr, some written in
//                          two pieces; "log-lines: done"; exit 0 (LogLines.cs; the central-logs tests)
//   sigterm [status|ignore] waits for SIGTERM (PosixSignalRegistration), then exits with status (default 0); with
//                          `ignore` it keeps running (Shutdown.cs)
//   anything else          usage on standard error, exit 2
using System.Runtime.CompilerServices;

namespace Conformance;

public static class Program
{
    public const int ConformanceExitCode = 42;

    public static int Main(string[] args)
    {
        Opaque.Initialize(args.Length);
        string mode = args.Length > 0 ? args[0] : "conformance";
        switch (mode)
        {
            case "conformance": return RunAll(args);
            case "cpu-spin": return Modes.CpuSpin();
            case "gc-under-load": return Modes.GcUnderLoad();
            case "oom" when args.Length == 1: return Modes.Oom(2048);
            case "oom" when int.TryParse(args[1], out int limitMiB) && limitMiB > 0: return Modes.Oom(limitMiB);
            case "null-wild" when args.Length == 1: return Modes.NullWild("high");
            case "null-wild" when args[1] is "high" or "low" or "null": return Modes.NullWild(args[1]);
            case "unhandled": return Modes.Unhandled();
            case "file-watcher": Report.Section("watcher", FileWatching.Run); return Report.Failures == 0 ? 0 : 1;
            case "process-info": return ProcessInfo.Run(args);
            case "environment": return EnvironmentAndConsole.Run();
            case "log-lines" when args.Length == 3 && int.TryParse(args[1], out int count) && count > 0
                                  && int.TryParse(args[2], out int intervalMs) && intervalMs >= 0:
                return LogLines.Run(count, intervalMs);
            case "sigterm" when args.Length == 1: return Shutdown.Run(0, ignore: false);
            case "sigterm" when args[1] == "ignore": return Shutdown.Run(0, ignore: true);
            case "sigterm" when int.TryParse(args[1], out int status) && status is >= 0 and <= 255: return Shutdown.Run(status, ignore: false);
            default: return Usage();
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: conformance [conformance [args...] | cpu-spin | gc-under-load | oom [limit-MiB] | null-wild [high|low|null] | unhandled | file-watcher | process-info [args...] | environment | log-lines COUNT MS | sigterm [status|ignore]]");
        return 2;
    }

    private static int RunAll(string[] args)
    {
        Report.Section("console", Basics.ConsoleOutput);
        Report.Section("args", () => Basics.Arguments(args));
        Report.Section("env", Basics.EnvironmentVariables);
        Report.Section("platform", Basics.Platform);
        Report.Section("threads", Threading.Threads);
        Report.Section("sync", Threading.Synchronization);
        Report.Section("tasks", Threading.Tasks);
        Report.Section("parallel", Threading.ParallelLoops);
        Report.Section("timers", Threading.Timers);
        Report.Section("time", Threading.Time);
        Report.Section("gc", Memory.GcStress);
        Report.Section("gc-misc", Memory.GcMisc);
        Report.Section("finalizers", Memory.Finalizers);
        Report.Section("exceptions", Exceptions.Nested);
        Report.Section("hw-exceptions", Exceptions.Hardware);
        Report.Section("recursion", Exceptions.Recursion);
        Report.Section("collections", Library.Collections);
        Report.Section("linq", Library.Linq);
        Report.Section("text", Library.Text);
        Report.Section("format", Library.Formatting);
        Report.Section("json", Library.Json);
        Report.Section("random", Library.Randomness);
        Report.Section("files", Files.Run);
        Report.Section("watcher", FileWatching.Run);

        if (Report.Failures > 0) Report.Line("failed sections", Report.Failures);
        Report.Line("done", Report.Failures == 0 ? "exit code " + ConformanceExitCode : "exit code 1");
        return Report.Failures == 0 ? ConformanceExitCode : 1;
    }
}

/// <summary>The output format of the file header: "section: result" lines, all written by the main thread.</summary>
public static class Report
{
    public static int Failures { get; private set; }

    public static void Line(string section, object? result) =>
        Console.Out.WriteLine(section + ": " + Format(result));

    /// <summary>A line that may differ between Linux and the unikernel (the test compares it separately).</summary>
    public static void EnvSpecific(string what, object? value) =>
        Console.Out.WriteLine("env-specific: " + what + ": " + Format(value));

    public static void Section(string name, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            Failures++;
            Line(name, $"UNEXPECTED {e.GetType().FullName}: {e.Message}");
            Console.Error.WriteLine($"section {name} failed: {e}");
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "(null)",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "(null)",
    };
}

/// <summary>Values the compiler cannot fold: read through a volatile field at run time.</summary>
public static class Opaque
{
    private static int s_zero;
    private static int s_minusOne = -1;
    private static object? s_null;

    /// <summary>Written at start-up, so that no compiler can treat the fields as constants.</summary>
    public static void Initialize(int argumentCount)
    {
        Volatile.Write(ref s_zero, argumentCount * 0);
        Volatile.Write(ref s_minusOne, argumentCount * 0 - 1);
        Volatile.Write(ref s_null, null);
    }

    public static int Zero => Volatile.Read(ref s_zero);
    public static int MinusOne => Volatile.Read(ref s_minusOne);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T? Null<T>() where T : class => (T?)Volatile.Read(ref s_null);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Identity<T>(T value) => value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Int(int value) => value + Zero;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void* Pointer(ulong address) => (void*)(address + (ulong)Zero);
}
