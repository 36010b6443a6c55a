using System.Security.Cryptography;
using System.Text;

namespace CryptoSample;

/// <summary>RSA, ECDSA and ECDH with the fixed keys of TestMaterial, against the answers OpenSSL's command line gave.</summary>
static class PublicKeyChecks
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes(TestMaterial.Message);

    public static void Rsa(Checks c)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(TestMaterial.RsaPrivateKey);
        c.Expect("rsa-import", rsa.KeySize.ToString(), "2048");
        byte[] known = Convert.FromHexString(TestMaterial.RsaSha256Signature);
        c.Expect("rsa-verify-known", rsa.VerifyData(Message, known, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            "OpenSSL's PKCS#1 v1.5 SHA-256 signature verifies");
        // PKCS#1 v1.5 signatures are deterministic: ours must be OpenSSL's byte for byte.
        byte[] ours = rsa.SignData(Message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        c.Expect("rsa-sign-pkcs1", Convert.ToHexStringLower(ours) == TestMaterial.RsaSha256Signature, "equals OpenSSL's signature");
        byte[] pss = rsa.SignData(Message, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        c.Expect("rsa-pss", rsa.VerifyData(Message, pss, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)
                            && !rsa.VerifyData(Encoding.ASCII.GetBytes("another message"), pss, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            "sign/verify, other message rejected");
        byte[] secret = rsa.Decrypt(Convert.FromBase64String(TestMaterial.RsaOaepSha256Ciphertext), RSAEncryptionPadding.OaepSHA256);
        c.Expect("rsa-decrypt-known", Encoding.ASCII.GetString(secret), TestMaterial.RsaOaepPlaintext);
        byte[] roundTrip = rsa.Decrypt(rsa.Encrypt(Message, RSAEncryptionPadding.OaepSHA256), RSAEncryptionPadding.OaepSHA256);
        c.Expect("rsa-oaep-round-trip", roundTrip.AsSpan().SequenceEqual(Message), "encrypt, decrypt");
        using var fresh = RSA.Create(2048);
        c.Expect("rsa-generate", fresh.VerifyData(Message, fresh.SignData(Message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "a new 2048-bit key signs and verifies");
    }

    public static void Ecdsa(Checks c)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(TestMaterial.EcPrivateKey1);
        c.Expect("ecdsa-import", ecdsa.ExportParameters(false).Curve.Oid.Value ?? "?", "1.2.840.10045.3.1.7");  // P-256
        byte[] known = Convert.FromHexString(TestMaterial.EcdsaSha256Signature);
        c.Expect("ecdsa-verify-known", ecdsa.VerifyData(Message, known, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            "OpenSSL's P-256 SHA-256 signature verifies");
        known[^1] ^= 1;
        c.Expect("ecdsa-reject-changed", !ecdsa.VerifyData(Message, known, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            "a changed signature is rejected");
        byte[] ours = ecdsa.SignData(Message, HashAlgorithmName.SHA256);
        c.Expect("ecdsa-sign-verify", ecdsa.VerifyData(Message, ours, HashAlgorithmName.SHA256), $"{ours.Length}-byte IEEE P1363 signature");
    }

    public static void Ecdh(Checks c)
    {
        using var ours = ECDiffieHellman.Create();
        ours.ImportFromPem(TestMaterial.EcPrivateKey1);
        using var theirs = ECDiffieHellman.Create();
        theirs.ImportFromPem(TestMaterial.EcPrivateKey2);
        c.Expect("ecdh-raw", Convert.ToHexStringLower(ours.DeriveRawSecretAgreement(theirs.PublicKey)), TestMaterial.EcdhSharedSecret);
        byte[] ab = ours.DeriveKeyFromHash(theirs.PublicKey, HashAlgorithmName.SHA256);
        byte[] ba = theirs.DeriveKeyFromHash(ours.PublicKey, HashAlgorithmName.SHA256);
        c.Expect("ecdh-hash", Convert.ToHexStringLower(ab) == Convert.ToHexStringLower(ba)
                              && Convert.ToHexStringLower(ab) == Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(TestMaterial.EcdhSharedSecret))),
            "both sides derive SHA-256 of the shared secret");
    }
}
