using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/crypto: every cryptography family (hashes, HMAC, PBKDF2, HKDF, random numbers, AES-CBC/GCM, RSA, ECDSA,
/// ECDH, X.509 chains, SslStream over loopback) against known answers, in the image and as the same static executable
/// on Linux, both linked with the package's static OpenSSL.
/// </summary>
public class CryptoAppTests
{
    private const string App = "crypto";

    // HOME as on Linux: .NET finds its per-user certificate stores under it, and without it asks /etc/passwd.
    private static readonly string[] Environment = ["HOME=/root"];

    [Fact]
    public async Task KnownAnswersMatchLinux()
    {
        var linux = AppImages.RunOnLinux(App, ["kat"], Environment);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["kat"], Environment, memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, linux.ExitStatus);
        Assert.Contains("crypto kat: 40 checks, 0 failed", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }

    // The image's CA bundle (UnikernelCaCertificates: Debian's, at /etc/ssl/certs/ca-certificates.crt) is .NET's system
    // trust store there, as /etc/ssl/certs is on Linux: a public root is trusted, the sample's own root is not.
    [Fact]
    public async Task SystemTrustComesFromTheImagesCaBundle()
    {
        var linux = AppImages.RunOnLinux(App, ["system-trust"], Environment);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["system-trust"], Environment, memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("crypto system-trust: 3 checks, 0 failed", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(0, guest.ExitStatus);
    }

    // HttpClient in the image to an HTTPS server on the host, whose certificate (for 10.0.2.2 and 127.0.0.1) a throw-away
    // CA issued: the image trusts that CA because the sample puts it into /etc/ssl/certs (UnikernelFile); Linux, through
    // SSL_CERT_FILE. No certificate validation callback: the chain must reach the trusted root.
    [Fact]
    public async Task HttpClientReachesAnHttpsServerOnTheHost()
    {
        using var certificate = X509Certificate2.CreateFromPem(HostCertificate, HostKey);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string ca = Path.Combine(KernelImages.RepositoryRoot, "samples", "crypto", "test-https-ca.pem");

        var linuxServer = ServeOneRequestAsync(listener, certificate);
        var linux = AppImages.RunOnLinux(App, ["https-get", $"https://127.0.0.1:{port}/"], [.. Environment, $"SSL_CERT_FILE={ca}"]);
        await linuxServer.WaitAsync(TimeSpan.FromSeconds(30));
        var guestServer = ServeOneRequestAsync(listener, certificate);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["https-get", $"https://10.0.2.2:{port}/"], Environment,
            memory: "512M", network: new QemuNetwork());

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("https-get: ok 200 1.1 'hello over TLS from the host'", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(0, guest.ExitStatus);
        Assert.Equal("GET / HTTP/1.1", await guestServer.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task<string> ServeOneRequestAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsServerAsync(certificate);
        var request = new StringBuilder();
        var buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n"))
        {
            int n = await tls.ReadAsync(buffer);
            if (n == 0) break;
            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        const string Body = "hello over TLS from the host";
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}"));
        await tls.ShutdownAsync();
        return request.ToString().Split("\r\n")[0];
    }

    // Made for this test only with openssl (P-256, signed by samples/crypto/test-https-ca.pem, whose key was thrown away).
    private const string HostCertificate = """
-----BEGIN CERTIFICATE-----
MIIBrDCCAVKgAwIBAgICIAEwCgYIKoZIzj0EAwIwIjEgMB4GA1UEAwwXVW5pa2Vy
bmVsIFRlc3QgSFRUUFMgQ0EwHhcNMjYxMjA2MjIzMDE1WhcNMzYxMjAzMjIzMDE1
WjAeMRwwGgYDVQQDDBN1bmlrZXJuZWwgdGVzdCBob3N0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE9rIZV7aJzjnCkbL8DDePXVTKC7HXnd1GMKl7MIM3xGQ7ioHJ
e6BME+UrH9zcRbN0oztoiD0pmiQlLVLa9tov4qN8MHowDAYDVR0TAQH/BAIwADAV
BgNVHREEDjAMhwQKAAIChwR/AAABMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1Ud
DgQWBBQqO51zBxZPogTq/lqQkkz/HuP7JDAfBgNVHSMEGDAWgBS8dOcUIuxdr3Dx
7A3UDqdjfgdA2TAKBggqhkjOPQQDAgNIADBFAiEAx/3Y2SM3dX+NaEd7UtNPwvQL
Bqevbgw1SjkR8Yyzk5kCICPeqQ0DSl6UwcyaXSY558bfiirY9M1+/ruGYe6077Lt
-----END CERTIFICATE-----
""";

    private const string HostKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+7noWK23r/91zFjS
mn70uf6I6MdCEL7sL5MV10iJVnyhRANCAAT2shlXtonOOcKRsvwMN49dVMoLsded
3UYwqXswgzfEZDuKgcl7oEwT5Ssf3NxFs3SjO2iIPSmaJCUtUtr22i/i
-----END PRIVATE KEY-----
""";

    // OpenSSL looks for its configuration file and goes on with built-in defaults when there is none (the image has
    // none): no error, and nothing else it needs from the file system.
    [Fact]
    public async Task OpenSslRunsWithoutAConfigurationFile()
    {
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["kat"], Environment, kernelOptions: ["uk.strace"], memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("open(\"/usr/lib/ssl/openssl.cnf\", 0x8000, 0x1b6) = -ENOENT", guest.Console);
        Assert.Equal(0, guest.ExitStatus);
    }

    // The archives are on every app's link line, and the linker takes only what the app calls: an app without
    // cryptography carries none of OpenSSL (its executable keeps its symbols, so their names would show).
    [Fact]
    public void OnlyAppsThatUseCryptographyCarryOpenSsl()
    {
        byte[] marker = Encoding.ASCII.GetBytes("OPENSSL_init_crypto");
        Assert.Equal(-1, File.ReadAllBytes(AppImages.LinuxExecutable("hello")).AsSpan().IndexOf(marker));
        Assert.NotEqual(-1, File.ReadAllBytes(AppImages.LinuxExecutable(App)).AsSpan().IndexOf(marker));
    }
}
