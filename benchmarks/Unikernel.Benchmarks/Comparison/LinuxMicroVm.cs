using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// The Linux side of the comparison: Debian's cloud kernel (linux-image-cloud-amd64) booted as a PVH vmlinux
/// on the same QEMU machine as our image, with an initramfs holding our C# /init (benchmarks/LinuxInit) and
/// the very executable our image embeds. Everything it needs is fetched or built here, under
/// artifacts/bench/linux: the kernel package (apt-get download + dpkg-deb -x, unless a cloud kernel is
/// installed in /boot), the vmlinux extracted from its bzImage, /init published with our linker, and one
/// initramfs per app.
/// </summary>
public sealed partial class LinuxMicroVm
{
    private const string Package = "linux-image-cloud-amd64";

    public required string Directory { get; init; }
    public required string BzImagePath { get; init; }
    public required string VmlinuxPath { get; init; }
    public required string KernelRelease { get; init; }
    public required string InitPath { get; init; }
    /// <summary>The kernel's modules (lib/modules/RELEASE of the package, or of the host for an installed kernel).</summary>
    public required string ModulesDirectory { get; init; }

    /// <summary>
    /// The modules the network needs on the microvm machine, in load order (each after those it depends on, as
    /// their modinfo "depends=" says): Debian's cloud kernel builds virtio, its MMIO transport and virtio-net as
    /// modules, and the microvm's virtio-mmio devices are found through ACPI once virtio_mmio is loaded.
    /// </summary>
    public static readonly string[] NetworkModules =
    [
        "drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko", "drivers/virtio/virtio_mmio.ko",
        "net/core/failover.ko", "drivers/net/net_failover.ko", "drivers/net/virtio_net.ko",
    ];

    /// <summary>
    /// The kernel command line, tuned for boot speed under TCG as far as is fair (docs/benchmarks.md): a
    /// serial console, no boot messages, reboot at once on panic; tsc_early_khz hands Linux the TSC
    /// frequency, which it cannot calibrate reliably under TCG (without it, it hangs at "Marking TSC unstable"),
    /// and tsc=reliable/no_timer_check skip the clocksource watchdog and the timer check that TCG upsets; the
    /// rest skips probes of hardware the microvm machine does not have (EDD, the i8042 keyboard controller,
    /// the CMOS RTC driver) and the crypto self-tests.
    /// </summary>
    public static string CommandLine(long tscKhz) =>
        $"console=ttyS0 quiet panic=-1 tsc_early_khz={tscKhz} tsc=reliable no_timer_check edd=off " +
        "i8042.noaux i8042.nokbd i8042.nopnp initcall_blacklist=cmos_init cryptomgr.notests";

    public static LinuxMicroVm Prepare(string root, TextWriter log)
    {
        string directory = Path.Combine(root, "artifacts", "bench", "linux");
        System.IO.Directory.CreateDirectory(directory);
        string bzImage = FindInstalledKernel() ?? DownloadKernel(directory, log);
        string release = Path.GetFileName(bzImage)["vmlinuz-".Length..];
        string modules = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(bzImage))!, "lib", "modules", release);
        if (bzImage.StartsWith("/boot/", StringComparison.Ordinal)) modules = Path.Combine("/lib/modules", release);

        string vmlinux = Path.Combine(directory, $"vmlinux-{release}");
        if (!File.Exists(vmlinux) || File.GetLastWriteTimeUtc(vmlinux) < File.GetLastWriteTimeUtc(bzImage))
        {
            var bytes = File.ReadAllBytes(bzImage);
            var payload = BzImage.FindPayload(bytes);
            var stopwatch = Stopwatch.StartNew();
            var elf = BzImage.ExtractVmlinux(bytes);
            File.WriteAllBytes(vmlinux, elf);
            log.WriteLine($"linux: {bzImage} ({bytes.Length:N0} B, {payload.Format} payload of {payload.Length:N0} B) -> {vmlinux} ({elf.Length:N0} B, PVH note present) in {stopwatch.ElapsedMilliseconds} ms");
        }

        string initDirectory = Path.Combine(directory, "init");
        Exec("dotnet", ["publish", Path.Combine(root, "benchmarks", "LinuxInit"), "-c", "Release", "-nologo", "-v:quiet",
                        $"-p:ArtifactsPath={Path.Combine(directory, "init-build")}", "-o", initDirectory], log);
        return new LinuxMicroVm
        {
            Directory = directory, BzImagePath = bzImage, VmlinuxPath = vmlinux, KernelRelease = release,
            InitPath = Path.Combine(initDirectory, "init"), ModulesDirectory = modules,
        };
    }

    /// <summary>The initramfs for one app: /init, the app as /app, the directories the app and /init use, and
    /// the device nodes a program expects without devtmpfs (the kernel opens /dev/console for /init). With
    /// <paramref name="network"/>, also <see cref="NetworkModules"/> as /modules/N-name.ko, which /init loads in name order.</summary>
    public (string Path, long InitBytes, long AppBytes) Initramfs(string appName, string appPath, bool network = false)
    {
        byte[] init = File.ReadAllBytes(InitPath), app = File.ReadAllBytes(appPath);
        var cpio = new Cpio()
            .Directory("dev").Directory("proc").Directory("sys").Directory("tmp", 0x3ff)
            .CharacterDevice("dev/console", 5, 1, 0x180)
            .CharacterDevice("dev/null", 1, 3).CharacterDevice("dev/zero", 1, 5)
            .CharacterDevice("dev/random", 1, 8).CharacterDevice("dev/urandom", 1, 9)
            .File("init", init, 0x1ed)
            .File("app", app, 0x1ed);
        if (network)
        {
            cpio.Directory("modules");
            for (int i = 0; i < NetworkModules.Length; i++)
                cpio.File($"modules/{i}-{Path.GetFileName(NetworkModules[i])}", File.ReadAllBytes(Path.Combine(ModulesDirectory, "kernel", NetworkModules[i])), 0x1a4);
        }
        string path = Path.Combine(Directory, $"initramfs-{appName}.cpio.gz");
        File.WriteAllBytes(path, cpio.ToGzip());
        return (path, init.Length, app.Length);
    }

    private static string? FindInstalledKernel() =>
        System.IO.Directory.Exists("/boot")
            ? System.IO.Directory.GetFiles("/boot", "vmlinuz-*-cloud-amd64").Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    /// <summary>
    /// The package the metapackage points at, fetched with apt-get and unpacked with dpkg-deb: the same
    /// files `apt-get install linux-image-cloud-amd64` puts in /boot, without running initramfs-tools
    /// (a Debian initrd is not what we boot) or changing the machine.
    /// </summary>
    private static string DownloadKernel(string directory, TextWriter log)
    {
        string depends = Exec("apt-cache", ["depends", Package], log, quiet: true);
        string? versioned = DependsLine().Match(depends) is { Success: true } m ? m.Groups[1].Value : null;
        if (versioned == null)
        {
            Exec("apt-get", ["update", "-qq"], log);
            depends = Exec("apt-cache", ["depends", Package], log, quiet: true);
            versioned = DependsLine().Match(depends) is { Success: true } again ? again.Groups[1].Value
                : throw new InvalidOperationException($"apt-cache knows no {Package}: is this Debian with the main archive?");
        }
        string unpacked = Path.Combine(directory, versioned);
        string? present = System.IO.Directory.Exists(Path.Combine(unpacked, "boot"))
            ? System.IO.Directory.GetFiles(Path.Combine(unpacked, "boot"), "vmlinuz-*").FirstOrDefault() : null;
        if (present != null) return present;

        string downloads = Path.Combine(directory, "deb");
        System.IO.Directory.CreateDirectory(downloads);
        log.WriteLine($"linux: apt-get download {versioned}");
        try { Exec("apt-get", ["download", versioned], log, workingDirectory: downloads); }
        catch (InvalidOperationException)
        {
            Exec("apt-get", ["update", "-qq"], log);
            Exec("apt-get", ["download", versioned], log, workingDirectory: downloads);
        }
        string deb = System.IO.Directory.GetFiles(downloads, versioned + "_*.deb").Single();
        Exec("dpkg-deb", ["-x", deb, unpacked], log);
        return System.IO.Directory.GetFiles(Path.Combine(unpacked, "boot"), "vmlinuz-*").Single();
    }

    /// <summary>The host's TSC frequency in kHz, which QEMU's TCG passes through to the guest's RDTSC (without
    /// -icount): Linux's own figure in /proc/cpuinfo ("cpu MHz", exact where the CPU has constant_tsc and
    /// tsc_known_freq). Under -icount shift=0 the guest's TSC counts virtual nanoseconds instead: 1,000,000 kHz.</summary>
    public static long HostTscKhz()
    {
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                return (long)Math.Round(double.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture) * 1000);
        throw new InvalidOperationException("no 'cpu MHz' in /proc/cpuinfo: cannot tell Linux the TSC frequency");
    }

    public static string Exec(string file, IEnumerable<string> arguments, TextWriter log, bool quiet = false, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (workingDirectory != null) start.WorkingDirectory = workingDirectory;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            if (!quiet) log.WriteLine(stdout + stderr.Result);
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} failed with status {process.ExitCode}");
        }
        return stdout;
    }

    [GeneratedRegex(@"Depends: (linux-image-[0-9][^\s]*)")]
    private static partial Regex DependsLine();
}
