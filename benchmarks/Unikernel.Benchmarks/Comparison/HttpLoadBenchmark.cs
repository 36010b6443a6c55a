using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// `Unikernel.Benchmarks http` (part of `make bench`): samples/http under load from the host, in our image and
/// in the Linux microVM of the comparison (Debian's cloud kernel, our C# /init bringing eth0 up, the very same
/// static NativeAOT executable), on the same QEMU machine (microvm, TCG, one vCPU), the same RAM and the same
/// networks: user networking with a host port forwarded to the guest's 8080, and a tap device the benchmark makes
/// (<see cref="TemporaryTap"/>, in 10.78.0.0/16; the guest on a static address, QEMU's vnet_hdr on, so checksum offload is offered).
/// Each guest is booted, polled until it
/// answers, warmed up, then loaded with wrk for a fixed time: many connections (throughput) and one
/// connection (latency of a lone client). A run counts only without socket errors and non-2xx answers.
/// Results: stdout, artifacts/bench/http.md and the generated http section of docs/benchmarks.md.
/// </summary>
public static partial class HttpLoadBenchmark
{
    private const int GuestPort = 8080;
    private const string GuestAddress = "10.0.2.15/24", Gateway = "10.0.2.2";
    // ASP.NET Core logs every request at Information (five console lines, ~500 bytes): with that on, both guests spend
    // most of their time in the serial port, so the default run logs warnings only (the same setting for both);
    // --app-logging keeps the app's default to measure that path too.
    private static readonly string[] BaseEnvironment = [$"ASPNETCORE_URLS=http://0.0.0.0:{GuestPort}", "DOTNET_hostBuilder__reloadConfigOnChange=false"];
    private const string WarningsOnly = "Logging__LogLevel__Default=Warning";

    public sealed record Load(string Name, string Path, int Threads, int Connections);

    public sealed record WrkResult(double RequestsPerSecond, long Requests, double[] LatencyMs, int SocketErrors, int Non2xx, string SocketErrorText);

    public sealed class Variant
    {
        public required string Label { get; init; }
        public required string ImagePath { get; init; }
        public string? Initramfs { get; init; }
        public required string CommandLine { get; init; }
        /// <summary>The tap device the guest's card is on; null: user networking with a forwarded host port.</summary>
        public TemporaryTap? Tap { get; init; }
        /// <summary>vCPUs (-smp; more than one: multi-threaded TCG).</summary>
        public int Cpus { get; init; } = 1;
        public double ReadyMs { get; set; }
        public Dictionary<string, List<WrkResult>> Results { get; } = [];
        /// <summary>The host's TcpExt ListenOverflows over this variant's loads (see <see cref="HostListenOverflows"/>).</summary>
        public long HostListenOverflows { get; set; }
        public List<string> Failures { get; } = [];
    }

    public static int Run(string root, string[] args)
    {
        bool quick = args.Contains("--quick");
        int seconds = ComparisonBenchmark.Option(args, "--duration") is { } d ? int.Parse(d) : quick ? 3 : 10;
        int rounds = ComparisonBenchmark.Option(args, "--rounds") is { } r ? int.Parse(r) : 1;
        string memory = ComparisonBenchmark.Option(args, "--memory") ?? "512M";
        string only = ComparisonBenchmark.Option(args, "--only") ?? "ours,linux";
        string networks = ComparisonBenchmark.Option(args, "--networks") ?? "user,tap";
        bool writeDocs = !args.Contains("--no-docs");
        bool appLogging = args.Contains("--app-logging");
        // --cpus 1,2,4 (issue 18): every variant at each vCPU count, labelled with it; only the 16-connection GET / load
        // then, unless --all-loads, so that a scaling run stays short on a shared machine.
        int[] cpuCounts = (ComparisonBenchmark.Option(args, "--cpus") ?? "1").Split(',').Select(int.Parse).ToArray();
        bool scaling = cpuCounts is not [1];
        string[] environment = appLogging ? BaseEnvironment : [.. BaseEnvironment, WarningsOnly];
        var log = Console.Out;
        Load[] loads =
        [
            new("16 connections, GET /", "/", 2, 16),
            new("16 connections, GET /forecasts (JSON)", "/forecasts", 2, 16),
            new("1 connection, GET /", "/", 1, 1),
        ];
        if (scaling && !args.Contains("--all-loads")) loads = [loads[0]];

        string image = Path.Combine(root, "artifacts", "images", "http.img");
        string exe = Path.Combine(root, "artifacts", "apps", "http", "http");
        foreach (var path in new[] { image, exe })
            if (!File.Exists(path)) { Console.Error.WriteLine($"bench: {path} is missing: run 'make build'"); return 1; }
        if (!File.Exists("/usr/bin/wrk")) { Console.Error.WriteLine("bench: wrk is missing: run 'make setup'"); return 1; }

        var variants = new List<Variant>();
        var started = DateTime.Now;
        string loadBefore = ComparisonBenchmark.LoadAverage();
        // --images label=path,...: other builds of our image side by side (a driver change against the build before it).
        var ours = ComparisonBenchmark.Option(args, "--images") is { } list
            ? list.Split(',').Select(entry => (Label: entry[..entry.IndexOf('=')], Path: Path.GetFullPath(entry[(entry.IndexOf('=') + 1)..]))).ToList()
            : [("our image", image)];
        using var tap = networks.Contains("tap") ? TemporaryTap.Create("ukbench", 78) : null;
        var onNetworks = new List<(string Suffix, TemporaryTap? Tap, string Address, string Gateway)>();
        if (networks.Contains("user")) onNetworks.Add((", user", null, GuestAddress, Gateway));
        if (tap != null) onNetworks.Add((", tap", tap, tap.Address(2) + "/24", tap.Address(1)));
        LinuxMicroVm? linux = null;
        long tscKhz = LinuxMicroVm.HostTscKhz();
        string? initramfs = null;
        if (only.Contains("linux"))
        {
            linux = LinuxMicroVm.Prepare(root, log);
            (initramfs, _, _) = linux.Initramfs("http", exe, network: true);
        }
        foreach (var network in onNetworks)
        {
            // On user networking slirp's DHCP gives our kernel the same address the Linux /init is told.
            string[] kernelOptions = network.Tap != null ? [$"uk.net.ip={network.Address}", $"uk.net.gateway={network.Gateway}"] : [];
            foreach (int cpus in cpuCounts)
            {
                string suffix = network.Suffix + (scaling ? $", {cpus} vCPU{(cpus > 1 ? "s" : "")}" : "");
                if (only.Contains("ours"))
                    foreach (var (label, path) in ours)
                        variants.Add(new Variant
                        {
                            Label = label + suffix, ImagePath = path, Tap = network.Tap, Cpus = cpus,
                            CommandLine = KernelCommandLine.Build(kernelOptions, environment, []),
                        });
                if (linux != null)
                    variants.Add(new Variant
                    {
                        Label = "Linux microVM" + suffix, ImagePath = linux.VmlinuxPath, Initramfs = initramfs, Tap = network.Tap, Cpus = cpus,
                        CommandLine = LinuxMicroVm.CommandLine(tscKhz) + $" {LinuxNetworkVariable}={network.Address},{network.Gateway} " + string.Join(' ', environment),
                    });
            }
        }

        // Rounds rotate the order, so a change in the machine's load hits every variant alike.
        for (int round = 0; round < rounds; round++)
            for (int k = 0; k < variants.Count; k++)
                RunVariant(variants[(k + round) % variants.Count], loads, seconds, memory, log);

        string report = Markdown(variants, loads, seconds, memory, rounds, quick, appLogging, started, loadBefore, ComparisonBenchmark.LoadAverage(), tscKhz, linux,
                                 scaling ? "`Unikernel.Benchmarks http " + string.Join(' ', args) + "`" : null);
        Console.WriteLine();
        Console.WriteLine(report);
        string outDir = Path.Combine(root, "artifacts", "bench");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, scaling ? "http-smp.md" : appLogging ? "http-logging.md" : "http.md"), report);
        if (writeDocs && !scaling && only == "ours,linux" && networks == "user,tap" && ComparisonBenchmark.Option(args, "--images") == null && !appLogging)
        {
            GeneratedDocSection.Write(Path.Combine(root, "docs", "benchmarks.md"), "make bench (http)",
                "samples/http under load: our image vs a Linux microVM (`make bench`)", report);
            log.WriteLine("wrote docs/benchmarks.md (generated http section)");
        }
        return variants.Any(v => v.Failures.Count > 0) ? 1 : 0;
    }

    /// <summary>The environment entry the Linux /init reads (benchmarks/LinuxInit/LinuxNetwork.cs).</summary>
    private const string LinuxNetworkVariable = "INIT_NETWORK";

    private static QemuOptions Options(Variant v, int hostPort, string memory) => new()
    {
        ImagePath = v.ImagePath, Machine = MachineKind.Microvm, Accelerator = Accelerator.Tcg, Memory = memory, Cpus = v.Cpus,
        CommandLine = v.CommandLine,
        Network = v.Tap != null ? new QemuNetwork { TapDevice = v.Tap.Name }
                                : new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", hostPort, GuestPort)] },
    };

    private static void RunVariant(Variant v, Load[] loads, int seconds, string memory, TextWriter log)
    {
        int port = FreePort();
        var options = Options(v, port, memory);
        string baseUrl = v.Tap != null ? $"http://{v.Tap.Address(2)}:{GuestPort}" : $"http://127.0.0.1:{port}";
        var arguments = QemuCommand.BuildArguments(options).ToList();
        if (v.Initramfs != null) arguments.AddRange(["-initrd", v.Initramfs]);
        var start = new ProcessStartInfo(options.QemuExecutable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        var console = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var qemu = Process.Start(start)!;
        qemu.OutputDataReceived += (_, e) => { if (e.Data != null) lock (console) console.AppendLine(e.Data); };
        qemu.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (console) console.AppendLine(e.Data); };
        qemu.BeginOutputReadLine();
        qemu.BeginErrorReadLine();
        try
        {
            if (!WaitUntilServing(baseUrl, qemu, TimeSpan.FromSeconds(180)))
            {
                v.Failures.Add("never answered GET /");
                log.WriteLine($"{v.Label}: never answered GET / at {baseUrl}\n{Tail(console)}");
                return;
            }
            v.ReadyMs = stopwatch.Elapsed.TotalMilliseconds;
            log.WriteLine($"{v.Label}: answers after {v.ReadyMs:N0} ms; warming up");
            Wrk(baseUrl, "/", 2, 16, Math.Max(1, seconds / 3));
            foreach (var load in loads)
            {
                long overflowsBefore = HostListenOverflows();
                var result = Wrk(baseUrl, load.Path, load.Threads, load.Connections, seconds);
                v.HostListenOverflows += HostListenOverflows() - overflowsBefore;
                if (!v.Results.TryGetValue(load.Name, out var list)) v.Results[load.Name] = list = [];
                list.Add(result);
                string problem = result.SocketErrors > 0 || result.Non2xx > 0
                    ? $" -- {result.SocketErrorText}, {result.Non2xx} non-2xx answers" : "";
                if (problem.Length > 0) v.Failures.Add($"{load.Name}:{problem}");
                log.WriteLine($"{v.Label}: {load.Name}: {result.RequestsPerSecond:N0} requests/s, latency p50 {result.LatencyMs[0]:N2} ms, p99 {result.LatencyMs[3]:N2} ms{problem}");
            }
        }
        finally
        {
            if (!qemu.HasExited) { try { qemu.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
            qemu.WaitForExit();
        }
    }

    private static bool WaitUntilServing(string baseUrl, Process qemu, TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && !qemu.HasExited)
        {
            try
            {
                if (client.GetAsync(baseUrl + "/").GetAwaiter().GetResult().IsSuccessStatusCode) return true;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            Thread.Sleep(100);
        }
        return false;
    }

    private static WrkResult Wrk(string baseUrl, string path, int threads, int connections, int seconds)
    {
        string output = LinuxMicroVm.Exec("wrk", ["--latency", "-t", threads.ToString(), "-c", connections.ToString(), "-d", $"{seconds}s",
                                                  "--timeout", "5s", baseUrl + path], Console.Out);
        return ParseWrk(output);
    }

    public static WrkResult ParseWrk(string output)
    {
        double rps = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        long requests = long.Parse(RequestCount().Match(output).Groups[1].Value);
        double[] latency = new double[4];
        string[] percentiles = ["50%", "75%", "90%", "99%"];
        for (int i = 0; i < 4; i++)
        {
            var m = Regex.Match(output, @"^\s+" + Regex.Escape(percentiles[i]) + @"\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            latency[i] = m.Success ? ToMs(m.Groups[1].Value, m.Groups[2].Value) : double.NaN;
        }
        var errors = SocketErrors().Match(output);
        int socketErrors = errors.Success ? Enumerable.Range(1, 4).Sum(g => int.Parse(errors.Groups[g].Value)) : 0;
        var non2xx = Non2xx().Match(output);
        return new WrkResult(rps, requests, latency, socketErrors, non2xx.Success ? int.Parse(non2xx.Groups[1].Value) : 0,
                             errors.Success ? errors.Value.Trim() : "no socket errors");
    }

    private static double ToMs(string value, string unit)
    {
        double v = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }

    private static string Markdown(List<Variant> variants, Load[] loads, int seconds, string memory, int rounds, bool quick, bool appLogging,
                                   DateTime started, string loadBefore, string loadAfter, long tscKhz, LinuxMicroVm? linux, string? generatedBy)
    {
        var md = new StringBuilder();
        generatedBy ??= $"`make bench{(quick ? " BENCH_ARGS=--quick" : "")}` (`Unikernel.Benchmarks http{(quick ? " --quick" : "")}`)";
        md.AppendLine($"Generated by {generatedBy} on {started:yyyy-MM-dd HH:mm} " +
                      $"({(DateTime.Now - started).TotalMinutes:F1} min). Load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}.");
        md.AppendLine();
        md.AppendLine($"samples/http (ASP.NET Core minimal API, NativeAOT, musl) under wrk from the host: QEMU microvm + TCG, {CpuText(variants)}, `-m {memory}`, " +
                      $"{(variants.Any(v => v.Tap == null) ? $"user networking with host port -> guest :{GuestPort} (\"user\"), and " : "")}a tap device the benchmark makes, guest at a static address, QEMU's vnet_hdr on (\"tap\"); each guest warmed up with wrk for {Math.Max(1, seconds / 3)} s, then each load for {seconds} s" +
                      $"{(rounds > 1 ? $", {rounds} rounds (median shown)" : "")}. Latency percentiles are wrk's (--latency). A run with socket errors or non-2xx answers is marked. " +
                      (appLogging ? "The app logs as it does by default (Information: five console lines per request)." : $"The app logs warnings only (`{WarningsOnly}`), in both."));
        md.AppendLine();
        md.AppendLine("| load | variant | requests/s | p50 | p75 | p90 | p99 | errors |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var load in loads)
            foreach (var v in variants)
            {
                if (!v.Results.TryGetValue(load.Name, out var list) || list.Count == 0) { md.AppendLine($"| {load.Name} | {v.Label} | failed | | | | | |"); continue; }
                var r = list.OrderBy(x => x.RequestsPerSecond).ElementAt((list.Count - 1) / 2);
                string errors = r.SocketErrors == 0 && r.Non2xx == 0 ? "0" : $"{r.SocketErrorText}; {r.Non2xx} non-2xx";
                md.AppendLine($"| {load.Name} | {v.Label} | {r.RequestsPerSecond:N0} | {Ms(r.LatencyMs[0])} | {Ms(r.LatencyMs[1])} | {Ms(r.LatencyMs[2])} | {Ms(r.LatencyMs[3])} | {errors} |");
            }
        md.AppendLine();
        md.AppendLine("Time from starting QEMU until GET / first answered: " +
                      string.Join("; ", variants.Select(v => $"{v.Label} {(v.ReadyMs > 0 ? $"{v.ReadyMs / 1000:N1} s" : "failed")}")) + ".");
        md.AppendLine();
        md.AppendLine("Host listen-queue overflows during the loads (TcpExt ListenOverflows, whole host; with user networking QEMU's hostfwd " +
                      "socket is listened on with a backlog of 1, so wrk's burst of connections overflows it and the host's TCP resends the " +
                      "dropped request after 200 ms, 400 ms, ...): " + string.Join("; ", variants.Select(v => $"{v.Label} {v.HostListenOverflows}")) + ".");
        md.AppendLine();
        var failures = variants.Where(v => v.Failures.Count > 0).ToList();
        if (failures.Count > 0)
        {
            md.AppendLine("Problems:");
            md.AppendLine();
            foreach (var v in failures) md.AppendLine($"- {v.Label}: {string.Join("; ", v.Failures)}");
            md.AppendLine();
        }
        md.AppendLine("Commands (PORT: a free host port; TAP: the tap device, made with `ip tuntap add dev TAP mode tap`, `ip addr add " +
                      (variants.FirstOrDefault(v => v.Tap != null)?.Tap is { } t ? $"{t.Address(1)}/24" : "HOST/24") +
                      " dev TAP`, `ip link set TAP up` and deleted afterwards; wrk runs as `wrk --latency -t T -c C -d " + seconds +
                      "s --timeout 5s URL/PATH` with URL http://127.0.0.1:PORT (user) or http://GUEST:8080 (tap)):");
        md.AppendLine();
        md.AppendLine("```sh");
        string root = Program.FindRoot() + "/";
        foreach (var v in variants)
        {
            var options = Options(v, 0, memory);
            string command = QemuCommand.Format(options).Replace("127.0.0.1:0-", "127.0.0.1:PORT-") + (v.Initramfs != null ? $" -initrd {v.Initramfs}" : "");
            if (v.Tap != null) command = command.Replace("ifname=" + v.Tap.Name, "ifname=TAP");
            md.AppendLine(command.Replace(root, ""));
        }
        md.AppendLine("```");
        return md.ToString();
    }

    private static string CpuText(List<Variant> variants)
        => variants.All(v => v.Cpus == 1) ? "one vCPU"
            : $"{string.Join(", ", variants.Select(v => v.Cpus).Distinct())} vCPUs as labelled (-smp N, multi-threaded TCG: `-accel tcg,thread=multi`)";

    private static string Ms(double ms) => double.IsNaN(ms) ? "?" : ms < 10 ? $"{ms:N2} ms" : $"{ms:N1} ms";

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The host's count of connections its listening sockets could not queue (TcpExt ListenOverflows in
    /// /proc/net/netstat; every socket of the network namespace, ours or not). With user networking wrk connects to
    /// QEMU's hostfwd socket, which slirp listens on with a backlog of 1: a burst of new connections overflows it, the
    /// host drops the handshake's last ACK and the request behind it, and its TCP resends the request after its 200 ms
    /// minimum RTO, then 400 ms, ... -- waits outside either guest that show up as the slowest requests.
    /// </summary>
    private static long HostListenOverflows()
    {
        string[] lines = File.ReadAllLines("/proc/net/netstat");
        for (int i = 0; i + 1 < lines.Length; i += 2)
        {
            if (!lines[i].StartsWith("TcpExt:", StringComparison.Ordinal)) continue;
            int column = Array.IndexOf(lines[i].Split(' '), "ListenOverflows");
            return column > 0 ? long.Parse(lines[i + 1].Split(' ')[column]) : 0;
        }
        return 0;
    }

    private static string Tail(StringBuilder console)
    {
        lock (console) return string.Join('\n', console.ToString().Split('\n').TakeLast(12).Select(l => "    | " + l.TrimEnd('\r')));
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xx();
}
