using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Unikernel.Tools.Inspect;
using Unikernel.Tools.Qemu;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// `make bench`: the same app four ways, side by side, in one run on the same QEMU and accelerator:
/// our image (artifacts/images/APP.img), a Linux microVM (Debian's cloud kernel + an initramfs with our C#
/// /init and the same static executable), the QEMU floor (artifacts/images/floor.elf: one byte, then exit)
/// and the app run natively on the host. For each: image size and its parts; wall time from starting the
/// process to the app's first line and to exit (runs interleaved); virtual time under -icount shift=0
/// (one virtual ns per guest instruction) to the first line and to exit; the smallest guest RAM it runs in.
/// Results: stdout, artifacts/bench/comparison.md, the generated part of docs/benchmarks.md and
/// docs/benchmarks-boot.svg.
/// </summary>
public static partial class ComparisonBenchmark
{
    public enum Kind { Unikernel, Linux, Floor, Native }

    public sealed record Settings(int Runs, int CountedRuns, int MemoryResolutionMiB, int MemoryMiB, string[] Apps, bool WriteDocs, bool Quick);

    public sealed class Variant
    {
        public required string Label { get; init; }
        public required Kind Kind { get; init; }
        public required string App { get; init; }
        public required string ImagePath { get; init; }
        public string? Initramfs { get; init; }
        public required string Marker { get; init; }          // the first text of the app (or the floor's "!")
        /// <summary>The app's exit status when run natively; a guest that ends differently is reported (the runs still count).</summary>
        public int? NativeStatus { get; init; }
        /// <summary>The status of this variant's first complete run: every later run, and the RAM bisection, must end the same way.</summary>
        public int? ReferenceStatus { get; set; }
        public string StatusNote { get; set; } = "";
        public required long TotalBytes { get; init; }
        public required string Parts { get; init; }
        public List<(double FirstMs, double ExitMs)> Wall { get; } = [];
        public List<(long First, long Exit, string Detail)> Virtual { get; } = [];
        public int? MinMemoryMiB { get; set; }
        public string MinMemoryNote { get; set; } = "";
        public List<string> Failures { get; } = [];
    }

    public static int Run(string root, string[] args)
    {
        bool quick = args.Contains("--quick");
        int runs = Option(args, "--runs") is { } r ? int.Parse(r) : quick ? 3 : 10;
        var settings = new Settings(
            Runs: runs,
            CountedRuns: Option(args, "--icount-runs") is { } c ? int.Parse(c) : quick ? 1 : 3,
            MemoryResolutionMiB: quick ? 4 : 1,
            MemoryMiB: Option(args, "--memory") is { } m ? int.Parse(m) : 256,
            Apps: (Option(args, "--apps") ?? "hello,conformance").Split(',', StringSplitOptions.RemoveEmptyEntries),
            WriteDocs: !args.Contains("--no-docs"),
            Quick: quick);
        var log = Console.Out;
        string loadBefore = LoadAverage();
        var started = DateTime.Now;

        string images = Path.Combine(root, "artifacts", "images");
        foreach (var app in settings.Apps)
            foreach (var path in new[] { Path.Combine(images, app + ".img"), Path.Combine(root, "artifacts", "apps", app, app) })
                if (!File.Exists(path)) { Console.Error.WriteLine($"bench: {path} is missing: run 'make build'"); return 1; }

        var linux = LinuxMicroVm.Prepare(root, log);
        long tscKhz = LinuxMicroVm.HostTscKhz();
        log.WriteLine($"linux: {linux.KernelRelease}, vmlinux {new FileInfo(linux.VmlinuxPath).Length:N0} B, /init {new FileInfo(linux.InitPath).Length:N0} B; host TSC {tscKhz:N0} kHz");

        var variants = new List<Variant>();
        foreach (var app in settings.Apps)
        {
            string exe = Path.Combine(root, "artifacts", "apps", app, app);
            var native = TimedProcess.Run(exe, [], TimeSpan.FromSeconds(60), clearEnvironment: true);
            string marker = native.Output.Split('\n')[0].TrimEnd('\r');
            log.WriteLine($"{app}: natively exits with {native.ExitCode}; first line \"{marker}\"");
            string img = Path.Combine(images, app + ".img");
            var (initramfs, initBytes, appBytes) = linux.Initramfs(app, exe);
            long vmlinuxBytes = new FileInfo(linux.VmlinuxPath).Length, initramfsBytes = new FileInfo(initramfs).Length;
            variants.Add(new Variant
            {
                Label = $"{app}: our image", Kind = Kind.Unikernel, App = app, ImagePath = img, Marker = marker,
                NativeStatus = native.ExitCode, TotalBytes = new FileInfo(img).Length, Parts = ImageParts(img, exe),
            });
            variants.Add(new Variant
            {
                Label = $"{app}: Linux microVM", Kind = Kind.Linux, App = app, ImagePath = linux.VmlinuxPath, Initramfs = initramfs,
                Marker = marker, NativeStatus = native.ExitCode, TotalBytes = vmlinuxBytes + initramfsBytes,
                Parts = $"vmlinux {vmlinuxBytes:N0} (as bzImage {new FileInfo(linux.BzImagePath).Length:N0}) + initramfs {initramfsBytes:N0} " +
                        $"(gzip of /init {initBytes:N0} + app {appBytes:N0})",
            });
            variants.Add(new Variant
            {
                Label = $"{app}: native (host Linux)", Kind = Kind.Native, App = app, ImagePath = exe, Marker = marker,
                NativeStatus = native.ExitCode, TotalBytes = appBytes, Parts = "the static executable (with symbols; the host's kernel not counted)",
            });
        }
        string floor = Path.Combine(images, "floor.elf");
        variants.Add(new Variant
        {
            Label = "QEMU floor (1 byte + exit)", Kind = Kind.Floor, App = "", ImagePath = floor, Marker = "!",
            TotalBytes = new FileInfo(floor).Length, Parts = "a PVH kernel that writes one byte and exits",
        });

        // Wall time: one warm-up round (page cache, QEMU's own start-up), then interleaved rounds whose
        // order rotates, so machine noise and order effects hit every variant alike.
        log.WriteLine($"wall time: {settings.Runs} rounds of {variants.Count} runs (+1 warm-up), -m {settings.MemoryMiB}M");
        for (int round = 0; round <= settings.Runs; round++)
        {
            for (int k = 0; k < variants.Count; k++)
            {
                var v = variants[(k + round) % variants.Count];
                var run = Start(v, settings.MemoryMiB, icount: false, tscKhz, TimeSpan.FromSeconds(120));
                string? problem = Check(v, run);
                if (problem != null) { v.Failures.Add($"wall run {round}: {problem}"); log.WriteLine($"  {v.Label}: {problem}\n{Tail(run.Output)}"); continue; }
                if (round > 0) v.Wall.Add((run.TimeUntil(v.Marker)!.Value.TotalMilliseconds, run.WallTime.TotalMilliseconds));
            }
            log.Write(round == 0 ? "  warm-up done" : $" {round}");
        }
        log.WriteLine();

        // Virtual time: -icount shift=0 (the guest's TSC counts virtual ns = guest instructions since the VM
        // started; idle time is skipped to the next timer event, which counts as the time waited).
        foreach (var v in variants.Where(v => v.Kind is Kind.Unikernel or Kind.Linux))
        {
            for (int i = 0; i < settings.CountedRuns; i++)
            {
                var run = Start(v, settings.MemoryMiB, icount: true, 1_000_000, TimeSpan.FromSeconds(300));
                var counted = v.Kind == Kind.Unikernel ? ParseUnikernel(run.Output) : ParseLinux(run.Output);
                string? problem = Check(v, run) ?? (counted == null ? "no timing line" : null);
                if (problem != null) { v.Failures.Add($"icount run: {problem}"); log.WriteLine($"  {v.Label} (icount): {problem}\n{Tail(run.Output)}"); continue; }
                v.Virtual.Add(counted!.Value);
            }
            log.WriteLine($"icount: {v.Label}: {string.Join("; ", v.Virtual.Select(x => $"first line {x.First:N0}, exit {x.Exit:N0} ({x.Detail})"))}");
        }

        // Smallest RAM: bisection on -m in MiB between 1 (fails) and the wall runs' size (works).
        foreach (var v in variants.Where(v => v.Kind is Kind.Unikernel or Kind.Linux or Kind.Floor))
        {
            double exitMs = v.Wall.Count > 0 ? v.Wall.Max(w => w.ExitMs) : 10_000;
            var timeout = TimeSpan.FromMilliseconds(Math.Max(15_000, 4 * exitMs));
            int low = 1, high = settings.MemoryMiB, boots = 0;
            string lastFailure = "";
            while (high - low > settings.MemoryResolutionMiB)
            {
                int mid = (low + high) / 2;
                var run = Start(v, mid, icount: false, tscKhz, timeout);
                boots++;
                string? problem = Check(v, run);
                if (problem == null) high = mid;
                else { low = mid; lastFailure = $"at {mid} MiB: {problem}"; }
            }
            v.MinMemoryMiB = high;
            v.MinMemoryNote = lastFailure;
            log.WriteLine($"memory: {v.Label}: runs with {high} MiB ({boots} boots; {(lastFailure.Length > 0 ? "fails " + lastFailure : "no failure seen")})");
        }

        var machine = MachineDescription(tscKhz);
        string loadAfter = LoadAverage();
        string report = Markdown(settings, variants, linux, tscKhz, machine, started, loadBefore, loadAfter);
        Console.WriteLine();
        Console.WriteLine(report);
        string outDir = Path.Combine(root, "artifacts", "bench");
        File.WriteAllText(Path.Combine(outDir, "comparison.md"), report);
        string svg = BootChart.Render(variants, settings, machine);
        File.WriteAllText(Path.Combine(outDir, "benchmarks-boot.svg"), svg);
        if (settings.WriteDocs)
        {
            File.WriteAllText(Path.Combine(root, "docs", "benchmarks-boot.svg"), svg);
            GeneratedDocSection.Write(Path.Combine(root, "docs", "benchmarks.md"), "make bench",
                "Our image vs a Linux microVM vs the QEMU floor vs native (`make bench`)", report);
            log.WriteLine("wrote docs/benchmarks.md (generated section) and docs/benchmarks-boot.svg");
        }
        return variants.Any(v => v.Failures.Count > 0 && v.Wall.Count == 0) ? 1 : 0;
    }

    private static TimedRun Start(Variant v, int memoryMiB, bool icount, long tscKhz, TimeSpan timeout)
    {
        if (v.Kind == Kind.Native) return TimedProcess.Run(v.ImagePath, [], timeout, clearEnvironment: true);
        var options = new QemuOptions
        {
            ImagePath = v.ImagePath, Machine = MachineKind.Microvm, Accelerator = Accelerator.Tcg,
            Memory = $"{memoryMiB}M", InstructionCounting = icount,
            CommandLine = v.Kind == Kind.Linux ? LinuxMicroVm.CommandLine(tscKhz) : "",
        };
        var arguments = QemuCommand.BuildArguments(options).ToList();
        if (v.Initramfs != null) arguments.AddRange(["-initrd", v.Initramfs]);
        return TimedProcess.Run(options.QemuExecutable, arguments, timeout);
    }

    /// <summary>The shell command of a variant, for the reproduction section.</summary>
    public static string Command(Variant v, int memoryMiB, bool icount, long tscKhz)
    {
        if (v.Kind == Kind.Native) return $"env -i {v.ImagePath}";
        var options = new QemuOptions
        {
            ImagePath = v.ImagePath, Machine = MachineKind.Microvm, Accelerator = Accelerator.Tcg, Memory = $"{memoryMiB}M",
            InstructionCounting = icount, CommandLine = v.Kind == Kind.Linux ? LinuxMicroVm.CommandLine(tscKhz) : "",
        };
        return QemuCommand.Format(options) + (v.Initramfs != null ? $" -initrd {v.Initramfs}" : "");
    }

    /// <summary>
    /// Null when the run did what the variant must do: finished in time, wrote the marker, and ended with the
    /// status of the variant's first complete run. That status is compared with the native one only for the
    /// report: an app that ends differently in a guest (a section failing on a missing system call) still
    /// starts and runs to its end, which is what is timed; at too little RAM it ends differently again.
    /// </summary>
    private static string? Check(Variant v, TimedRun run)
    {
        if (run.TimedOut) return "timed out";
        if (run.TimeUntil(v.Marker) == null) return $"never wrote \"{v.Marker}\" (exit code {run.ExitCode})";
        int status = v.Kind == Kind.Native ? run.ExitCode : GuestExit.Decode(run.ExitCode, PlainKernelLines(run.Output), "").Status;
        if (v.ReferenceStatus is not { } reference)
        {
            v.ReferenceStatus = status;
            if (v.NativeStatus is { } native && native != status)
                v.StatusNote = $"exits with status {status} where the app natively exits with {native}: " +
                               string.Join("; ", run.Output.Split('\n').Select(l => l.TrimEnd('\r'))
                                   .Where(l => l.Contains("UNEXPECTED", StringComparison.Ordinal) || l.Contains("unimplemented system call", StringComparison.Ordinal))
                                   .Distinct().Take(6));
            return null;
        }
        return status == reference ? null : $"exit status {status}, expected {reference}";
    }

    // This benchmark boots without uk's console tag (its own QEMU command line, as a user would type it): the kernel's lines
    // are plain "uk: " lines, trusted here because the benchmark's apps are ours.
    private static List<string> PlainKernelLines(string console)
        => console.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("uk: ", StringComparison.Ordinal)).ToList();

    private static (long First, long Exit, string Detail)? ParseUnikernel(string console)
    {
        var entry = EntryTsc().Match(console);
        var app = AppTiming().Match(console);
        if (!entry.Success || !app.Success) return null;
        long e = long.Parse(entry.Groups[1].Value), started = long.Parse(app.Groups[1].Value);
        long first = long.Parse(app.Groups[2].Value), exit = long.Parse(app.Groups[3].Value);
        return (e + first, e + exit, $"boot stub entry at {e:N0}, app's ELF entry at {e + started:N0}");
    }

    private static (long First, long Exit, string Detail)? ParseLinux(string console)
    {
        var m = InitTiming().Match(console);
        if (!m.Success) return null;
        long main = long.Parse(m.Groups[1].Value), spawn = long.Parse(m.Groups[2].Value);
        var u = Uptime().Match(console);
        string idle = u.Success
            ? $"; /proc/uptime at /init's Main: {Seconds(u.Groups[1])} since Linux's clock started, {Seconds(u.Groups[2])} of it idle; at exit {Seconds(u.Groups[3])}, {Seconds(u.Groups[4])} idle"
            : "";
        return (long.Parse(m.Groups[3].Value), long.Parse(m.Groups[4].Value), $"/init's Main at {main:N0}, posix_spawn at {spawn:N0}{idle}");
    }

    private static string Seconds(Group g) => $"{double.Parse(g.Value, CultureInfo.InvariantCulture) * 1000:N0} ms";

    /// <summary>Our image's parts: the app's loaded bytes (its PT_LOAD segments, copied unchanged), the symbol
    /// table for fault reports (uk_ksyms), and the kernel with headers and page alignment (the rest).</summary>
    private static string ImageParts(string image, string app)
    {
        long total = new FileInfo(image).Length;
        long appBytes = ElfFile.Read(app).Loads.Sum(load => (long)load.FileSize);
        long ksyms = ElfFile.Read(image).FindSection("uk_ksyms") is { } section ? (long)section.FileSize : 0;
        return $"kernel {total - appBytes - ksyms:N0} (incl. headers, alignment) + app segments {appBytes:N0} + symbol table {ksyms:N0}";
    }

    private static string Markdown(Settings s, List<Variant> variants, LinuxMicroVm linux, long tscKhz, string machine,
                                   DateTime started, string loadBefore, string loadAfter)
    {
        var md = new StringBuilder();
        md.AppendLine($"Generated by `make bench{(s.Quick ? " BENCH_ARGS=--quick" : "")}` on {started:yyyy-MM-dd HH:mm} ({(DateTime.Now - started).TotalMinutes:F1} min). " +
                      $"Machine: {machine}. Load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}.");
        md.AppendLine();
        md.AppendLine($"Wall time: {s.Runs} interleaved runs each after one warm-up round, `-m {s.MemoryMiB}M`, QEMU microvm + TCG, `-cpu max`. " +
                      "\"First line\" = from starting the process until the app's first line (the first statement of Main) is on the console; " +
                      "\"exit\" = until the process has exited. Virtual time = `-icount shift=0`, guest TSC since the VM started " +
                      $"(1 ns per guest instruction), {(s.CountedRuns == 1 ? "one run" : $"median of {s.CountedRuns} runs")}.");
        md.AppendLine();
        md.AppendLine("| variant | first line: median (min-max) | exit: median (min-max) | virtual ns to first line | virtual ns to exit | smallest RAM | image bytes |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var v in variants)
        {
            string wallFirst = v.Wall.Count > 0 ? Stat(v.Wall.Select(w => w.FirstMs)) : "failed";
            string wallExit = v.Wall.Count > 0 ? Stat(v.Wall.Select(w => w.ExitMs)) : "failed";
            string vFirst = v.Virtual.Count > 0 ? VirtualStat(v.Virtual.Select(x => x.First)) : v.Kind is Kind.Floor or Kind.Native ? "-" : "failed";
            string vExit = v.Virtual.Count > 0 ? VirtualStat(v.Virtual.Select(x => x.Exit)) : v.Kind is Kind.Floor or Kind.Native ? "-" : "failed";
            string ram = v.MinMemoryMiB is { } mib ? $"{mib} MiB" : "-";
            md.AppendLine($"| {v.Label} | {wallFirst} | {wallExit} | {vFirst} | {vExit} | {ram} | {v.TotalBytes:N0} |");
        }
        md.AppendLine();
        md.AppendLine("Image parts (bytes):");
        md.AppendLine();
        md.AppendLine("| variant | total | parts |");
        md.AppendLine("|---|---:|---|");
        foreach (var v in variants.Where(v => v.Kind != Kind.Native || v.App == s.Apps[0]).DistinctBy(v => v.Kind == Kind.Linux ? "linux" + v.App : v.Label))
            md.AppendLine($"| {v.Label} | {v.TotalBytes:N0} | {v.Parts} |");
        md.AppendLine();
        md.AppendLine("Virtual-time detail (-icount shift=0, virtual ns since the VM started; the run with the median first line):");
        md.AppendLine();
        foreach (var v in variants.Where(v => v.Virtual.Count > 0))
        {
            var run = v.Virtual.OrderBy(x => x.First).ElementAt((v.Virtual.Count - 1) / 2);
            md.AppendLine($"- {v.Label}: first line {run.First:N0}, exit {run.Exit:N0}; {run.Detail}");
        }
        md.AppendLine();
        var floor = variants.FirstOrDefault(v => v.Kind == Kind.Floor && v.Wall.Count > 0);
        if (floor != null)
        {
            double floorMs = Median(floor.Wall.Select(w => w.FirstMs));
            md.AppendLine("Above the QEMU floor (median first line minus the floor's median first output), and Linux against our image:");
            md.AppendLine();
            foreach (var app in s.Apps)
            {
                var ours = variants.FirstOrDefault(v => v.App == app && v.Kind == Kind.Unikernel && v.Wall.Count > 0);
                var lin = variants.FirstOrDefault(v => v.App == app && v.Kind == Kind.Linux && v.Wall.Count > 0);
                if (ours == null || lin == null) continue;
                double o = Median(ours.Wall.Select(w => w.FirstMs)), l = Median(lin.Wall.Select(w => w.FirstMs));
                string virt = ours.Virtual.Count > 0 && lin.Virtual.Count > 0
                    ? $"; virtual time to the first line {Median(lin.Virtual.Select(x => (double)x.First)) / Median(ours.Virtual.Select(x => (double)x.First)):N0} x"
                    : "";
                md.AppendLine($"- {app}: our image {o - floorMs:N1} ms above the floor, Linux {l - floorMs:N1} ms; Linux takes {l / o:N1} x as long to the first line{virt}; " +
                              $"smallest RAM {ours.MinMemoryMiB} MiB vs {lin.MinMemoryMiB} MiB.");
            }
            md.AppendLine();
        }
        var notes = variants.Where(v => v.StatusNote.Length > 0).ToList();
        if (notes.Count > 0)
        {
            md.AppendLine("Differences from the native run (the runs count: the app starts and runs to its end):");
            md.AppendLine();
            foreach (var v in notes) md.AppendLine($"- {v.Label} {v.StatusNote}");
            md.AppendLine();
        }
        var failures = variants.Where(v => v.Failures.Count > 0).ToList();
        if (failures.Count > 0)
        {
            md.AppendLine("Failed runs (not counted):");
            md.AppendLine();
            foreach (var v in failures) md.AppendLine($"- {v.Label}: {string.Join("; ", v.Failures.Take(3))}{(v.Failures.Count > 3 ? $" (+{v.Failures.Count - 3} more)" : "")}");
            md.AppendLine();
        }
        md.AppendLine("Commands (what each run executes; `-icount shift=0` is added for virtual time, with `tsc_early_khz=1000000` for Linux):");
        md.AppendLine();
        md.AppendLine("```sh");
        foreach (var v in variants.DistinctBy(v => v.Kind == Kind.Floor ? "floor" : v.Kind + v.App))
            md.AppendLine(Command(v, s.MemoryMiB, icount: false, tscKhz).Replace(Path.GetDirectoryName(Path.GetDirectoryName(linux.Directory))! + "/", "artifacts/").Replace(Program.FindRoot() + "/", ""));
        md.AppendLine("```");
        return md.ToString();
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string Stat(IEnumerable<double> ms)
    {
        var v = ms.Order().ToArray();
        return $"{Median(v):N1} ms ({v[0]:N1}-{v[^1]:N1})";
    }

    private static string VirtualStat(IEnumerable<long> values)
    {
        var v = values.Order().ToArray();
        string median = Median(v.Select(x => (double)x)).ToString("N0", CultureInfo.InvariantCulture);
        return v.Length == 1 || v[0] == v[^1] ? median : $"{median} ({v[0]:N0}-{v[^1]:N0})";
    }

    private static string MachineDescription(long tscKhz)
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        string memory = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal)) is { } mem
            ? $"{long.Parse(Regex.Match(mem, @"\d+").Value) / 1024 / 1024.0:F0} GiB" : "?";
        string os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? "?" : "?";
        string qemu = LinuxMicroVm.Exec("qemu-system-x86_64", ["--version"], TextWriter.Null).Split('\n')[0].Replace("QEMU emulator version", "QEMU").Trim();
        return $"{os}, {cpu} ({tscKhz / 1000.0:F0} MHz TSC), {Environment.ProcessorCount} cores, {memory}, {qemu}, {RuntimeInformation.FrameworkDescription}";
    }

    /// <summary>The host's 1/5/15-minute load averages, for the record beside every figure.</summary>
    internal static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(6).Select(l => "    | " + l.TrimEnd('\r')));

    /// <summary>The value after <paramref name="name"/> in the benchmark's arguments, or null.</summary>
    internal static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    [GeneratedRegex(@"boot cost: entry at tsc (\d+)")]
    private static partial Regex EntryTsc();

    [GeneratedRegex(@"app timing \(tsc ticks since boot stub entry\): started (\d+), first output (\d+), exit (\d+)")]
    private static partial Regex AppTiming();

    [GeneratedRegex(@"init: /proc/uptime at init main ([\d.]+) ([\d.]+), at exit ([\d.]+) ([\d.]+)")]
    private static partial Regex Uptime();

    [GeneratedRegex(@"init: app timing \(tsc\): init main (\d+), spawn (\d+), first output (\d+), exit (\d+)")]
    private static partial Regex InitTiming();
}
