using System.Diagnostics;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Differential tests: NativeAOT apps published with our linker (and no C toolchain) behave exactly like
/// the same inputs linked by GNU ld: same stdout, stderr and exit status.
/// </summary>
public class NativeAotPublishTests(PublishedNativeAotApps apps) : IClassFixture<PublishedNativeAotApps>
{
    private static (int Code, string Stdout, string Stderr) Execute(string program, string[] args, string? greeting = null)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (greeting is not null) start.Environment["GREETING"] = greeting;
        return PublishedNativeAotApps.Run(start);
    }

    private static void AssertSameBehaviour(PublishedNativeAotApps.App app, string[] args, string? greeting = null)
    {
        var ours = Execute(app.OursPath, args, greeting);
        var reference = Execute(app.ReferencePath, args, greeting);
        Assert.Equal(reference.Stdout, ours.Stdout);
        Assert.Equal(reference.Stderr, ours.Stderr);
        Assert.Equal(reference.Code, ours.Code);
    }

    [Fact]
    public void HelloSampleMatchesGnuLd()
    {
        var app = apps.Get("samples/hello");
        AssertSameBehaviour(app, ["first", "second"], "hi");
        var (code, stdout, _) = Execute(app.OursPath, ["one"], "from test");
        Assert.Equal(1, code);
        Assert.Equal("""
            Hello from a bootable C# app!
            args: [one]
            GREETING=from test
            sum computed on a second thread: 5050
            after GC.Collect: generation-0 collections >= 1: True
            exception: thrown and caught

            """, stdout);
    }

    [Fact]
    public void ThreadsTasksJsonExceptionsAndNullReferencesMatchGnuLd()
    {
        var app = apps.Get("tests/Unikernel.Linker.Tests/Fixtures/AotFeatures");
        AssertSameBehaviour(app, []);
        var (code, stdout, _) = Execute(app.OursPath, []);
        Assert.Equal(42, code);
        Assert.Contains("threads: 499500,1999000,4498500,7998000\n", stdout);
        Assert.Contains("json: {\"Name\":\"Ada\",\"Age\":36,\"Tags\":[\"math\",\"engines\"]}\n", stdout);
        Assert.Contains("stack: Level2 <- Level1", stdout);
        Assert.Contains("NullReferenceException from a hardware fault\n", stdout);
        Assert.EndsWith("done\n", stdout);
    }

    // ASP.NET Core pulls a different set of runtime archives (ServerGC, eventpipe, compression, crypto);
    // they come from NativeAOT's own items, so the link must serve HTTP exactly like GNU ld's.
    [Fact]
    public async Task AspNetCoreMinimalApiServesTheSameResponsesAsGnuLd()
    {
        var app = apps.Get("samples/http");
        string[] paths = ["/", "/forecasts", "/forecasts/2", "/forecasts/9", "/health"];
        var ours = await ServeAsync(app.OursPath, paths);
        var reference = await ServeAsync(app.ReferencePath, paths);
        Assert.Equal(reference, ours);
        Assert.Equal("200 Hello from a bootable ASP.NET Core app!\n", ours[0]);
        Assert.Equal("200 {\"id\":2,\"summary\":\"Mild\",\"temperatureC\":14}", ours[2]);
        Assert.StartsWith("404", ours[3]);
    }

    private static async Task<string[]> ServeAsync(string program, string[] paths)
    {
        int port = FreeLoopbackPort();
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        using var server = Process.Start(start)!;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try { await client.GetAsync("/health"); break; }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !server.HasExited) { await Task.Delay(100); }
            }
            var results = new List<string>();
            foreach (var path in paths)
            {
                using var response = await client.GetAsync(path);
                string body = await response.Content.ReadAsStringAsync();
                // The uptime differs between two runs; everything else must not.
                if (path == "/health") body = System.Text.RegularExpressions.Regex.Replace(body, "\"uptimeSeconds\":\\d+", "\"uptimeSeconds\":N");
                results.Add($"{(int)response.StatusCode} {body}");
            }
            return results.ToArray();
        }
        finally
        {
            server.Kill();
            server.WaitForExit();
        }
    }

    private static int FreeLoopbackPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public void LinkingTheSameNativeAotInputsTwiceGivesIdenticalBytes()
    {
        var app = apps.Get("samples/hello");
        byte[] Link(string output)
        {
            var objects = app.Objects.ToList();
            string crtn = objects[^1];
            objects.RemoveAt(objects.Count - 1);
            var options = CommandLine.Parse(["-static", "--gc-sections", "--build-id", "-o", output,
                                             .. objects, "--start-group", .. app.Archives, "--end-group", crtn])!;
            Linker.LinkToFiles(options);
            return File.ReadAllBytes(output);
        }
        string dir = Path.GetDirectoryName(app.ReferencePath)!;
        byte[] first = Link(Path.Combine(dir, "relink-1")), second = Link(Path.Combine(dir, "relink-2"));
        Assert.True(first.AsSpan().SequenceEqual(second), "two links of the same inputs differ");
        var (code, stdout, _) = Execute(Path.Combine(dir, "relink-1"), []);
        Assert.Equal(0, code);
        Assert.StartsWith("Hello from a bootable C# app!", stdout);
    }

    [Fact]
    public void OutputIsAStaticNonPieExecutableWithBuildIdAndUnwindTables()
    {
        var app = apps.Get("samples/hello");
        byte[] image = File.ReadAllBytes(app.OursPath);
        Assert.Equal(2, BitConverter.ToUInt16(image, 16));           // ET_EXEC
        ulong phoff = BitConverter.ToUInt64(image, 32);
        int phnum = BitConverter.ToUInt16(image, 56);
        var types = Enumerable.Range(0, phnum).Select(i => BitConverter.ToUInt32(image, (int)phoff + i * 56)).ToList();
        Assert.DoesNotContain(3u, types);                            // no PT_INTERP: nothing to load it
        Assert.DoesNotContain(2u, types);                            // no PT_DYNAMIC
        Assert.Contains(0x6474e550u, types);                          // PT_GNU_EH_FRAME
        Assert.Contains(7u, types);                                   // PT_TLS
        Assert.Contains(4u, types);                                   // PT_NOTE (build id)
        // IlcDefaultStackSize from Unikernel.Linker.targets, through uk-cc: musl gives new threads 1.5 MiB.
        var stack = Assert.Single(StackSizeTests.ProgramHeaders(image), h => h.Type == 0x6474e551);
        Assert.Equal(0x180000UL, stack.MemorySize);
        Assert.Equal(stack, Assert.Single(StackSizeTests.ProgramHeaders(File.ReadAllBytes(app.ReferencePath)), h => h.Type == 0x6474e551));
    }
}
