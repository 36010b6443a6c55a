using System.Security.Cryptography;
using System.Text;

namespace CryptoSample;

/// <summary>Hashes, MACs, key derivation and AES against published test vectors; random numbers by their properties.</summary>
static class KnownAnswers
{
    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
    private static byte[] Bytes(string hex) => Convert.FromHexString(hex);
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    // FIPS 180 examples: the message "abc".
    public static void Hashes(Checks c)
    {
        byte[] abc = Ascii("abc");
        c.Expect("sha1", Hex(SHA1.HashData(abc)), "a9993e364706816aba3e25717850c26c9cd0d89d");
        c.Expect("sha256", Hex(SHA256.HashData(abc)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        c.Expect("sha384", Hex(SHA384.HashData(abc)),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
        c.Expect("sha512", Hex(SHA512.HashData(abc)),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
        // The same digest fed in pieces through the incremental API.
        using var incremental = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        incremental.AppendData(Ascii("a"));
        incremental.AppendData(Ascii("bc"));
        c.Expect("sha256-incremental", Hex(incremental.GetHashAndReset()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    // RFC 4231 test case 2.
    public static void Hmac(Checks c)
    {
        c.Expect("hmac-sha256", Hex(HMACSHA256.HashData(Ascii("Jefe"), Ascii("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        c.Expect("hmac-sha512", Hex(HMACSHA512.HashData(Ascii("Jefe"), Ascii("what do ya want for nothing?"))),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    }

    // RFC 7914 section 11 (PBKDF2-HMAC-SHA256, c = 1).
    public static void Pbkdf2(Checks c)
    {
        c.Expect("pbkdf2-sha256", Hex(Rfc2898DeriveBytes.Pbkdf2(Ascii("passwd"), Ascii("salt"), 1, HashAlgorithmName.SHA256, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    }

    // RFC 5869 test case 1.
    public static void Hkdf(Checks c)
    {
        byte[] ikm = Bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] salt = Bytes("000102030405060708090a0b0c");
        byte[] info = Bytes("f0f1f2f3f4f5f6f7f8f9");
        byte[] prk = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt);
        c.Expect("hkdf-extract", Hex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
        c.Expect("hkdf-expand", Hex(HKDF.Expand(HashAlgorithmName.SHA256, prk, 42, info)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    // No known answer exists for random bytes: two draws differ, the bytes are spread over all values, ranges hold.
    public static void Random(Checks c)
    {
        byte[] a = RandomNumberGenerator.GetBytes(32), b = RandomNumberGenerator.GetBytes(32);
        c.Expect("random-distinct", !a.AsSpan().SequenceEqual(b), "two 32-byte draws differ");
        var counts = new int[256];
        foreach (byte x in RandomNumberGenerator.GetBytes(256 * 64)) counts[x]++;
        // 64 expected per value; a chi-square above 400 (255 degrees of freedom) happens by chance about once in 10^8.
        double chiSquare = counts.Sum(n => (n - 64.0) * (n - 64.0) / 64.0);
        c.Expect("random-spread", chiSquare < 400, "chi-square of 16384 bytes below 400");
        bool inRange = Enumerable.Range(0, 1000).Select(_ => RandomNumberGenerator.GetInt32(10, 20)).All(v => v is >= 10 and < 20);
        c.Expect("random-range", inRange, "GetInt32(10, 20) stays in [10, 20)");
    }

    // NIST SP 800-38A F.2.1 (CBC-AES128, first block) and F.2.5 (CBC-AES256), no padding; then PKCS#7 round trip.
    public static void AesCbc(Checks c)
    {
        using var aes = Aes.Create();
        aes.Key = Bytes("2b7e151628aed2a6abf7158809cf4f3c");
        byte[] iv = Bytes("000102030405060708090a0b0c0d0e0f");
        byte[] plain = Bytes("6bc1bee22e409f96e93d7e117393172a");
        c.Expect("aes128-cbc", Hex(aes.EncryptCbc(plain, iv, PaddingMode.None)), "7649abac8119b246cee98e9b12e9197d");
        aes.Key = Bytes("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        c.Expect("aes256-cbc", Hex(aes.EncryptCbc(plain, iv, PaddingMode.None)), "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
        byte[] message = Ascii("an odd-length message for PKCS#7 padding");
        byte[] sealedBytes = aes.EncryptCbc(message, iv);
        c.Expect("aes256-cbc-pkcs7", aes.DecryptCbc(sealedBytes, iv).AsSpan().SequenceEqual(message), $"{sealedBytes.Length}-byte round trip");
    }

    // The GCM specification's test case 4 (McGrew and Viega): AES-128, 60-byte plaintext, 20 bytes of associated data.
    public static void AesGcm(Checks c)
    {
        byte[] key = Bytes("feffe9928665731c6d6a8f9467308308");
        byte[] nonce = Bytes("cafebabefacedbaddecaf888");
        byte[] plain = Bytes("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        byte[] aad = Bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        using var gcm = new System.Security.Cryptography.AesGcm(key, 16);
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        gcm.Encrypt(nonce, plain, cipher, tag, aad);
        c.Expect("aes128-gcm-ciphertext", Hex(cipher),
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
        c.Expect("aes128-gcm-tag", Hex(tag), "5bc94fbc3221a5db94fae95ae7121a47");
        var opened = new byte[plain.Length];
        gcm.Decrypt(nonce, cipher, tag, opened, aad);
        c.Expect("aes128-gcm-decrypt", opened.AsSpan().SequenceEqual(plain), "decrypts to the plaintext");
        tag[0] ^= 1;
        bool rejected = false;
        try { gcm.Decrypt(nonce, cipher, tag, opened, aad); }
        catch (AuthenticationTagMismatchException) { rejected = true; }
        c.Expect("aes128-gcm-tamper", rejected, "a changed tag is rejected");
    }
}
