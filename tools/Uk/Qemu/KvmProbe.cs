using System.Text;
using System.Text.Json;

namespace Unikernel.Tools.Qemu;

/// <summary>What a probe found out about KVM on this host (and when, for which host state).</summary>
public sealed record KvmVerdict(bool Works, string Reason, string Fingerprint, DateTimeOffset CheckedAt);

/// <summary>What `--accel auto` chose, and why.</summary>
public sealed record AcceleratorChoice(Accelerator Accelerator, string Reason, bool Probed);

/// <summary>The host facts the accelerator decision needs; the real one is <see cref="KvmHost"/>, tests use fakes.</summary>
public interface IKvmHost
{
    /// <summary>Why /dev/kvm cannot be used at all (missing, no permission), or null when it opens read-write.</summary>
    string? DeviceProblem();
    /// <summary>Identifies the state a verdict holds for: this boot of the host and this QEMU.</summary>
    string Fingerprint();
    KvmVerdict? LoadVerdict();
    void SaveVerdict(KvmVerdict verdict);
    /// <summary>Boots <see cref="ProbeGuest"/> under KVM.</summary>
    KvmVerdict Probe(string fingerprint);
}

/// <summary>
/// `--accel auto`: KVM only where it actually runs our guests. /dev/kvm existing is not enough: on some hosts it is an
/// instruction emulator that stops at the first SSE instruction (docs/field-notes). So: /dev/kvm must open read-write,
/// and a tiny guest (<see cref="ProbeGuest"/>) must run to its end under KVM; the verdict is cached per host boot and
/// QEMU binary (~/.cache/uk/kvm-verdict.json), so the probe costs once. Anything else: TCG.
/// </summary>
public static class AcceleratorChooser
{
    public static AcceleratorChoice Choose(Accelerator requested, IKvmHost host)
    {
        switch (requested)
        {
            case Accelerator.Kvm: return new(Accelerator.Kvm, "asked for with --accel kvm", false);
            case Accelerator.Tcg: return new(Accelerator.Tcg, "asked for with --accel tcg", false);
        }
        if (host.DeviceProblem() is { } problem) return new(Accelerator.Tcg, problem, false);
        string fingerprint = host.Fingerprint();
        if (host.LoadVerdict() is { } cached && cached.Fingerprint == fingerprint)
            return new(cached.Works ? Accelerator.Kvm : Accelerator.Tcg, cached.Reason, false);
        var verdict = host.Probe(fingerprint);
        host.SaveVerdict(verdict);
        return new(verdict.Works ? Accelerator.Kvm : Accelerator.Tcg, verdict.Reason, true);
    }
}

/// <summary>The real host: /dev/kvm, /proc's boot id, the QEMU binary, the cache directory, a QEMU run.</summary>
public sealed class KvmHost(string qemuExecutable, string cacheDirectory) : IKvmHost
{
    public const string DevicePath = "/dev/kvm";
    public const string CacheFileName = "kvm-verdict.json";
    private const string ProbeVersion = "probe-1";

    public static TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public static KvmHost Default { get; } = new("qemu-system-x86_64", DefaultCacheDirectory());

    public string CachePath => Path.Combine(cacheDirectory, CacheFileName);

    /// <summary>$XDG_CACHE_HOME/uk, else ~/.cache/uk.</summary>
    public static string DefaultCacheDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "uk");
    }

    public string? DeviceProblem()
    {
        if (!File.Exists(DevicePath)) return $"no {DevicePath}";
        try
        {
            using var device = new FileStream(DevicePath, FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (UnauthorizedAccessException) { return $"{DevicePath} is not accessible (join the kvm group)"; }
        catch (IOException e) { return $"{DevicePath} does not open: {e.Message}"; }
    }

    public string Fingerprint()
    {
        string boot = TryRead("/proc/sys/kernel/random/boot_id")?.Trim() ?? "unknown-boot";
        string qemu = ResolveExecutable(qemuExecutable) is { } path && File.Exists(path)
            ? $"{path}:{new FileInfo(path).Length}:{File.GetLastWriteTimeUtc(path).Ticks}" : qemuExecutable;
        return $"{ProbeVersion}|{boot}|{qemu}";
    }

    public KvmVerdict? LoadVerdict()
    {
        try { return File.Exists(CachePath) ? JsonSerializer.Deserialize<KvmVerdict>(File.ReadAllText(CachePath)) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    public void SaveVerdict(KvmVerdict verdict)
    {
        try
        {
            Directory.CreateDirectory(cacheDirectory);
            string temp = CachePath + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(verdict, new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, CachePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* no cache: probe again next time */ }
    }

    public KvmVerdict Probe(string fingerprint)
    {
        string guest = Path.Combine(Path.GetTempPath(), $"uk-kvm-probe-{Environment.ProcessId}.elf");
        try
        {
            File.WriteAllBytes(guest, ProbeGuest.Build());
            var options = new QemuOptions
            {
                ImagePath = guest, Machine = MachineKind.Microvm, Accelerator = Accelerator.Kvm, Memory = "16M", QemuExecutable = qemuExecutable,
            };
            using var stop = new CancellationTokenSource();
            var output = new StringBuilder();
            void Watch(string text)
            {
                lock (output)
                {
                    output.Append(text);
                    // QEMU does not exit on these: it pauses the guest. Stop it at once.
                    if (output.ToString().Contains("KVM internal error", StringComparison.Ordinal)) stop.Cancel();
                }
            }
            BootResult result;
            try { result = QemuRunner.RunAsync(options, ProbeTimeout, Watch, stop.Token).GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { result = new BootResult(output.ToString(), -1, -1, false, TimeSpan.Zero); }
            return Interpret(result, fingerprint, DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return new KvmVerdict(false, $"the KVM probe could not run: {e.Message}", fingerprint, DateTimeOffset.UtcNow);
        }
        finally
        {
            try { File.Delete(guest); } catch (IOException) { }
        }
    }

    /// <summary>Turns a probe boot into a verdict.</summary>
    public static KvmVerdict Interpret(BootResult result, string fingerprint, DateTimeOffset at)
    {
        if (!result.TimedOut && result.ExitStatus == ProbeGuest.ExpectedStatus)
            return new KvmVerdict(true, "KVM runs guests here (probe guest ran under KVM)", fingerprint, at);
        string why;
        if (result.Console.Contains("KVM internal error", StringComparison.Ordinal))
            why = "KVM internal error on an SSE instruction (an emulating /dev/kvm)";
        else if (result.TimedOut)
            why = "the probe guest did not finish under KVM";
        else
        {
            string firstLine = result.Console.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
            why = firstLine.Length > 0 ? firstLine : $"QEMU exited with {result.QemuExitCode}";
        }
        return new KvmVerdict(false, $"/dev/kvm cannot run our guests: {why}", fingerprint, at);
    }

    private static string? ResolveExecutable(string name)
    {
        if (name.Contains('/')) return Path.GetFullPath(name);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string? TryRead(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
