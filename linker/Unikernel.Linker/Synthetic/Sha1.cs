using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// SHA-1 (FIPS 180-4), used only to name outputs (build ids), never for security. Our own because the
/// BCL's SHA1 calls into OpenSSL on Linux, which a fully static linker binary cannot load.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit]
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

    private const uint K0 = 0x5A827999, K1 = 0x6ED9EBA1, K2 = 0x8F1BBCDC, K3 = 0xCA62C1D6;

    // Pointers rather than spans: the build id hashes the whole image, and bounds checks on the message
    // schedule were a third of the time. One loop per round function, so no step branches either. The
    // rounds read W[i] + K precomputed: with SSE2 four schedule words at a time (see ScheduleVector),
    // which halved the time of a block, since the scalar schedule was more than half of it.
    private static unsafe void Compress(Span<uint> state, ReadOnlySpan<byte> blocks)
    {
        uint* wk = stackalloc uint[80];
        uint h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3], h4 = state[4];
        fixed (byte* start = blocks)
        {
            for (byte* chunk = start; chunk < start + blocks.Length; chunk += 64)
            {
                if (Sse2.IsSupported)
                    ScheduleVector(chunk, wk);
                else
                    ScheduleScalar(chunk, wk);

                uint a = h0, b = h1, c = h2, d = h3, e = h4, temp;
                uint* w = wk;
                for (uint* end = wk + 20; w < end; w++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + (d ^ (b & (c ^ d))) + e + *w;
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                for (uint* end = wk + 40; w < end; w++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + e + *w;
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                for (uint* end = wk + 60; w < end; w++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + ((b & c) | (d & (b | c))) + e + *w;
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                for (uint* end = wk + 80; w < end; w++)
                {
                    temp = BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + e + *w;
                    e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
                }
                h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
            }
        }
        state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3; state[4] = h4;
    }

    private static uint RoundConstant(int i) => i < 20 ? K0 : i < 40 ? K1 : i < 60 ? K2 : K3;

    private static unsafe void ScheduleScalar(byte* chunk, uint* wk)
    {
        uint* w = stackalloc uint[80];
        for (int i = 0; i < 16; i++)
            w[i] = BinaryPrimitives.ReverseEndianness(*(uint*)(chunk + i * 4));
        for (int i = 16; i < 80; i++)
            w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        for (int i = 0; i < 80; i++)
            wk[i] = w[i] + RoundConstant(i);
    }

    /// <summary>
    /// W[i..i+3] from four earlier groups at once. W[i+3] needs W[i], computed in the same step: the vector
    /// takes 0 in its place, and since rotation distributes over xor, the missing term is rotl1(W[i]) xored
    /// into the last lane afterwards.
    /// </summary>
    private static unsafe void ScheduleVector(byte* chunk, uint* wk)
    {
        Vector128<uint> w16, w12, w8, w4;     // W[i-16..i-13] ... W[i-4..i-1] for the first computed group, i = 16
        if (Ssse3.IsSupported)
        {
            var bigEndian = Vector128.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
            w16 = Ssse3.Shuffle(Sse2.LoadVector128(chunk), bigEndian).AsUInt32();
            w12 = Ssse3.Shuffle(Sse2.LoadVector128(chunk + 16), bigEndian).AsUInt32();
            w8 = Ssse3.Shuffle(Sse2.LoadVector128(chunk + 32), bigEndian).AsUInt32();
            w4 = Ssse3.Shuffle(Sse2.LoadVector128(chunk + 48), bigEndian).AsUInt32();
        }
        else
        {
            uint* w = stackalloc uint[16];
            for (int i = 0; i < 16; i++)
                w[i] = BinaryPrimitives.ReverseEndianness(*(uint*)(chunk + i * 4));
            w16 = Sse2.LoadVector128(w);
            w12 = Sse2.LoadVector128(w + 4);
            w8 = Sse2.LoadVector128(w + 8);
            w4 = Sse2.LoadVector128(w + 12);
        }
        Vector128<uint> k0 = Vector128.Create(K0), k1 = Vector128.Create(K1), k2 = Vector128.Create(K2), k3 = Vector128.Create(K3);
        Sse2.Store(wk, Sse2.Add(w16, k0));
        Sse2.Store(wk + 4, Sse2.Add(w12, k0));
        Sse2.Store(wk + 8, Sse2.Add(w8, k0));
        Sse2.Store(wk + 12, Sse2.Add(w4, k0));
        for (int i = 16; i < 80; i += 4)
        {
            // W[i-14..i-11]: the high half of w16 and the low half of w12.
            var w14 = Sse2.Shuffle(w16.AsDouble(), w12.AsDouble(), 1).AsUInt32();
            // W[i-3..i-1] and 0.
            var w3 = Sse2.ShiftRightLogical128BitLane(w4, 4);
            var x = Sse2.Xor(Sse2.Xor(w16, w14), Sse2.Xor(w8, w3));
            var rotated = Sse2.Or(Sse2.ShiftLeftLogical(x, 1), Sse2.ShiftRightLogical(x, 31));
            var first = Sse2.ShiftLeftLogical128BitLane(rotated, 12);
            var next = Sse2.Xor(rotated, Sse2.Or(Sse2.ShiftLeftLogical(first, 1), Sse2.ShiftRightLogical(first, 31)));
            Sse2.Store(wk + i, Sse2.Add(next, i < 20 ? k0 : i < 40 ? k1 : i < 60 ? k2 : k3));
            w16 = w12; w12 = w8; w8 = w4; w4 = next;
        }
    }
}
