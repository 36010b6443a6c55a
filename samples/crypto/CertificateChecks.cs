using System.Security.Cryptography.X509Certificates;

namespace CryptoSample;

/// <summary>X.509 loading and chain building: against a root the app brings, and against the system's CA bundle.</summary>
static class CertificateChecks
{
    // Inside both certificates' validity, independent of the clock.
    private static readonly DateTime VerificationTime = new(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static void CustomRoot(Checks c)
    {
        using var root = X509Certificate2.CreateFromPem(TestMaterial.SampleRootCa);
        using var server = X509Certificate2.CreateFromPem(TestMaterial.SampleServerCertificate);
        c.Expect("x509-load", $"{server.Subject} / {server.Issuer} / {server.SerialNumber}",
            "CN=sample.unikernel.test / CN=Unikernel Sample Root CA / 1001");
        c.Expect("x509-thumbprint", server.Thumbprint, "0C7DE442571E4726B2806C90EC719BB1066EC263");
        c.Expect("x509-san", server.MatchesHostname("sample.unikernel.test") && !server.MatchesHostname("other.test"), "host name matching");

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = VerificationTime;
        bool built = chain.Build(server);
        c.Expect("x509-chain", $"{built} {chain.ChainElements.Count} {Status(chain)}", "True 2 NoError");

        using var untrusting = new X509Chain();
        untrusting.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        untrusting.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        untrusting.ChainPolicy.VerificationTime = VerificationTime;
        c.Expect("x509-chain-untrusted", $"{untrusting.Build(server)} {Status(untrusting)}", "False PartialChain");
    }

    // A root from Debian's ca-certificates is trusted through the system store; the sample's own root is not.
    public static void SystemTrust(Checks c)
    {
        using var isrg = X509Certificate2.CreateFromPem(TestMaterial.IsrgRootX1);
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = VerificationTime;
        c.Expect("system-trust-isrg", $"{chain.Build(isrg)} {chain.ChainElements.Count} {Status(chain)}", "True 1 NoError");

        using var sample = X509Certificate2.CreateFromPem(TestMaterial.SampleRootCa);
        using var other = new X509Chain();
        other.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        other.ChainPolicy.VerificationTime = VerificationTime;
        c.Expect("system-trust-unknown-root", $"{other.Build(sample)} {Status(other)}", "False UntrustedRoot");

        using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
        store.Open(OpenFlags.ReadOnly);
        c.Expect("system-trust-store", store.Certificates.Find(X509FindType.FindByThumbprint, isrg.Thumbprint, false).Count == 1,
            "the machine root store holds ISRG Root X1");
    }

    private static string Status(X509Chain chain)
        => chain.ChainStatus.Length == 0 ? "NoError" : string.Join(",", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct().Order());
}
