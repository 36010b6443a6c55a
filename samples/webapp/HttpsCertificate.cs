using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;

// HTTPS with a certificate given at boot. The image's files are fixed when it is published, so a certificate that changes
// more often than the app (or must not sit in a build artifact) comes through configuration instead: Tls:CertificatePem
// and Tls:KeyPem, i.e. the environment entries Tls__CertificatePem and Tls__KeyPem (uk run -e, as container platforms
// pass secrets). A certificate that may ship with the image takes Kestrel's own keys instead, with no code here:
// Kestrel__Certificates__Default__Path and __KeyPath naming a content file or UnikernelFile. Either way the slim builder
// needs UseKestrelHttpsConfiguration to read https:// URLs and certificate settings at all.
internal static class HttpsCertificate
{
    public static void UseHttpsCertificateFromConfiguration(this WebApplicationBuilder builder)
    {
        builder.WebHost.UseKestrelHttpsConfiguration();
        string? certificatePem = builder.Configuration["Tls:CertificatePem"];
        string? keyPem = builder.Configuration["Tls:KeyPem"];
        if (string.IsNullOrEmpty(certificatePem) || string.IsNullOrEmpty(keyPem)) return;
        var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
    }

    // What the connection negotiated: the same OpenSSL (Debian's) on both sides, so the same protocol and cipher suite.
    public static void MapTlsReport(this WebApplication app) =>
        app.MapGet("/tls", (HttpContext context) =>
        {
            var handshake = context.Features.Get<ITlsHandshakeFeature>();
            return Results.Text($"https={context.Request.IsHttps} protocol={handshake?.Protocol} cipherSuite={handshake?.NegotiatedCipherSuite}\n");
        });
}
