using System.Net.Http;
using System.Net.Sockets;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/webapp, an ASP.NET Core app with its publish folder in the image (uk_files): configuration from
/// appsettings.json and appsettings.{Environment}.json, wwwroot served by UseStaticFiles, /app as working directory and
/// content root, time-zone conversion with the image's tzdata. The same app runs on Linux from a copy of its publish
/// folder, started there as people start it; every response must be the same, bytes and headers (but Date), with the
/// paths of the folder read as /app.
/// </summary>
public class WebAppTests
{
    private const string App = "webapp";
    private const int GuestPort = 8080;

    private static readonly string[] Paths = ["/", "/index.html", "/css/site.css", "/config", "/paths", "/time", "/missing.txt"];

    // Production: appsettings.Production.json overrides a setting; Staging has no file of its own. TZ selects the local zone.
    [Theory]
    [InlineData("Production", "America/New_York")]
    [InlineData("Staging", "Asia/Tokyo")]
    public async Task ServesItsPublishFolderAsOnLinux(string environment, string zone)
    {
        string folder = CopyOfPublishFolder();
        try
        {
            int linuxPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
            int guestPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
            string[] env = [$"ASPNETCORE_ENVIRONMENT={environment}", $"TZ={zone}"];

            await using var linux = BackgroundProcess.Start(Path.Combine(folder, App), [], [.. env, $"ASPNETCORE_URLS=http://127.0.0.1:{linuxPort}"], folder);
            var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", guestPort, GuestPort)] };
            string commandLine = KernelCommandLine.Build([], [.. env, $"ASPNETCORE_URLS=http://0.0.0.0:{GuestPort}"], []);
            await using var guest = RunningGuest.Start(AppImages.Image(App), MachineKind.Microvm, commandLine, network, memory: "512M");
            await linux.WaitForAsync("Application started", TimeSpan.FromSeconds(60));
            await guest.WaitForAsync("Application started");

            using var linuxClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{linuxPort}"), Timeout = TimeSpan.FromSeconds(30) };
            using var guestClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{guestPort}"), Timeout = TimeSpan.FromSeconds(30) };
            var responses = new Dictionary<string, string>();
            foreach (string path in Paths)
            {
                string fromLinux = (await Describe(linuxClient, path)).Replace(folder, "/app");
                string fromGuest = await Describe(guestClient, path);
                Assert.Equal(fromLinux, fromGuest);
                responses[path] = fromGuest;
            }

            // What the comparison stands on: the files were found, configured the app and gave the paths of /app.
            Assert.Contains("200 OK", responses["/css/site.css"]);
            Assert.Contains("Content-Type: text/css", responses["/css/site.css"]);
            Assert.Contains("ETag: ", responses["/css/site.css"]);
            Assert.Contains("<h1>Served from the image's /app/wwwroot</h1>", responses["/"]);
            Assert.Contains("404 NotFound", responses["/missing.txt"]);
            string source = environment == "Production" ? "appsettings.Production.json" : "appsettings.json";
            Assert.Contains($$"""{"environment":"{{environment}}","message":"Hello from appsettings.json","source":"{{source}}","aspNetCoreLogLevel":"Warning"}""", responses["/config"]);
            Assert.Contains("""{"currentDirectory":"/app","baseDirectory":"/app/","contentRoot":"/app","webRoot":"/app/wwwroot","processPath":"/app/webapp","appSettingsNextToExecutable":true}""",
                            responses["/paths"]);
            Assert.Contains("\"berlinSummer\":\"2026-07-01T14:00:00.0000000+02:00\",\"berlinWinter\":\"2026-01-15T13:00:00.0000000+01:00\"", responses["/time"]);
            Assert.Contains($"\"localZone\":\"{zone}\"", responses["/time"]);
            Assert.Contains("\"manyZones\":true", responses["/time"]);
            // The log levels of appsettings.json apply: no line per request from Microsoft.AspNetCore.
            Assert.DoesNotContain("Request starting", guest.Console);
            Assert.DoesNotContain("unimplemented system call", guest.Console);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The status, the headers that do not depend on the moment (all but Date) in a fixed order, and the body.
    internal static async Task<string> Describe(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key != "Date")
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}")
            .Order(StringComparer.Ordinal);
        return $"{(int)response.StatusCode} {response.StatusCode}\n{string.Join("\n", headers)}\n\n{await response.Content.ReadAsStringAsync()}";
    }

    // The publish folder without the image, every file with the image's file time (uk-ld --files-time: the SDK's
    // SOURCE_DATE_EPOCH, else 0), as a folder copied with its times would have: Last-Modified and ETag depend on it.
    internal static string CopyOfPublishFolder()
    {
        string published = Path.GetDirectoryName(AppImages.LinuxExecutable(App))!;
        string copy = Path.Combine(Path.GetTempPath(), $"uk-webapp-{Guid.NewGuid():N}");
        long seconds = long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), out long epoch) ? epoch : 0;
        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        foreach (string file in Directory.EnumerateFiles(published, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(published, file);
            if (relative.EndsWith(".img", StringComparison.Ordinal) || relative.EndsWith(".img.map", StringComparison.Ordinal)) continue;
            string target = Path.Combine(copy, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetLastWriteTimeUtc(target, time);
        }
        return copy;
    }
}
