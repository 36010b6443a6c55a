using System.Diagnostics;
using System.Text;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>What one run of a process (QEMU, or the app itself) produced, and when.</summary>
public sealed record TimedRun(string Output, int ExitCode, bool TimedOut, TimeSpan WallTime, IReadOnlyList<(TimeSpan At, int Length)> Arrivals)
{
    /// <summary>Wall time from starting the process until <paramref name="text"/> had appeared in its output, or null.</summary>
    public TimeSpan? TimeUntil(string text)
    {
        int index = Output.IndexOf(text, StringComparison.Ordinal);
        if (index < 0) return null;
        foreach (var (at, length) in Arrivals)
            if (length > index) return at;
        return null;
    }
}

/// <summary>
/// Starts a process and timestamps its output as it arrives (stdout and stderr in one stream, as on a
/// serial console), like tools/Uk's QemuRunner, for any command line: the Linux microVM needs -initrd,
/// which QemuOptions has no field for, and the native run is not QEMU at all.
/// </summary>
public static class TimedProcess
{
    /// <param name="stopAfter">Stop the process once this text has appeared in its output (a server that never exits);
    /// the run then counts as complete, not timed out.</param>
    public static TimedRun Run(string file, IEnumerable<string> arguments, TimeSpan timeout, bool clearEnvironment = false, string? stopAfter = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (clearEnvironment) start.Environment.Clear();

        var output = new StringBuilder();
        var arrivals = new List<(TimeSpan, int)>();
        var seen = new TaskCompletionSource();
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        async Task Pump(StreamReader reader)
        {
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                lock (output)
                {
                    output.Append(buffer, 0, n);
                    arrivals.Add((stopwatch.Elapsed, output.Length));
                    if (stopAfter != null && output.ToString().Contains(stopAfter, StringComparison.Ordinal)) seen.TrySetResult();
                }
        }
        var pumps = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
        var exited = process.WaitForExitAsync();
        bool stopped = Task.WaitAny([exited, seen.Task], timeout) == 1;
        bool timedOut = !exited.IsCompleted && !stopped;
        if (!exited.IsCompleted)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
        }
        var wall = stopwatch.Elapsed;
        pumps.Wait();
        return new TimedRun(output.ToString(), process.ExitCode, timedOut, wall, arrivals);
    }
}
