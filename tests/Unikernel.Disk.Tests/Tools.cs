using System.Diagnostics;

namespace Unikernel.Disk.Tests;

/// <summary>Runs a real tool (sgdisk, fsck.fat, mtools, qemu-img) on bytes written to a temporary file, as an oracle;
/// the test is skipped when the tool is not installed (`make setup` installs them).</summary>
internal static class Tools
{
    public static string? Find(string name)
        => new[] { "/usr/bin", "/usr/sbin", "/bin", "/sbin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>Writes <paramref name="bytes"/> to a temporary file, runs <paramref name="tool"/> with
    /// <paramref name="arguments"/> ({0} is the file) and returns stdout and stderr; fails on a non-zero status.</summary>
    public static string Run(string tool, string arguments, byte[] bytes, bool allowFailure = false)
    {
        string? exe = Find(tool);
        Skip.If(exe is null, $"{tool} is not installed (make setup)");
        string file = Path.Combine(Path.GetTempPath(), $"uk-disk-test-{Guid.NewGuid():N}.img");
        try
        {
            File.WriteAllBytes(file, bytes);
            return RunExe(exe!, string.Format(arguments, file), allowFailure);
        }
        finally { File.Delete(file); }
    }

    public static string RunExe(string exe, string arguments, bool allowFailure = false)
    {
        var start = new ProcessStartInfo(exe, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["MTOOLS_SKIP_CHECK"] = "1";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        string text = stdout.Result + stderr;
        if (!allowFailure) Assert.True(p.ExitCode == 0, $"{exe} {arguments} exited {p.ExitCode}:\n{text}");
        return text;
    }
}
