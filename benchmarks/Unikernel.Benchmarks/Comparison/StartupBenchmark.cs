using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Unikernel.Tools.Inspect;
using Unikernel.Tools.Qemu;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// `make bench`'s issue-17 table: each app's image now against the same app's image from before (a folder of older
/// images, e.g. artifacts/baseline/ copied before a rebuild), in one run with interleaved boots, beside the Linux
/// microVM running hello and the QEMU floor. Per image: file bytes, loaded bytes (what QEMU copies into the guest:
/// the PT_LOAD segments' file bytes), guest instructions from the boot stub's entry to the app's first line
/// (-icount shift=0), wall time to the first line and above the floor (TCG), and the smallest RAM it reaches its
/// first line in (a server: the first line; an app that exits: its end, with the same status as with ample RAM).
/// Every boot is stopped as soon as what is measured has appeared, so a server (samples/http) counts like the others.
/// Boots get what `uk run` passes: uk.tsc.khz (HostTsc), and uk.report.first-output=1 so that a server's instruction
/// count is printed although it never exits (an older kernel ignores both; its apps that exit print it at exit).
/// </summary>
public static partial class StartupBenchmark
{
    private sealed class Image
    {
        public required string Label { get; init; }
        public required string App { get; init; }
        public required string Path { get; init; }
        public string? Initramfs { get; init; }
        public bool IsLinux => Initramfs != null;
        public bool IsFloor => App.Length == 0;
        public required string Marker { get; init; }
        public required bool Exits { get; init; }
        public required long FileBytes { get; init; }
        public required long LoadedBytes { get; init; }
        public List<double> FirstLineMs { get; } = [];
        public List<long> Instructions { get; } = [];
        public int? ReferenceStatus { get; set; }
        public int? SmallestRamMiB { get; set; }
        public List<string> Failures { get; } = [];
    }

    public static int Run(string root, string[] args)
    {
        bool quick = args.Contains("--quick");
        int runs = ComparisonBenchmark.Option(args, "--runs") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : quick ? 3 : 10;
        int icountRuns = quick ? 1 : 2;
        int resolution = quick ? 4 : 1, memory = 256;
        string? baseline = ComparisonBenchmark.Option(args, "--baseline");
        string[] apps = (ComparisonBenchmark.Option(args, "--apps") ?? "hello,conformance,http").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var log = Console.Out;
        var started = DateTime.Now;
        string loadBefore = ComparisonBenchmark.LoadAverage();
        string images = System.IO.Path.Combine(root, "artifacts", "images");
        long tscKhz = (long)(HostTsc.HostKilohertz(KvmHost.DefaultCacheDirectory()) ?? (ulong)LinuxMicroVm.HostTscKhz());

        var list = new List<Image>();
        foreach (var app in apps)
        {
            string after = System.IO.Path.Combine(images, app + ".img");
            if (!File.Exists(after)) { Console.Error.WriteLine($"bench: {after} is missing: run 'make build'"); return 1; }
            string marker = Marker(root, app);
            bool exits = app != "http";
            if (baseline != null && File.Exists(System.IO.Path.Combine(baseline, app + ".img")))
                list.Add(ImageOf($"{app}: before", app, System.IO.Path.Combine(baseline, app + ".img"), marker, exits));
            list.Add(ImageOf($"{app}: now", app, after, marker, exits));
        }
        LinuxMicroVm? linux = null;
        if (apps.Contains("hello"))
        {
            linux = LinuxMicroVm.Prepare(root, log);
            string exe = System.IO.Path.Combine(root, "artifacts", "apps", "hello", "hello");
            var (initramfs, _, _) = linux.Initramfs("hello", exe);
            long bytes = new FileInfo(linux.VmlinuxPath).Length + new FileInfo(initramfs).Length;
            list.Add(new Image
            {
                Label = "hello: Linux microVM", App = "hello", Path = linux.VmlinuxPath, Initramfs = initramfs, Marker = Marker(root, "hello"),
                Exits = true, FileBytes = bytes, LoadedBytes = bytes,
            });
        }
        string floor = System.IO.Path.Combine(images, "floor.elf");
        list.Add(new Image { Label = "QEMU floor (1 byte + exit)", App = "", Path = floor, Marker = "!", Exits = true, FileBytes = new FileInfo(floor).Length, LoadedBytes = LoadedBytes(floor) });

        log.WriteLine($"startup: {list.Count} images, {runs} interleaved rounds (+1 warm-up), host TSC {tscKhz:N0} kHz passed as uk.tsc.khz");
        for (int round = 0; round <= runs; round++)
        {
            for (int k = 0; k < list.Count; k++)
            {
                var image = list[(k + round) % list.Count];
                var run = Boot(image, memory, icount: false, tscKhz, TimeSpan.FromSeconds(120), toExit: false);
                var first = run.TimeUntil(image.Marker);
                if (run.TimedOut || first == null) { image.Failures.Add($"round {round}: no \"{image.Marker}\""); continue; }
                if (round > 0) image.FirstLineMs.Add(first.Value.TotalMilliseconds);
            }
            log.Write(round == 0 ? "  warm-up done" : $" {round}");
        }
        log.WriteLine();

        foreach (var image in list.Where(i => !i.IsFloor))
        {
            for (int i = 0; i < icountRuns; i++)
            {
                var run = Boot(image, memory, icount: true, tscKhz, TimeSpan.FromSeconds(300), toExit: false);
                long? count = image.IsLinux ? LinuxFirstLine(run.Output) : FirstOutput(run.Output);
                if (count is { } c) image.Instructions.Add(c);
                else image.Failures.Add("icount run: no first-output figure");
            }
            log.WriteLine($"icount: {image.Label}: {string.Join(", ", image.Instructions.Select(x => x.ToString("N0", CultureInfo.InvariantCulture)))}");
        }

        foreach (var image in list.Where(i => !i.IsFloor))
        {
            var reference = Boot(image, memory, icount: false, tscKhz, TimeSpan.FromSeconds(120), toExit: image.Exits);
            image.ReferenceStatus = reference.ExitCode;
            int low = 1, high = memory;
            while (high - low > resolution)
            {
                int mid = (low + high) / 2;
                var run = Boot(image, mid, icount: false, tscKhz, TimeSpan.FromSeconds(60), toExit: image.Exits);
                bool works = !run.TimedOut && run.TimeUntil(image.Marker) != null && (!image.Exits || run.ExitCode == image.ReferenceStatus);
                if (works) high = mid; else low = mid;
            }
            image.SmallestRamMiB = high;
            log.WriteLine($"memory: {image.Label}: {high} MiB");
        }

        string report = Markdown(list, runs, icountRuns, tscKhz, started, loadBefore, baseline, root);
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory(System.IO.Path.Combine(root, "artifacts", "bench"));
        File.WriteAllText(System.IO.Path.Combine(root, "artifacts", "bench", "startup.md"), report);
        if (!args.Contains("--no-docs"))
        {
            GeneratedDocSection.Write(System.IO.Path.Combine(root, "docs", "benchmarks.md"), "make bench (issue 17)",
                "Size and boot before/after (issue 17, `make bench`)", report);
            log.WriteLine("wrote docs/benchmarks.md (generated section \"make bench (issue 17)\")");
        }
        return list.Any(i => i.FirstLineMs.Count == 0) ? 1 : 0;
    }

    private static Image ImageOf(string label, string app, string path, string marker, bool exits) => new()
    {
        Label = label, App = app, Path = path, Marker = marker, Exits = exits,
        FileBytes = new FileInfo(path).Length, LoadedBytes = LoadedBytes(path),
    };

    private static long LoadedBytes(string elf) => ElfFile.Read(elf).Loads.Sum(load => (long)load.FileSize);

    // The app's first line as it prints it natively; a server's first log line's fixed part.
    private static string Marker(string root, string app)
    {
        if (app == "http") return "Microsoft.Hosting.Lifetime";
        var native = TimedProcess.Run(System.IO.Path.Combine(root, "artifacts", "apps", app, app), [], TimeSpan.FromSeconds(60), clearEnvironment: true);
        return native.Output.Split('\n')[0].TrimEnd('\r');
    }

    private static TimedRun Boot(Image image, int memoryMiB, bool icount, long tscKhz, TimeSpan timeout, bool toExit)
    {
        var options = new QemuOptions
        {
            ImagePath = image.Path, Machine = MachineKind.Microvm, Accelerator = Accelerator.Tcg, Memory = $"{memoryMiB}M",
            InstructionCounting = icount,
            CommandLine = image.IsLinux ? LinuxMicroVm.CommandLine(icount ? 1_000_000 : tscKhz)
                        : image.IsFloor ? ""
                        : $"{HostTsc.Option}={(icount ? (long)HostTsc.InstructionCountingKilohertz : tscKhz)} uk.report.first-output=1",
        };
        var arguments = QemuCommand.BuildArguments(options).ToList();
        if (image.Initramfs != null) arguments.AddRange(["-initrd", image.Initramfs]);
        // Stop at what is measured: the first line, or under -icount the line with its instruction count.
        // A server's count comes before its first line (uk.report.first-output=1), or not at all from an older kernel.
        string? stopAfter = toExit ? null
                          : icount ? (image.IsLinux ? "init: app timing" : image.Exits ? "first output" : image.Marker)
                          : image.Marker;
        return TimedProcess.Run(options.QemuExecutable, arguments, timeout, stopAfter: stopAfter);
    }

    // "uk: app first output at tsc N since boot stub entry" (uk.report.first-output=1), else the exit line's figure.
    private static long? FirstOutput(string console)
    {
        var m = FirstOutputLine().Match(console);
        if (m.Success) return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        m = AppTimingLine().Match(console);
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    // Linux has no boot stub: its figure counts from the VM's start (the firmware's share included).
    private static long? LinuxFirstLine(string console)
    {
        var m = InitTiming().Match(console);
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static string Markdown(List<Image> list, int runs, int icountRuns, long tscKhz, DateTime started, string loadBefore, string? baseline, string root)
    {
        var floor = list.First(i => i.IsFloor);
        double floorMs = floor.FirstLineMs.Count > 0 ? ComparisonBenchmark.Median(floor.FirstLineMs) : double.NaN;
        var md = new StringBuilder();
        md.AppendLine($"Generated by `make bench` (`Unikernel.Benchmarks startup{(baseline != null ? " --baseline " + System.IO.Path.GetRelativePath(root, baseline) : "")}`) on " +
                      $"{started:yyyy-MM-dd HH:mm} ({(DateTime.Now - started).TotalMinutes:F1} min); load average before {loadBefore}, after {ComparisonBenchmark.LoadAverage()}; " +
                      $"{Environment.ProcessorCount} cores, host TSC {tscKhz:N0} kHz.");
        md.AppendLine();
        md.AppendLine($"QEMU microvm + TCG, `-cpu max`. Wall: {runs} interleaved rounds after a warm-up, `-m 256M`, process start to the first line; " +
                      "\"above the floor\" subtracts the floor's median. Instructions: `-icount shift=0`, from the boot stub's entry to the app's first write " +
                      $"(Linux: from the VM's start, firmware included), median of {icountRuns}. Smallest RAM: bisection on `-m` in MiB.");
        md.AppendLine();
        md.AppendLine("| image | file bytes | loaded bytes | instructions to first line | wall to first line: median (min-max) | above the floor | smallest RAM |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var i in list)
        {
            string instructions = i.Instructions.Count > 0 ? ComparisonBenchmark.Median(i.Instructions.Select(x => (double)x)).ToString("N0", CultureInfo.InvariantCulture) : "-";
            string wall = i.FirstLineMs.Count > 0 ? $"{ComparisonBenchmark.Median(i.FirstLineMs):N1} ms ({i.FirstLineMs.Min():N1}-{i.FirstLineMs.Max():N1})" : "failed";
            string above = i.IsFloor || i.FirstLineMs.Count == 0 ? "-" : $"{ComparisonBenchmark.Median(i.FirstLineMs) - floorMs:N1} ms";
            string ram = i.SmallestRamMiB is { } m ? $"{m} MiB" : "-";
            md.AppendLine($"| {i.Label} | {i.FileBytes:N0} | {i.LoadedBytes:N0} | {instructions} | {wall} | {above} | {ram} |");
        }
        md.AppendLine();
        foreach (var app in list.Select(i => i.App).Where(a => a.Length > 0).Distinct())
        {
            var before = list.FirstOrDefault(i => i.Label == $"{app}: before");
            var now = list.First(i => i.Label == $"{app}: now");
            if (before == null || before.FirstLineMs.Count == 0 || now.FirstLineMs.Count == 0) continue;
            double b = ComparisonBenchmark.Median(before.FirstLineMs) - floorMs, n = ComparisonBenchmark.Median(now.FirstLineMs) - floorMs;
            string instructions = before.Instructions.Count > 0 && now.Instructions.Count > 0
                ? $"instructions {ComparisonBenchmark.Median(now.Instructions.Select(x => (double)x)) / ComparisonBenchmark.Median(before.Instructions.Select(x => (double)x)):P0} of before, " : "";
            md.AppendLine($"- {app}: now/before: file {(double)now.FileBytes / before.FileBytes:P0}, {instructions}wall above the floor {n / b:P0}.");
        }
        var failures = list.Where(i => i.Failures.Count > 0).ToList();
        if (failures.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Failed runs (not counted):");
            md.AppendLine();
            foreach (var i in failures) md.AppendLine($"- {i.Label}: {string.Join("; ", i.Failures.Take(3))}{(i.Failures.Count > 3 ? $" (+{i.Failures.Count - 3} more)" : "")}");
        }
        return md.ToString();
    }

    [GeneratedRegex(@"app first output at tsc (\d+) since boot stub entry")]
    private static partial Regex FirstOutputLine();

    [GeneratedRegex(@"app timing \(tsc ticks since boot stub entry\): started \d+, first output (\d+),")]
    private static partial Regex AppTimingLine();

    [GeneratedRegex(@"init: app timing \(tsc\): init main \d+, spawn \d+, first output (\d+), exit \d+")]
    private static partial Regex InitTiming();
}
