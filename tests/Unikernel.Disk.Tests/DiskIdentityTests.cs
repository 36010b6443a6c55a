using System.Security.Cryptography;
using System.Text;

namespace Unikernel.Disk.Tests;

/// <summary>DiskIdentity derives with our own SHA-256 and HMAC (the static uk-ld cannot load OpenSSL): the BCL's, which
/// OpenSSL backs on this host, is the oracle.</summary>
public sealed class DiskIdentityTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(100_000)]
    public void MatchesTheBclsSha256AndHmac(int imageBytes)
    {
        var image = new byte[imageBytes];
        new Random(imageBytes).NextBytes(image);
        var identity = DiskIdentity.Of(image);
        Assert.Equal(SHA256.HashData(image), identity.ContentHash.ToArray());
        foreach (string purpose in new[] { "gpt-disk", "esp-partition", "" })
        {
            byte[] mac = HMACSHA256.HashData(SHA256.HashData(image), Encoding.UTF8.GetBytes(purpose));
            Assert.Equal(BitConverter.ToUInt32(mac), identity.Number(purpose));
            mac[7] = (byte)((mac[7] & 0x0F) | 0x40);
            mac[8] = (byte)((mac[8] & 0x3F) | 0x80);
            Assert.Equal(new Guid(mac.AsSpan(0, 16)), identity.Guid(purpose));
        }
    }
}
