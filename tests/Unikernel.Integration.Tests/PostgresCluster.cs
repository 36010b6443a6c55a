using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Unikernel.Integration.Tests;

/// <summary>
/// A throw-away cluster of Debian's PostgreSQL 15 in a temporary folder, on 127.0.0.1 and a free port, with the
/// defaults a server ships with: SCRAM-SHA-256 passwords and host authentication, TLS on (a self-signed certificate made
/// here). PostgreSQL refuses to run as root, so a root caller (CI) runs initdb and pg_ctl as the `postgres` user
/// Debian's package creates (else `nobody`), which owns the folder. One database and login role, both "app".
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    public const string Database = "app", User = "app";
    public string Password { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
    public int Port { get; }
    public string Folder { get; }
    /// <summary>The server's self-signed certificate (PEM), the one root a client needs to verify the server.</summary>
    public string CertificatePem => File.ReadAllText(Path.Combine(Folder, "server.crt"));
    private string DataDirectory => Path.Combine(Folder, "data");
    public string ServerLog => File.Exists(Path.Combine(Folder, "server.log")) ? File.ReadAllText(Path.Combine(Folder, "server.log")) : "";
    private readonly string? _runAs;

    private PostgresCluster()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "postgres")))
            throw new FileNotFoundException($"{BinDirectory}/postgres is missing: run 'make packages' (Debian's postgresql)");
        Port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        Folder = Path.Combine(Path.GetTempPath(), $"uk-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
        if (Environment.IsPrivilegedProcess)
            _runAs = Run("id", ["-u", "postgres"], asServer: false, check: false).ExitCode == 0 ? "postgres" : "nobody";
    }

    public static async Task<PostgresCluster> StartAsync()
    {
        var cluster = new PostgresCluster();
        try
        {
            await cluster.InitializeAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private Task InitializeAsync()
    {
        string passwordFile = Path.Combine(Folder, "superuser-password");
        File.WriteAllText(passwordFile, Guid.NewGuid().ToString("N"));
        WriteServerCertificate();
        if (_runAs is not null) Run("chown", ["-R", $"{_runAs}:", Folder], asServer: false);
        Run(Path.Combine(BinDirectory, "initdb"), ["-D", DataDirectory, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
            $"--pwfile={passwordFile}", "--no-sync"]);
        File.AppendAllText(Path.Combine(DataDirectory, "postgresql.conf"), $"""

            listen_addresses = '127.0.0.1'
            ssl = on
            ssl_cert_file = '{Folder}/server.crt'
            ssl_key_file = '{Folder}/server.key'
            log_connections = on
            fsync = off

            """);
        Run(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-l", Path.Combine(Folder, "server.log"), "-w",
            "-o", $"-p {Port} -k {Folder}", "start"]);
        Psql($"CREATE ROLE {User} LOGIN PASSWORD '{Password}'", superuser: true);
        Psql($"CREATE DATABASE {Database} OWNER {User}", superuser: true);
        return Task.CompletedTask;
    }

    // A self-signed server certificate for 127.0.0.1 and 10.0.2.2 (the host as QEMU's user network shows it to the guest);
    // PostgreSQL wants the key readable by its owner only.
    private void WriteServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=uk-test-postgres", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.Parse("10.0.2.2"));
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(Folder, "server.crt"), certificate.ExportCertificatePem());
        string keyFile = Path.Combine(Folder, "server.key");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>psql's unaligned, tuples-only output of <paramref name="sql"/>: as the app role over TCP with TLS and its
    /// password (as any client), or as the superuser over the Unix socket.</summary>
    public string Psql(string sql, bool superuser = false)
    {
        string[] connection = superuser
            ? ["-h", Folder, "-p", Port.ToString(), "-U", "postgres", "-d", "postgres"]
            : [$"host=127.0.0.1 port={Port} user={User} dbname={Database} sslmode=require"];
        return Run(Path.Combine(BinDirectory, "psql"), [.. connection, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            asServer: superuser, environment: superuser ? null : ("PGPASSWORD", Password)).Output;
    }

    private (int ExitCode, string Output) Run(string program, string[] args, bool asServer = true, bool check = true,
        (string Name, string Value)? environment = null)
    {
        var start = new ProcessStartInfo(asServer && _runAs is not null ? "runuser" : program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Folder,
        };
        if (asServer && _runAs is not null)
            foreach (string word in new[] { "-u", _runAs, "--", program }) start.ArgumentList.Add(word);
        foreach (string a in args) start.ArgumentList.Add(a);
        if (environment is { } variable) start.Environment[variable.Name] = variable.Value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        string text = output.Result.TrimEnd('\n');
        if (check && process.ExitCode != 0)
            throw new Xunit.Sdk.XunitException($"{program} {string.Join(' ', args)} exited {process.ExitCode}\n{text}\n{error.Result}\n{ServerLog}");
        return (process.ExitCode, text);
    }

    public ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            Run(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"], check: false);
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}
