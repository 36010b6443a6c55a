using System.Diagnostics;
using System.Text;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// What a boot produced: the console (the app's output as it wrote it, the kernel's lines with their tag stripped, in
/// order, then QEMU's own stderr), the same split by who wrote it, and the guest's exit status or why it has none.
/// </summary>
public sealed record BootResult(string Console, int ExitStatus, int QemuExitCode, bool TimedOut, TimeSpan WallTime)
{
    /// <summary>When each piece of console output arrived: (wall time since QEMU started, length of the output so far).</summary>
    public IReadOnlyList<(TimeSpan At, int Length)> Arrivals { get; init; } = [];

    /// <summary>The console in order, each piece marked as the kernel's (an authenticated line) or the app's (any text).</summary>
    public IReadOnlyList<ConsoleText> Transcript { get; init; } = [];

    /// <summary>The kernel's own lines ("uk: ..."): only those that carried this boot's console tag.</summary>
    public IReadOnlyList<string> KernelLines => Transcript.Where(t => t.FromKernel).Select(t => t.Text).ToList();

    /// <summary>Everything that was not a kernel line: the app's stdout and stderr as written (and firmware output).</summary>
    public string AppOutput => string.Concat(Transcript.Where(t => !t.FromKernel).Select(t => t.Text));

    /// <summary>The boot's console secret (ConsoleTag): spent once the boot is over; tests check it never reached the app.</summary>
    public string ConsoleTag { get; init; } = "";

    /// <summary>QEMU's own stderr.</summary>
    public string QemuError { get; init; } = "";

    /// <summary>Why <see cref="ExitStatus"/> is not the guest's own (QEMU failed, no status, timeout), one line; null when it is.</summary>
    public string? Problem { get; init; }

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

/// <summary>A piece of the console: a kernel line (without tag or newline) or app text (as written).</summary>
public readonly record struct ConsoleText(bool FromKernel, string Text);

/// <summary>Boots an image in QEMU and reports the guest's exit status.</summary>
public static class QemuRunner
{
    /// <summary>Status reported when the guest ran out of time (as `timeout` does).</summary>
    public const int TimeoutStatus = GuestExit.TimedOut;

    /// <param name="onOutput">Called with console text as it arrives, kernel lines untagged (and with QEMU's own stderr, unless <paramref name="onQemuError"/> is given).</param>
    /// <param name="onQemuError">Called with QEMU's own stderr (its error messages) as it arrives.</param>
    /// <param name="onAppOutput">Called with the app's text as it arrives.</param>
    /// <param name="onKernelLine">Called with each authenticated kernel line.</param>
    public static async Task<BootResult> RunAsync(QemuOptions options, TimeSpan timeout, Action<string>? onOutput = null,
                                                  CancellationToken cancellation = default, Action<string>? onQemuError = null,
                                                  Action<string>? onAppOutput = null, Action<string>? onKernelLine = null)
    {
        if (!File.Exists(options.ImagePath)) throw new FileNotFoundException($"image not found: {options.ImagePath}", options.ImagePath);
        options = options with { ConsoleTag = options.ConsoleTag ?? ConsoleTag.New() };
        var start = new ProcessStartInfo(options.BoundToParent ? ParentBinding.SetPriv : options.QemuExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (options.BoundToParent) foreach (var a in ParentBinding.Prefix(options.QemuExecutable)) start.ArgumentList.Add(a);
        foreach (var a in QemuCommand.BuildArguments(options)) start.ArgumentList.Add(a);

        var stopwatch = Stopwatch.StartNew();
        var arrivals = new List<(TimeSpan, int)>();
        var transcript = new List<ConsoleText>();
        var console = new StringBuilder();
        var stderr = new StringBuilder();
        // The router calls back under its own lock, one piece at a time, in console order.
        Action<string> appPiece =
            app =>
            {
                lock (console) { transcript.Add(new ConsoleText(false, app)); console.Append(app); arrivals.Add((stopwatch.Elapsed, console.Length)); }
                onAppOutput?.Invoke(app);
                onOutput?.Invoke(app);
            };
        // An image linked with its function table beside it (IMAGE.syms): the kernel's fault reports get their names here.
        var symbolizer = options.NameFaultAddresses && options.Disk is null
            ? FaultSymbolizer.ForImage(options.ImagePath, problem => (onQemuError ?? onOutput)?.Invoke($"uk: note: {problem}; fault reports keep bare addresses\n"))
            : null;
        Action<string> kernelLine =
            line =>
            {
                if (symbolizer is not null) line = symbolizer.Symbolize(line);
                lock (console) { transcript.Add(new ConsoleText(true, line)); console.Append(line).Append("\r\n"); arrivals.Add((stopwatch.Elapsed, console.Length)); }
                onKernelLine?.Invoke(line);
                onOutput?.Invoke(line + "\r\n");
            };
        // Through firmware, what comes before the kernel's first line is the firmware's and the loader's, not the app's:
        // on a disk boot, and on pc and q35 even with -kernel (SeaBIOS prints its banner and "Booting from ROM.." on the
        // serial port before its option ROM starts the kernel). Only microvm starts the kernel with nothing before it.
        var prelude = options.Disk is null && options.Machine == MachineKind.Microvm ? null : new FirmwarePrelude(appPiece, kernelLine);
        var router = new ConsoleRouter(options.ConsoleTag, prelude is null ? appPiece : prelude.App, prelude is null ? kernelLine : prelude.Kernel);

        using var process = new Process { StartInfo = start };
        // The thread that starts QEMU must live as long as uk: PR_SET_PDEATHSIG fires when the thread that forked the
        // child ends, not the process. Everything before the first await runs on the caller's thread (uk's main thread).
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {start.FileName}: {e.Message} (install qemu-system-x86{(options.BoundToParent ? " and util-linux" : "")}, or run 'make setup')", e);
        }
        process.StandardInput.Close();

        async Task Pump(StreamReader reader, bool isConsole)
        {
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
            {
                var text = new string(buffer, 0, n);
                if (isConsole) { router.Write(text); continue; }
                lock (stderr) stderr.Append(text);
                if (onQemuError is null) onOutput?.Invoke(text);
                else onQemuError(text);
            }
        }
        var pumps = Task.WhenAll(Pump(process.StandardOutput, true), Pump(process.StandardError, false));

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
        router.Complete();
        prelude?.Complete();
        stopwatch.Stop();

        var kernelLines = transcript.Where(t => t.FromKernel).Select(t => t.Text).ToList();
        var exit = timedOut ? new GuestExit(TimeoutStatus, $"the guest did not finish within {timeout.TotalSeconds:0.###} s")
                            : GuestExit.Decode(process.ExitCode, kernelLines, stderr.ToString());
        string text = console.ToString() + stderr;
        return new BootResult(text, exit.Status, process.ExitCode, timedOut, stopwatch.Elapsed)
        {
            Arrivals = arrivals, Transcript = transcript, QemuError = stderr.ToString(), Problem = exit.Problem, ConsoleTag = options.ConsoleTag,
        };
    }
}
