using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CryptoSample;

/// <summary>
/// An SslStream server and client in the same app over loopback TCP: the server's certificate is self-signed (made by
/// CertificateRequest at start), and the client accepts exactly that certificate.
/// </summary>
static class TlsLoopback
{
    public static async Task RunAsync(Checks c)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        foreach (var protocol in new[] { SslProtocols.Tls13, SslProtocols.Tls12 })
        {
            Task<string> server = ServeOneAsync(listener, certificate, protocol);
            string reply = await ConnectAsync(port, certificate, protocol);
            string served = await server;
            c.Expect($"tls-{protocol}", $"{served} | {reply}", $"server {protocol} read 'ping over TLS' | client {protocol} read 'PING OVER TLS'");
        }
    }

    private static async Task<string> ServeOneAsync(TcpListener listener, X509Certificate2 certificate, SslProtocols protocol)
    {
        using TcpClient accepted = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(accepted.GetStream());
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = protocol });
        string line = await ReadLineAsync(tls);
        await tls.WriteAsync(Encoding.ASCII.GetBytes(line.ToUpperInvariant() + "\n"));
        await tls.ShutdownAsync();
        return $"server {tls.SslProtocol} read '{line}'";
    }

    private static async Task<string> ConnectAsync(int port, X509Certificate2 expected, SslProtocols protocol)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocol,
            // Self-signed, so no chain to a trusted root: trust this one certificate, and nothing else.
            RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                cert is not null && errors == SslPolicyErrors.RemoteCertificateChainErrors && cert.GetCertHashString() == expected.GetCertHashString(),
        });
        await tls.WriteAsync(Encoding.ASCII.GetBytes("ping over TLS\n"));
        return $"client {tls.SslProtocol} read '{await ReadLineAsync(tls)}'";
    }

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n') bytes.Add(one[0]);
        return Encoding.ASCII.GetString(bytes.ToArray());
    }
}
