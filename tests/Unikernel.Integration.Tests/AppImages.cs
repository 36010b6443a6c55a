using System.Diagnostics;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The sample apps, twice: as the image `make images` linked (kernel + app) and as the static Linux
/// executable the image was made from. Running both with the same arguments and environment is the
/// differential test: what the app prints and its exit status must not depend on which kernel ran it.
/// </summary>
public static class AppImages
{
    public static string Image(string app) => Existing(Path.Combine(KernelImages.RepositoryRoot, "artifacts", "images", app + ".img"));
    public static string LinuxExecutable(string app) => Existing(Path.Combine(KernelImages.RepositoryRoot, "artifacts", "apps", app, app));

    public static async Task<BootResult> BootAsync(string app, MachineKind machine, IReadOnlyList<string> args,
        IReadOnlyList<string>? environment = null, IReadOnlyList<string>? kernelOptions = null, string memory = "256M")
    {
        string cmdline = KernelCommandLine.Build(kernelOptions ?? [], environment ?? [], args);
        return await KernelImages.BootAsync(Image(app), machine, cmdline, memory: memory);
    }

    /// <summary>The app's own output in a guest console: every line that is not the kernel's ("uk: ...").</summary>
    public static List<string> AppLines(string console) =>
        console.Replace("\r", "").Split('\n').SkipLastEmpty().Where(l => !l.StartsWith("uk: ", StringComparison.Ordinal)).ToList();

    public static (List<string> Lines, int ExitStatus) RunOnLinux(string app, IReadOnlyList<string> args, IReadOnlyList<string>? environment = null)
    {
        var start = new ProcessStartInfo(LinuxExecutable(app)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment.Clear();
        foreach (string e in environment ?? [])
        {
            int eq = e.IndexOf('=');
            start.Environment[e[..eq]] = e[(eq + 1)..];
        }
        using var process = Process.Start(start)!;
        // Both streams go to one console in the guest; the apps write their errors last, so stdout then stderr.
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = stderrTask.Result;
        process.WaitForExit();
        var lines = (stdout + stderr).Replace("\r", "").Split('\n').SkipLastEmpty().ToList();
        return (lines, process.ExitCode);
    }

    private static IEnumerable<string> SkipLastEmpty(this string[] lines) =>
        lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run 'make build' first", path);
}
