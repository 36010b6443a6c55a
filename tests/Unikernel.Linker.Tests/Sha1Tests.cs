using System.Security.Cryptography;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker.Tests;

/// <summary>Our SHA-1 (for build ids) against the BCL's, on the lengths where padding changes shape.</summary>
public class Sha1Tests
{
    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(55)] [InlineData(56)] [InlineData(63)] [InlineData(64)]
    [InlineData(65)] [InlineData(119)] [InlineData(120)] [InlineData(1000)] [InlineData(100_003)]
    public void MatchesTheBclOnEveryPaddingCase(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(SHA1.HashData(data), Sha1.Hash(data));
    }

    [Fact]
    public void KnownAnswer() =>
        Assert.Equal("a9993e364706816aba3e25717850c26c9cd0d89d", Convert.ToHexStringLower(Sha1.Hash("abc"u8)));
}
