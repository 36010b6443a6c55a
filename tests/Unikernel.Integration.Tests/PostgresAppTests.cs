using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/pgapp, an ASP.NET Core app on Npgsql, against Debian's PostgreSQL 15 with its defaults (PostgresCluster:
/// SCRAM-SHA-256, TLS on). The image migrates the schema at start-up and writes rows over HTTP; psql on the host reads
/// them back; a second boot of the image, now verifying the server's certificate against the root given at boot, serves
/// the same rows; the same publish folder on Linux, against the same cluster, answers as the image does, and both
/// refuse the server when verification has no root for it.
/// </summary>
public class PostgresAppTests
{
    private const string App = "pgapp";
    private const int GuestPort = 8080;

    [Fact]
    public async Task RowsWrittenInTheImageAreInPostgresAndSurviveAReboot()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        string[] Connection(string host, string sslMode) =>
        [
            $"ConnectionStrings__Db=Host={host};Port={cluster.Port};Database={PostgresCluster.Database};Username={PostgresCluster.User};" +
            $"Password={cluster.Password};{sslMode}",
        ];
        // Encrypted, any server certificate accepted; or the server verified against its certificate given at boot.
        string[] Encrypted(string host) => Connection(host, "SSL Mode=Require;Trust Server Certificate=true");
        string[] Verified(string host) => [.. Connection(host, "SSL Mode=VerifyFull"), $"Db__RootCertificatePem={cluster.CertificatePem}"];

        // First boot: a fresh database, migrated by the app; two rows written through it.
        string firstRows;
        string firstConnection;
        await using (var guest = await BootAsync(Encrypted("10.0.2.2")))
        {
            using var client = guest.Client;
            await guest.Running.WaitForAsync("Application started");
            Assert.Contains("Schema at version 2", guest.Running.Console);
            Assert.Equal("""{"id":1,"body":"written in the image"}""", await Post(client, "written in the image"));
            Assert.StartsWith("""{"id":2,""", await Post(client, "ünïcödé, \"quoted\""));
            firstRows = await WebAppTests.Describe(client, "/rows");
            firstConnection = await WebAppTests.Describe(client, "/connection");
            Assert.DoesNotContain("unimplemented system call", guest.Running.Console);
        }
        Assert.Contains("""[{"id":1,"body":"written in the image"},{"id":2,""", firstRows);
        // SCRAM-SHA-256 over TLS 1.3, as the server reports the app's connection.
        Assert.Contains("""{"user":"app","ssl":true,"tlsVersion":"TLSv1.3","schemaVersion":2}""", firstConnection);
        Assert.Contains("""connection authenticated: identity="app" method=scram-sha-256""", cluster.ServerLog);

        // The rows are in PostgreSQL, as any other client reads them.
        Assert.Equal("1|written in the image\n2|ünïcödé, \"quoted\"", cluster.Psql("SELECT id, body FROM notes ORDER BY id"));
        Assert.Equal("2", cluster.Psql("SELECT version FROM schema_version"));

        // VerifyFull with no root for the server's certificate: the image refuses the server, as Linux does.
        await using (var guest = await BootAsync(Connection("10.0.2.2", "SSL Mode=VerifyFull")))
        {
            var refused = await guest.Running.Finished;
            var linuxRefused = AppImages.RunOnLinux(App, [], Connection("127.0.0.1", "SSL Mode=VerifyFull"));
            Assert.False(refused.TimedOut, refused.Console);
            string refusal = linuxRefused.Lines.FirstOrDefault(line => line.Contains("AuthenticationException")) ?? string.Join("\n", linuxRefused.Lines);
            // Npgsql's certificate check said no (UseSystemResourceKeys: the message is its resource key).
            Assert.Equal(" ---> System.Security.Authentication.AuthenticationException: net_ssl_io_cert_custom_validation", refusal);
            Assert.Contains(refusal, refused.Console);
            Assert.DoesNotContain("Application started", refused.Console);
            Assert.Equal(linuxRefused.ExitStatus, refused.ExitStatus);
        }

        // Second boot, verifying the server: the migration finds its work done; the rows are still served.
        await using (var guest = await BootAsync(Verified("10.0.2.2")))
        {
            using var client = guest.Client;
            await guest.Running.WaitForAsync("Application started");
            Assert.Contains("Schema at version 2", guest.Running.Console);
            Assert.Equal(firstRows, await WebAppTests.Describe(client, "/rows"));

            // The same publish folder on Linux, against the same cluster: the same answers.
            string published = Path.GetDirectoryName(AppImages.LinuxExecutable(App))!;
            int linuxPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
            await using var linux = BackgroundProcess.Start(Path.Combine(published, App), [],
                [.. Verified("127.0.0.1"), $"ASPNETCORE_URLS=http://127.0.0.1:{linuxPort}"], published);
            await linux.WaitForAsync("Application started", TimeSpan.FromSeconds(60));
            Assert.Contains("Schema at version 2", linux.Output);
            using var linuxClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{linuxPort}"), Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal(firstRows, await WebAppTests.Describe(linuxClient, "/rows"));
            Assert.Equal(firstConnection, await WebAppTests.Describe(linuxClient, "/connection"));

            // A row from each, and each sees the other's.
            Assert.Equal("""{"id":3,"body":"from Linux"}""", await Post(linuxClient, "from Linux"));
            Assert.Equal("""{"id":4,"body":"from the second boot"}""", await Post(client, "from the second boot"));
            string fromGuest = await WebAppTests.Describe(client, "/rows");
            Assert.Equal(await WebAppTests.Describe(linuxClient, "/rows"), fromGuest);
            Assert.Contains("""{"id":3,"body":"from Linux"},{"id":4,"body":"from the second boot"}]""", fromGuest);
            Assert.Equal(await WebAppTests.Describe(linuxClient, "/missing"), await WebAppTests.Describe(client, "/missing"));
            Assert.DoesNotContain("unimplemented system call", guest.Running.Console);
        }
        Assert.Equal("4", cluster.Psql("SELECT count(*) FROM notes"));
    }

    private sealed record Guest(RunningGuest Running, HttpClient Client) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Running.DisposeAsync();
    }

    private static Task<Guest> BootAsync(string[] environment)
    {
        int hostPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", hostPort, GuestPort)] };
        string commandLine = KernelCommandLine.Build([], [.. environment, $"ASPNETCORE_URLS=http://0.0.0.0:{GuestPort}"], []);
        var running = RunningGuest.Start(AppImages.Image(App), MachineKind.Microvm, commandLine, network, memory: "512M");
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{hostPort}"), Timeout = TimeSpan.FromSeconds(60) };
        return Task.FromResult(new Guest(running, client));
    }

    // The body of the answer to adding a row, which must be 201 Created.
    private static async Task<string> Post(HttpClient client, string body)
    {
        using var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { body }), Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/rows", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{response.StatusCode}: {text}");
        return text;
    }
}
