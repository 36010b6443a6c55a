using System.Diagnostics;

namespace Unikernel.Linker.Tests;

/// <summary>Runs the real uk-ld executable: exit codes and the exact stderr contract.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    internal static (int ExitCode, string StdOut, string StdErr) Run(params string[] args)
    {
        string linker = Path.ChangeExtension(typeof(Linker).Assembly.Location, ".dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(linker);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr);
    }

    [Fact]
    public void SuccessfulLinkExitsZeroAndWritesImageAndMap()
    {
        string a = _harness.Write("a.o", LinkTests.Caller());
        string b = _harness.Write("b.o", LinkTests.Callee());

        var (exitCode, _, stderr) = Run("-o", _harness.OutputPath, "--map", _harness.MapPath, a, b);

        Assert.Equal("", stderr);
        Assert.Equal(0, exitCode);
        Assert.True(File.Exists(_harness.OutputPath));
        Assert.True(File.Exists(_harness.MapPath));
    }

    [Fact]
    public void FailedLinkPrintsOneLineAndExitsOne()
    {
        string a = _harness.Write("a.o", LinkTests.Caller());

        var (exitCode, _, stderr) = Run("-o", _harness.OutputPath, a);

        Assert.Equal(1, exitCode);
        Assert.Equal($"uk-ld: error: {a}: .text.boot+0x2: undefined symbol 'callee'\n", stderr);
        Assert.False(File.Exists(_harness.OutputPath));
    }

    [Fact]
    public void BadUsageIsAnError()
    {
        var (exitCode, _, stderr) = Run("--bogus");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("uk-ld: error: unknown option '--bogus'", stderr);
    }
}
