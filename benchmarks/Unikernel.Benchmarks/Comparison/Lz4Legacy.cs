using System.Buffers.Binary;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// A decoder for LZ4's legacy frame format, the one `lz4 -l` writes and Linux uses for LZ4-compressed
/// kernels (arch/x86/boot/compressed, KERNEL_LZ4): the magic 0x184C2102, then blocks, each a little-endian
/// 32-bit compressed size followed by an LZ4 block that decompresses to at most 8 MiB. The frame ends at the
/// end of the input, or where another frame's magic begins (the kernel build appends the uncompressed size
/// after the last block, which callers cut off).
/// </summary>
public static class Lz4Legacy
{
    public const uint Magic = 0x184C2102;
    private const int MaxBlockSize = 8 << 20;

    public static byte[] Decompress(ReadOnlySpan<byte> input, int expectedLength = -1)
    {
        if (input.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(input) != Magic)
            throw new InvalidDataException("not an LZ4 legacy frame (magic 0x184C2102 missing)");
        var output = new byte[expectedLength >= 0 ? expectedLength : Math.Max(input.Length * 4, MaxBlockSize)];
        int written = 0, at = 4;
        while (at + 4 <= input.Length)
        {
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(input[at..]);
            at += 4;
            if (size == Magic) continue;                       // a concatenated frame: its blocks follow
            if (size == 0 || size > input.Length - at) throw new InvalidDataException($"LZ4 block of {size} bytes at offset {at - 4} runs past the input");
            if (expectedLength < 0 && output.Length - written < MaxBlockSize) Array.Resize(ref output, output.Length * 2);
            written += DecompressBlock(input.Slice(at, (int)size), output.AsSpan(written));
            at += (int)size;
        }
        if (expectedLength >= 0 && written != expectedLength)
            throw new InvalidDataException($"LZ4 data decompressed to {written} bytes, expected {expectedLength}");
        return expectedLength >= 0 ? output : output[..written];
    }

    /// <summary>One LZ4 block: sequences of (token, literal length, literals, match offset, match length).</summary>
    public static int DecompressBlock(ReadOnlySpan<byte> block, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < block.Length)
        {
            int token = block[ip++];
            int literals = token >> 4;
            if (literals == 15)
            {
                int b;
                do { b = block[ip++]; literals += b; } while (b == 255);
            }
            if (literals > block.Length - ip || literals > output.Length - op) throw new InvalidDataException("LZ4 literals run past the block or the output");
            block.Slice(ip, literals).CopyTo(output[op..]);
            ip += literals;
            op += literals;
            if (ip == block.Length) break;                     // the last sequence has literals only

            int offset = block[ip] | block[ip + 1] << 8;
            ip += 2;
            if (offset == 0 || offset > op) throw new InvalidDataException($"LZ4 match offset {offset} at output position {op} is invalid");
            int length = token & 15;
            if (length == 15)
            {
                int b;
                do { b = block[ip++]; length += b; } while (b == 255);
            }
            length += 4;
            if (length > output.Length - op) throw new InvalidDataException("LZ4 match runs past the output");
            int from = op - offset;
            if (offset >= length) output.Slice(from, length).CopyTo(output[op..]);
            else for (int i = 0; i < length; i++) output[op + i] = output[from + i];   // overlapping: repeats a pattern
            op += length;
        }
        return op;
    }
}
