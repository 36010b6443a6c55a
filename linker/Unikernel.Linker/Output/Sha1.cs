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
        Span<uint> state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];

        // The message, then 0x80, zeros, and the bit length: a whole number of 64-byte blocks.
        int fullBlocks = data.Length / 64;
        int tailLength = data.Length % 64;
        Span<byte> tail = stackalloc byte[128];
        tail.Clear();
        data[(fullBlocks * 64)..].CopyTo(tail);
        tail[tailLength] = 0x80;
        int tailBlocks = tailLength + 1 + 8 <= 64 ? 1 : 2;
        BinaryPrimitives.WriteUInt64BigEndian(tail[(tailBlocks * 64 - 8)..], (ulong)data.Length * 8);

        Compress(state, data[..(fullBlocks * 64)]);
        Compress(state, tail[..(tailBlocks * 64)]);

        var hash = new byte[HashSize];
        for (int i = 0; i < 5; i++)
            BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(i * 4), state[i]);
        return hash;
    }

    // Pointers rather than spans: the build id hashes the whole image, and bounds checks on the message
    // schedule were a third of the time. One loop per round function, so no step branches either.
    private static unsafe void Compress(Span<uint> state, ReadOnlySpan<byte> blocks)
    {
        uint* w = stackalloc uint[80];
        uint h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3], h4 = state[4];
        fixed (byte* start = blocks)
        {
            for (byte* chunk = start; chunk < start + blocks.Length; chunk += 64)
            {
                for (int i = 0; i < 16; i++)
                    w[i] = BinaryPrimitives.ReverseEndianness(*(uint*)(chunk + i * 4));
                for (int i = 16; i < 80; i++)
                    w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

                uint a = h0, b = h1, c = h2, d = h3, e = h4, temp;
                for (int i = 0; i < 20; i++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + (d ^ (b & (c ^ d))) + e + 0x5A827999 + w[i];
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                for (int i = 20; i < 40; i++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + e + 0x6ED9EBA1 + w[i];
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                for (int i = 40; i < 60; i++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + ((b & c) | (d & (b | c))) + e + 0x8F1BBCDC + w[i];
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                for (int i = 60; i < 80; i++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + e + 0xCA62C1D6 + w[i];
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
            }
        }
        state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3; state[4] = h4;
    }
}
