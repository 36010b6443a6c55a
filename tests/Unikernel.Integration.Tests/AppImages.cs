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
        IReadOnlyList<string>? environment = null, IReadOnlyList<string>? kernelOptions = null, string memory = "256M",
        QemuNetwork? network = null, IReadOnlyList<string>? qemuArguments = null, int cpus = 1, TimeSpan? timeout = null)
    {
        string cmdline = KernelCommandLine.Build(kernelOptions ?? [], environment ?? [], args);
        return await KernelImages.BootAsync(Image(app), machine, cmdline, memory: memory, network: network, qemuArguments: qemuArguments,
                                            cpus: cpus, timeout: timeout);
    }

    /// <summary>
    /// The app's own output in a guest console, in lines: everything after the kernel's "uk: ready" line (before it, the
    /// firmware and the boot report) that was not a kernel line -- the kernel's lines are those that carried the boot's
    /// console tag (QemuRunner), so an app line that starts with "uk: " is still the app's.
    /// </summary>
    public static List<string> AppLines(BootResult boot)
    {
        int ready = -1;
        for (int i = 0; i < boot.Transcript.Count && ready < 0; i++)
            if (boot.Transcript[i] is { FromKernel: true, Text: "uk: ready" }) ready = i;
        string app = string.Concat(boot.Transcript.Skip(ready + 1).Where(t => !t.FromKernel).Select(t => t.Text));
        return app.Replace("\r", "").Split('\n').SkipLastEmpty().ToList();
    }

    /// <param name="cpuList">Run it on these host CPUs only (taskset's list, "0-1"), as a guest with that many vCPUs runs.</param>
    public static (List<string> Lines, int ExitStatus) RunOnLinux(string app, IReadOnlyList<string> args, IReadOnlyList<string>? environment = null,
                                                                   string? cpuList = null)
    {
        // One pipe for stdout and stderr, as in the guest where both go to the serial console, so the lines
        // keep the order the app wrote them in.
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(cpuList is null ? "exec \"$0\" \"$@\" 2>&1" : $"exec taskset -c {cpuList} \"$0\" \"$@\" 2>&1");
        start.ArgumentList.Add(LinuxExecutable(app));
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment.Clear();
        foreach (string e in environment ?? [])
        {
            int eq = e.IndexOf('=');
            start.Environment[e[..eq]] = e[(eq + 1)..];
        }
        using var process = Process.Start(start)!;
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
