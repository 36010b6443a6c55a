using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Unikernel.Integration.Tests;

/// <summary>
/// `uk deploy` end to end, with real QEMU guests (TCG), Debian's HAProxy and wrk. samples/http is linked three times
/// (VersionedImages): v1 and v2 differ only in the baked APP_VERSION, which GET /version answers; v3 bakes an
/// AllowedHosts that matches no host, so every request, /health included, gets 400 and it never becomes healthy. While
/// wrk loads the load balancer at a paced rate (benchmarks/deploy/paced-versions.lua: 4 connections, 20 ms between a
/// connection's requests), v2 is deployed over v1 and then v3 over v2: wrk must see no socket error and no non-2xx
/// answer, answers from v1 then v2 and never v3, v3 must be rolled back (exit 1, the state file, uk ps) with v2 serving,
/// a second deploy while one runs is turned away, and `uk logs` shows the instances' consoles. uk stop ends every guest.
/// </summary>
public class BlueGreenDeployTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static readonly TimeSpan DeployLimit = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task V2ReplacesV1WithoutAnErrorAndABrokenV3IsRolledBack()
    {
        Skip.IfNot(File.Exists("/usr/sbin/haproxy"), "Debian's haproxy is not installed (make setup)");
        Skip.IfNot(File.Exists("/usr/bin/wrk"), "wrk is not installed (make setup)");
        Skip.IfNot(File.Exists(VersionedImages.CommandFile("http")), $"{VersionedImages.CommandFile("http")} is missing: run 'make build' first");
        using var temp = new TempDirectory();
        string stateDir = Path.Combine(temp.Path, "state");
        var images = await Task.WhenAll(
            VersionedImages.LinkAsync("http", "v1", ["APP_VERSION=v1"], temp.Path),
            VersionedImages.LinkAsync("http", "v2", ["APP_VERSION=v2"], temp.Path),
            VersionedImages.LinkAsync("http", "v3", ["APP_VERSION=v3", "AllowedHosts=nothing.example"], temp.Path));
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        string[] common = ["--name", "web", "--state-dir", stateDir, "--accel", "tcg", "--instances", "2", "--stop-timeout", "3"];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<string> Version() => (await client.GetStringAsync($"http://127.0.0.1:{port}/version")).Trim();

        try
        {
            var (status, output) = await UkAsync(["deploy", images[0], "--port", port.ToString(), .. common]);
            Assert.True(status == 0, output);
            Assert.Equal("v1", await Version());

            await using var wrk = BackgroundProcess.Start("/usr/bin/wrk",
                ["-t2", "-c4", "-d300s", "--timeout", "10s", "-s", Path.Combine(KernelImages.RepositoryRoot, "benchmarks", "deploy", "paced-versions.lua"), $"http://127.0.0.1:{port}/"],
                ["DELAY_MS=20"]);
            await Task.Delay(1000);   // v1 under load before the switch

            (status, output) = await UkAsync(["deploy", images[1], .. common]);
            Assert.True(status == 0, output);
            log.WriteLine(output);
            Assert.Contains("traffic on green after", output);
            Assert.Equal("v2", await Version());

            await using var v3 = BackgroundProcess.Uk(["deploy", images[2], "--ready-timeout", "8", .. common]);
            await v3.WaitForAsync("uk: started web-3-", DeployLimit);
            (status, output) = await UkAsync(["deploy", images[1], .. common]);
            Assert.Equal(1, status);
            Assert.Contains("deployment 'web' is being changed by another uk (pid", output);
            Assert.Equal(1, await v3.WaitForExitAsync(DeployLimit));
            Assert.Contains("deploy of http-v3.img to 'web' rolled back: web-3-", v3.Output);
            Assert.Contains("GET /health answered 400 Bad Request; generation 2 (http-v2.img) keeps serving", v3.Output);
            for (int i = 0; i < 4; i++) Assert.Equal("v2", await Version());

            Assert.Equal(0, Kill(wrk.Id, 2));   // SIGINT: wrk stops and reports
            Assert.NotNull(await wrk.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            var tally = Regex.Match(wrk.Output, @"^versions(?<versions>( \S+=\d+)*) non2xx=(?<non2xx>\d+) socket_errors=(?<errors>\d+)$", RegexOptions.Multiline);
            Assert.True(tally.Success, wrk.Output);
            log.WriteLine(wrk.Output);
            var versions = tally.Groups["versions"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToDictionary(v => v.Split('=')[0], v => int.Parse(v.Split('=')[1]));
            Assert.True(tally.Groups["non2xx"].Value == "0" && tally.Groups["errors"].Value == "0", wrk.Output);
            Assert.DoesNotContain("Socket errors", wrk.Output);
            Assert.True(versions.GetValueOrDefault("v1") > 0 && versions.GetValueOrDefault("v2") > 0, wrk.Output);
            Assert.Equal(["v1", "v2"], versions.Keys.Order());

            using (var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDir, "web", "state.json"))))
            {
                var last = state.RootElement.GetProperty("lastDeploy");
                Assert.Equal("rolled-back", last.GetProperty("result").GetString());
                Assert.Equal(3, last.GetProperty("generation").GetInt32());
                var serving = state.RootElement.GetProperty("instances").EnumerateArray().ToList();
                Assert.Equal(2, serving.Count);
                Assert.All(serving, i => Assert.Equal((2, "Serving"), (i.GetProperty("generation").GetInt32(), i.GetProperty("status").GetString())));
            }
            (status, output) = await UkAsync(["ps", "--name", "web", "--state-dir", stateDir]);
            Assert.Equal(0, status);
            Assert.Contains("last deploy: generation 3 http-v3.img: rolled-back", output);
            Assert.Equal(2, Regex.Matches(output, @"web-2-\w+ +2 http-v2\.img .* serving$", RegexOptions.Multiline).Count);

            (status, output) = await UkAsync(["logs", "web", "--state-dir", stateDir]);
            Assert.Equal(0, status);
            Assert.Matches(@"web-2-\w+ \|       Now listening on: http://0\.0\.0\.0:8080", output);
            Assert.Matches(@"web-3-\w+ \|       The host '127\.0\.0\.1:\d+' does not match an allowed host\.", output);
            // The same lines through the deployment's syslog collector, where the image's kernel ships them (uk.log.syslog).
            if (output.Contains("uk: log: shipping to syslog tcp 10.0.2.2:"))
            {
                (status, output) = await UkAsync(["logs", "web", "--shipped", "--state-dir", stateDir]);
                Assert.Equal(0, status);
                Assert.Matches(@"web-2-\w+ \| \S+Z stdout       Now listening on: http://0\.0\.0\.0:8080", output);
                Assert.Matches(@"web-3-\w+ \| \S+Z stdout       The host '127\.0\.0\.1:\d+' does not match an allowed host\.", output);
            }
            else log.WriteLine("the image's kernel does not ship logs (no uk.log.syslog): uk logs --shipped not checked");
        }
        finally
        {
            var pids = Pids(stateDir);
            var (status, output) = await UkAsync(["stop", "web", "--state-dir", stateDir, "--stop-timeout", "1"]);
            Assert.True(status == 0, output);
            foreach (int pid in pids) Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "), $"pid {pid} still runs after uk stop");
        }
    }

    /// <summary>Every QEMU and HAProxy pid the state file knows of.</summary>
    private static List<int> Pids(string stateDir)
    {
        string path = Path.Combine(stateDir, "web", "state.json");
        if (!File.Exists(path)) return [];
        using var state = JsonDocument.Parse(File.ReadAllText(path));
        var pids = state.RootElement.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("pid").GetInt32()).ToList();
        if (state.RootElement.TryGetProperty("haproxyPid", out var haproxy)) pids.Add(haproxy.GetInt32());
        return pids;
    }

    private static async Task<(int Status, string Output)> UkAsync(string[] args)
    {
        await using var uk = BackgroundProcess.Uk(args);
        int? status = await uk.WaitForExitAsync(DeployLimit);
        return (status ?? -1, uk.Output);
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
