namespace Unikernel.Tools.Inspect;

/// <summary>
/// Charges every byte of one LZ4 block (lz4's block format, as formats/Lz4BlockDecoder.cs reads it) to a byte of the
/// output it expands to, so that a compressed image's bytes can be split among the parts whose expanded bytes they
/// make. A literal is charged to the output byte it becomes. A sequence's other bytes (token, extra length bytes,
/// offset) make no output byte of their own: they are charged to the first byte their match copies, since they are the
/// price of that match, or, in the last sequence, which has no match, to its first literal. The decoder has already
/// checked the block when this runs; the checks here only keep a damaged block from charging outside the output.
/// </summary>
public static class Lz4ByteCharges
{
    /// <summary>Marks <paramref name="literal"/>[i] = 1 for each output byte i that is a literal, and adds the other
    /// bytes of each sequence to <paramref name="overhead"/> at its output position. Returns the bytes charged to no
    /// output byte (a block that expands to nothing).</summary>
    public static ulong Charge(ReadOnlySpan<byte> block, Span<byte> literal, long outputStart, List<(long Position, ulong Bytes)> overhead)
    {
        int ip = 0, op = 0;
        while (ip < block.Length)
        {
            int sequenceStart = ip;
            byte token = block[ip++];
            long literals = ReadLength(block, ref ip, token >> 4);
            if (literals > block.Length - ip || literals > literal.Length - op)
                throw new InvalidDataException($"an LZ4 block's literals run past its end at byte {sequenceStart}");
            int firstLiteral = op;
            literal.Slice(op, (int)literals).Fill(1);
            ip += (int)literals;
            op += (int)literals;
            ulong cost = (ulong)(ip - sequenceStart) - (ulong)literals;
            if (ip == block.Length)
            {
                // The last sequence: no match, so its token and lengths pay for its literals (or, with none, for the
                // block's last byte).
                int at = literals > 0 ? firstLiteral : op - 1;
                if (at < 0) return cost;
                overhead.Add((outputStart + at, cost));
                return 0;
            }
            if (block.Length - ip < 2) throw new InvalidDataException($"an LZ4 block ends inside the offset of its sequence at byte {sequenceStart}");
            ip += 2;
            long match = ReadLength(block, ref ip, token & 15) + 4;
            if (match > literal.Length - op) throw new InvalidDataException($"an LZ4 block's match runs past its output at byte {sequenceStart}");
            overhead.Add((outputStart + op, (ulong)(ip - sequenceStart) - (ulong)literals));
            op += (int)match;
        }
        return 0;
    }

    private static long ReadLength(ReadOnlySpan<byte> block, ref int ip, int nibble)
    {
        long length = nibble;
        if (nibble < 15) return length;
        while (true)
        {
            if (ip >= block.Length) throw new InvalidDataException("an LZ4 block ends inside a length");
            byte more = block[ip++];
            length += more;
            if (more != 255) return length;
        }
    }
}
