using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/webapp over HTTPS, in the image and on Linux from the same publish folder: Kestrel serves a certificate this
/// test makes for the run and gives at boot (Tls__CertificatePem, Tls__KeyPem), and Data Protection seals a cookie that
/// only the instance that sealed it opens. Every response is compared between the two; the cookies themselves differ
/// (each instance has its own ephemeral key ring), so the flows around them are compared by status and body.
/// </summary>
public class WebAppHttpsTests
{
    private const string App = "webapp";
    private const int GuestPort = 8443;

    private static readonly string[] Paths = ["/tls", "/config", "/css/site.css", "/cookie/get"];

    [Fact]
    public async Task ServesHttpsAndRoundTripsProtectedCookiesAsOnLinux()
    {
        using var certificate = ThrowAwayCertificate();
        string folder = WebAppTests.CopyOfPublishFolder();
        try
        {
            int linuxPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
            int guestPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
            string[] env = ["ASPNETCORE_ENVIRONMENT=Production", $"Tls__CertificatePem={certificate.ExportCertificatePem()}",
                            $"Tls__KeyPem={certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()}"];

            await using var linux = BackgroundProcess.Start(Path.Combine(folder, App), [], [.. env, $"ASPNETCORE_URLS=https://127.0.0.1:{linuxPort}"], folder);
            var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", guestPort, GuestPort)] };
            string commandLine = KernelCommandLine.Build([], [.. env, $"ASPNETCORE_URLS=https://0.0.0.0:{GuestPort}"], []);
            await using var guest = RunningGuest.Start(AppImages.Image(App), MachineKind.Microvm, commandLine, network, memory: "512M");
            await linux.WaitForAsync("Application started", TimeSpan.FromSeconds(60));
            await guest.WaitForAsync("Application started");

            using var linuxClient = Client(linuxPort, certificate);
            using var guestClient = Client(guestPort, certificate);
            var responses = new Dictionary<string, string>();
            foreach (string path in Paths)
            {
                string fromLinux = await WebAppTests.Describe(linuxClient, path);
                string fromGuest = await WebAppTests.Describe(guestClient, path);
                Assert.Equal(fromLinux, fromGuest);
                responses[path] = fromGuest;
            }
            Assert.Contains("https=True protocol=Tls13 cipherSuite=TLS_AES_256_GCM_SHA384", responses["/tls"]);
            Assert.Contains("401 Unauthorized", responses["/cookie/get"]);

            var (linuxFlow, linuxCookie) = await CookieFlow(linuxClient);
            var (guestFlow, guestCookie) = await CookieFlow(guestClient);
            Assert.Equal(linuxFlow, guestFlow);
            Assert.Equal(linuxCookie.Length, guestCookie.Length);
            Assert.Equal(["200 value=unikernel session 42", "400 refused"], guestFlow);

            // Each instance has a key ring of its own: what one sealed, the other refuses.
            Assert.Equal("400 refused", await GetWithCookie(linuxClient, guestCookie));
            Assert.Equal("400 refused", await GetWithCookie(guestClient, linuxCookie));
            Assert.DoesNotContain("unimplemented system call", guest.Console);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // Seal a value into the cookie, open it again, then send it with one character changed.
    private static async Task<(List<string> Flow, string Cookie)> CookieFlow(HttpClient client)
    {
        using var set = await client.GetAsync("/cookie/set?value=" + Uri.EscapeDataString("unikernel session 42"));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        string header = Assert.Single(set.Headers.GetValues("Set-Cookie"));
        Assert.Contains("; secure; httponly", header);
        string cookie = header[..header.IndexOf(';')];
        Assert.DoesNotContain("unikernel", cookie);
        int middle = cookie.Length / 2;
        string tampered = cookie[..middle] + (cookie[middle] == 'A' ? 'B' : 'A') + cookie[(middle + 1)..];
        return ([await GetWithCookie(client, cookie), await GetWithCookie(client, tampered)], cookie);
    }

    private static async Task<string> GetWithCookie(HttpClient client, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cookie/get");
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        return $"{(int)response.StatusCode} {(await response.Content.ReadAsStringAsync()).TrimEnd()}";
    }

    // Trusts exactly the certificate the test gave the server, nothing else; cookies are sent by hand.
    private static HttpClient Client(int port, X509Certificate2 certificate)
    {
        var handler = new HttpClientHandler
        {
            UseCookies = false,
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawData.AsSpan().SequenceEqual(certificate.RawData),
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static X509Certificate2 ThrowAwayCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=webapp test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
