using CryptoSample;

// Modes: "kat" (default): every family against known answers and self-contained round trips, the same output on Linux
// and in the image; "system-trust": chain building against the system CA bundle (the image needs one: see README);
// "https-get URL": HttpClient to an HTTPS server whose root the system trusts.
// Exit status: the number of failed checks (0: all passed).
string mode = args.Length > 0 ? args[0] : "kat";
var checks = new Checks();
switch (mode)
{
    case "kat":
        checks.Run("hash", KnownAnswers.Hashes);
        checks.Run("hmac", KnownAnswers.Hmac);
        checks.Run("pbkdf2", KnownAnswers.Pbkdf2);
        checks.Run("hkdf", KnownAnswers.Hkdf);
        checks.Run("random", KnownAnswers.Random);
        checks.Run("aes-cbc", KnownAnswers.AesCbc);
        checks.Run("aes-gcm", KnownAnswers.AesGcm);
        checks.Run("rsa", PublicKeyChecks.Rsa);
        checks.Run("ecdsa", PublicKeyChecks.Ecdsa);
        checks.Run("ecdh", PublicKeyChecks.Ecdh);
        checks.Run("x509", CertificateChecks.CustomRoot);
        await checks.RunAsync("tls", TlsLoopback.RunAsync);
        break;
    case "system-trust":
        checks.Run("system-trust", CertificateChecks.SystemTrust);
        break;
    case "https-get" when args.Length == 2:
        await checks.RunAsync("https-get", c => HttpsClient.GetAsync(c, new Uri(args[1])));
        break;
    default:
        Console.Error.WriteLine($"unknown mode '{mode}' (kat, system-trust, https-get URL)");
        return 64;
}
Console.WriteLine($"crypto {mode}: {checks.Count} checks, {checks.Failed} failed");
return checks.Failed;
