using System.Diagnostics;
using System.Security.Cryptography;
using Unikernel.Tools.Export;

namespace Unikernel.Tools.Tests.Export;

/// <summary>Machines and external tools the export tests share.</summary>
public static class ExportTestSupport
{
    public static VmSpec Machine(string name = "hello", string commandLine = "GREETING=hi -- a \"b c\"", int cpus = 2)
        => new() { Name = name, MemoryBytes = 256UL << 20, Cpus = cpus, CommandLine = commandLine, ImageHash = SHA256.HashData("image"u8) };

    public static bool Installed(string path) => File.Exists(path);

    /// <summary>Runs a tool to its end (at most <paramref name="seconds"/>), returning its status and output.</summary>
    public static (int Status, string Out, string Error) Run(string program, IEnumerable<string> args, int seconds = 60, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (environment != null) foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(seconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{program} {string.Join(' ', args)} ran past {seconds} s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
