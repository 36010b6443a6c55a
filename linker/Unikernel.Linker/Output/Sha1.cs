using System.Buffers.Binary;
using System.Numerics;

namespace Unikernel.Linker.Output;

/// <summary>
/// SHA-1 (FIPS 180-4), used only to name outputs (build ids), never for security. Our own because the
/// BCL's SHA1 calls into OpenSSL on Linux, which a fully static linker binary cannot load.
/// </summary>
public static class Sha1
{
    public const int HashSize = 20;

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        uint h0 = 0x67452301, h1 = 0xEFCDAB89, h2 = 0x98BADCFE, h3 = 0x10325476, h4 = 0xC3D2E1F0;
        Span<uint> w = stackalloc uint[80];

        // The message, then 0x80, zeros, and the bit length: a whole number of 64-byte blocks.
        int fullBlocks = data.Length / 64;
        int tailLength = data.Length % 64;
        Span<byte> tail = stackalloc byte[128];
        tail.Clear();
        data[(fullBlocks * 64)..].CopyTo(tail);
        tail[tailLength] = 0x80;
        int tailBlocks = tailLength + 1 + 8 <= 64 ? 1 : 2;
        BinaryPrimitives.WriteUInt64BigEndian(tail[(tailBlocks * 64 - 8)..], (ulong)data.Length * 8);

        for (int block = 0; block < fullBlocks + tailBlocks; block++)
        {
            ReadOnlySpan<byte> chunk = block < fullBlocks ? data.Slice(block * 64, 64) : tail.Slice((block - fullBlocks) * 64, 64);
            for (int i = 0; i < 16; i++) w[i] = BinaryPrimitives.ReadUInt32BigEndian(chunk[(i * 4)..]);
            for (int i = 16; i < 80; i++) w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

            uint a = h0, b = h1, c = h2, d = h3, e = h4;
            for (int i = 0; i < 80; i++)
            {
                uint f, k;
                if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
                else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
                else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
                else { f = b ^ c ^ d; k = 0xCA62C1D6; }
                uint temp = BitOperations.RotateLeft(a, 5) + f + e + k + w[i];
                e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
            }
            h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
        }

        var hash = new byte[HashSize];
        BinaryPrimitives.WriteUInt32BigEndian(hash, h0);
        BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(4), h1);
        BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(8), h2);
        BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(12), h3);
        BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(16), h4);
        return hash;
    }
}
