using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Unikernel.Tools.Qemu;

/// <summary>What a boot produced: the serial console text and the guest's exit status.</summary>
public sealed record BootResult(string Console, int ExitStatus, int QemuExitCode, bool TimedOut, TimeSpan WallTime)
{
    /// <summary>When each piece of console output arrived: (wall time since QEMU started, length of the output so far).</summary>
    public IReadOnlyList<(TimeSpan At, int Length)> Arrivals { get; init; } = [];

    /// <summary>Wall time from starting QEMU until <paramref name="text"/> had appeared on the console, or null.</summary>
    public TimeSpan? TimeUntil(string text)
    {
        int index = Console.IndexOf(text, StringComparison.Ordinal);
        if (index < 0) return null;
        foreach (var (at, length) in Arrivals)
            if (length > index) return at;
        return null;
    }
}

/// <summary>Boots an image in QEMU and reports the guest's exit status.</summary>
public static partial class QemuRunner
{
    /// <summary>Status reported when the guest ran out of time (as `timeout` does).</summary>
    public const int TimeoutStatus = 124;
    /// <summary>Status reported when the guest stopped without telling its status.</summary>
    public const int UnknownStatus = 255;

    /// <param name="onOutput">Called with console text as it arrives (and with QEMU's own stderr, unless <paramref name="onQemuError"/> is given).</param>
    /// <param name="onQemuError">Called with QEMU's own stderr (its error messages) as it arrives.</param>
    public static async Task<BootResult> RunAsync(QemuOptions options, TimeSpan timeout, Action<string>? onOutput = null,
                                                  CancellationToken cancellation = default, Action<string>? onQemuError = null)
    {
        if (!File.Exists(options.ImagePath)) throw new FileNotFoundException($"image not found: {options.ImagePath}", options.ImagePath);
        var start = new ProcessStartInfo(options.QemuExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in QemuCommand.BuildArguments(options)) start.ArgumentList.Add(a);

        var stopwatch = Stopwatch.StartNew();
        var arrivals = new List<(TimeSpan, int)>();
        using var process = new Process { StartInfo = start };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {options.QemuExecutable}: {e.Message} (install qemu-system-x86, or run 'make setup')", e);
        }
        process.StandardInput.Close();

        var console = new StringBuilder();
        var stderr = new StringBuilder();
        async Task Pump(StreamReader reader, StringBuilder sink, bool isConsole)
        {
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
            {
                var text = new string(buffer, 0, n);
                lock (sink)
                {
                    sink.Append(text);
                    if (isConsole) arrivals.Add((stopwatch.Elapsed, sink.Length));
                }
                if (isConsole || onQemuError is null) onOutput?.Invoke(text);
                else onQemuError(text);
            }
        }
        var pumps = Task.WhenAll(Pump(process.StandardOutput, console, true), Pump(process.StandardError, stderr, false));

        bool timedOut = false;
        using (var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
        {
            timeoutSource.CancelAfter(timeout);
            try { await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                timedOut = !cancellation.IsCancellationRequested;
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        await pumps.ConfigureAwait(false);
        stopwatch.Stop();

        // Keep the console text as the guest wrote it (CR LF included) so Arrivals' lengths index it.
        string text = console.ToString();
        if (stderr.Length > 0) text += stderr.ToString();
        int status = timedOut ? TimeoutStatus : GuestExitStatus(process.ExitCode, text);
        return new BootResult(text, status, process.ExitCode, timedOut, stopwatch.Elapsed) { Arrivals = arrivals };
    }

    /// <summary>
    /// isa-debug-exit turns the byte N the guest writes into QEMU exit code 2N+1; a guest that stopped
    /// another way (reset with -no-reboot) exits QEMU with 0, and then the kernel's "uk: exit status N"
    /// console line is the only witness. A process exit code has 8 bits, so 2N+1 loses N's top bit: a
    /// status of 128 or more (an app killed by a signal: 128 + signal) arrives as N - 128, and the console
    /// line, when it agrees on the low 7 bits, restores it.
    /// </summary>
    public static int GuestExitStatus(int qemuExitCode, string console)
    {
        var matches = ExitStatusLine().Matches(console);
        if ((qemuExitCode & 1) == 1)
        {
            int low = qemuExitCode >> 1;
            if (matches.Count > 0 && int.TryParse(matches[^1].Groups[1].Value, out int printed) && (printed & 0x7F) == low) return printed;
            return low;
        }
        if (qemuExitCode == 0 && matches.Count > 0) return int.Parse(matches[^1].Groups[1].Value);
        return qemuExitCode == 0 ? UnknownStatus : qemuExitCode;
    }

    [GeneratedRegex(@"^uk: exit status (\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex ExitStatusLine();
}
