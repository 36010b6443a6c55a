using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;
using Xunit.Abstractions;

namespace Unikernel.Integration.Tests;

/// <summary>
/// `uk run -p` and `uk run --tap` with samples/http (ASP.NET Core): the built uk CLI boots the image, curl and HttpClient
/// fetch from it -- through a forwarded host port, and directly at the guest's address on a tap device the test makes --
/// and every response must be what the same app answers on Linux; then wrk loads it for a few seconds with concurrent
/// keep-alive connections, and every request must succeed (its speed is a benchmark's business: docs/benchmarks.md).
/// </summary>
public partial class UkRunNetworkTests(ITestOutputHelper output)
{
    private const string App = "http";
    private static readonly string[] Paths = ["/", "/forecasts", "/forecasts/2", "/forecasts/9", "/health", "/nothing-here"];
    private static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task APublishedPortServesCurlAndHttpClientAsOnLinux(MachineKind machine)
    {
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        var linux = await LinuxResponsesAsync();
        await using var uk = BackgroundProcess.Uk(UkRun(machine, ["-p", $"{port}:8080"]));
        var stopwatch = Stopwatch.StartNew();
        await uk.WaitForAsync("Now listening on: http://0.0.0.0:8080", BootLimit);
        output.WriteLine($"{machine}: listening after {stopwatch.Elapsed.TotalSeconds:F1} s");

        await AssertServesAsOnLinux($"http://127.0.0.1:{port}", linux, uk);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task ATapDeviceServesCurlAndHttpClientAtTheGuestsAddress(MachineKind machine)
    {
        var linux = await LinuxResponsesAsync();
        using var tap = TemporaryTap.Create("uktest", 77);
        string guest = tap.Address(2);
        await using var uk = BackgroundProcess.Uk(UkRun(machine, ["--tap", tap.Name, "-k", $"uk.net.ip={guest}/24", "-k", $"uk.net.gateway={tap.Address(1)}"]));
        await uk.WaitForAsync("Now listening on: http://0.0.0.0:8080", BootLimit);
        Assert.Contains($" {guest}/24 gateway {tap.Address(1)} ", uk.Output);

        await AssertServesAsOnLinux($"http://{guest}:8080", linux, uk);
    }

    private static string[] UkRun(MachineKind machine, string[] network)
        => ["run", AppImages.Image(App), "--accel", "tcg", "--machine", machine.ToString().ToLowerInvariant(), "-m", "512M", .. network,
            "-e", "ASPNETCORE_URLS=http://0.0.0.0:8080"];

    private async Task AssertServesAsOnLinux(string baseUrl, IReadOnlyList<string> linux, BackgroundProcess uk)
    {
        var viaCurl = new List<string>();
        foreach (string path in Paths) viaCurl.Add(await CurlAsync(baseUrl + path));
        Assert.True(linux.SequenceEqual(viaCurl), $"curl:\n{Diff(linux, viaCurl)}\n{uk.Output}");

        var viaHttpClient = await HttpClientAsync(baseUrl);
        Assert.True(linux.SequenceEqual(viaHttpClient), $"HttpClient:\n{Diff(linux, viaHttpClient)}\n{uk.Output}");
        output.WriteLine(string.Join('\n', viaCurl));

        output.WriteLine(await WrkWithoutErrorsAsync(baseUrl + "/forecasts", uk));
        Assert.DoesNotContain("unimplemented system call", uk.Output);
        Assert.False(uk.HasExited, uk.Output);
    }

    /// <summary>wrk's summary after 3 s of 8 connections; fails on socket errors, non-2xx answers or no requests at all.</summary>
    private static async Task<string> WrkWithoutErrorsAsync(string url, BackgroundProcess uk)
    {
        var (exitCode, text, error) = await RunHostToolAsync("wrk", ["-t2", "-c8", "-d3s", "--timeout", "20s", url]);
        Assert.True(exitCode == 0, $"wrk {url}: exit {exitCode}: {error}\n{text}");
        var requests = WrkRequests().Match(text);
        Assert.True(requests.Success && long.Parse(requests.Groups[1].Value) > 0, $"wrk made no requests:\n{text}\n{uk.Output}");
        Assert.False(text.Contains("Socket errors") || text.Contains("Non-2xx"), $"wrk saw errors:\n{text}\n{uk.Output}");
        return text;
    }

    /// <summary>The same app as a Linux process on a loopback port, fetched with curl.</summary>
    private static async Task<List<string>> LinuxResponsesAsync()
    {
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        await using var app = BackgroundProcess.Start(AppImages.LinuxExecutable(App), [], [$"ASPNETCORE_URLS=http://127.0.0.1:{port}"]);
        await app.WaitForAsync($"Now listening on: http://127.0.0.1:{port}", TimeSpan.FromSeconds(30));
        var responses = new List<string>();
        foreach (string path in Paths) responses.Add(await CurlAsync($"http://127.0.0.1:{port}{path}"));
        Assert.Contains("200 Hello from a bootable ASP.NET Core app!", responses[0]);
        return responses;
    }

    /// <summary>"STATUS BODY", the uptime in /health's body zeroed (it differs from run to run).</summary>
    private static string Normalize(int status, string body) => $"{status} {Uptime().Replace(body, "${name}0")}";

    private static async Task<string> CurlAsync(string url)
    {
        var (exitCode, text, error) = await RunHostToolAsync("curl", ["-sS", "--max-time", "60", "-w", "\n%{http_code}", url]);
        Assert.True(exitCode == 0, $"curl {url}: exit {exitCode}: {error}");
        int newline = text.LastIndexOf('\n');
        return Normalize(int.Parse(text[(newline + 1)..]), text[..newline]);
    }

    /// <summary>Runs a host tool the Makefile's setup installs; its exit code, stdout and stderr.</summary>
    private static async Task<(int ExitCode, string Output, string Error)> RunHostToolAsync(string tool, string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new Xunit.Sdk.XunitException($"{tool} is missing ({e.Message}): run 'make setup'"); }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output, await error);
        }
    }

    private static async Task<List<string>> HttpClientAsync(string baseUrl)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        var responses = new List<string>();
        foreach (string path in Paths)
        {
            using var response = await client.GetAsync(path);
            responses.Add(Normalize((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
        }
        return responses;
    }

    private static string Diff(IReadOnlyList<string> linux, IReadOnlyList<string> guest)
        => string.Join('\n', linux.Zip(guest).Where(p => p.First != p.Second).Select(p => $"Linux: {p.First}\nguest: {p.Second}"));

    [GeneratedRegex(@"([0-9]+) requests in ")]
    private static partial Regex WrkRequests();

    [GeneratedRegex(@"(?<name>""uptimeSeconds"":)[0-9.eE+-]+")]
    private static partial Regex Uptime();
}
