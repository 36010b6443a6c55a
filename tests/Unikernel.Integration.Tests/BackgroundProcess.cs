using System.Diagnostics;
using System.Text;

namespace Unikernel.Integration.Tests;

/// <summary>
/// A command-line program running in the background (the built `uk` CLI, the Linux build of a sample app), whose output
/// the test can wait on; disposing it kills its process tree (uk's QEMU included).
/// </summary>
internal sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _pumps;

    private BackgroundProcess(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        _process = Process.Start(start)!;
        _process.StandardInput.Close();
        _pumps = Task.WhenAll(Pump(_process.StandardOutput), Pump(_process.StandardError));
    }

    /// <summary>The built uk CLI (artifacts/dotnet/bin/Uk/release/uk.dll, from `make build`) with <paramref name="args"/>.</summary>
    public static BackgroundProcess Uk(IEnumerable<string> args)
    {
        string uk = Path.Combine(KernelImages.RepositoryRoot, "artifacts", "dotnet", "bin", "Uk", "release", "uk.dll");
        if (!File.Exists(uk)) throw new FileNotFoundException($"{uk} is missing: run 'make build' first", uk);
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(uk);
        foreach (string a in args) start.ArgumentList.Add(a);
        return new BackgroundProcess(start);
    }

    /// <summary>A program with exactly <paramref name="environment"/> (KEY=VALUE) as its environment, as the guest gets,
    /// started in <paramref name="workingDirectory"/> (default: the test's).</summary>
    public static BackgroundProcess Start(string program, IEnumerable<string> args, IEnumerable<string> environment,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory ?? "" };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment.Clear();
        foreach (string e in environment) start.Environment[e[..e.IndexOf('=')]] = e[(e.IndexOf('=') + 1)..];
        return new BackgroundProcess(start);
    }

    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;

    /// <summary>The exit status, once the process has ended within <paramref name="timeLimit"/>; null if it has not.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeLimit)
    {
        using var limit = new CancellationTokenSource(timeLimit);
        try { await _process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException) { return null; }
        await _pumps;
        return _process.ExitCode;
    }

    private async Task Pump(StreamReader reader)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            lock (_output) _output.Append(buffer, 0, n);
    }

    public async Task WaitForAsync(string text, TimeSpan timeLimit)
    {
        var deadline = Stopwatch.StartNew();
        while (!Output.Contains(text))
        {
            if (_process.HasExited)
            {
                await _pumps;
                throw new Xunit.Sdk.XunitException($"{_process.StartInfo.FileName} exited ({_process.ExitCode}) before \"{text}\"\n{Output}");
            }
            if (deadline.Elapsed > timeLimit) throw new Xunit.Sdk.XunitException($"no \"{text}\" after {timeLimit.TotalSeconds} s\n{Output}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        await _pumps;
        _process.Dispose();
    }
}
