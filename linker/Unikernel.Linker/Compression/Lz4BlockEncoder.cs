using System.Buffers.Binary;
using Unikernel.Formats;

namespace Unikernel.Linker.Compression;

/// <summary>
/// LZ4 block compressor (lz4's doc/lz4_Block_format.md) for the image payload. Link time is paid once and boot time on
/// every start, so it searches harder than lz4's fast mode: hash chains over the 64 KiB window (the format's offset
/// limit), the longest match among <see cref="ChainDepth"/> candidates, and one step of lazy matching (a match is
/// put off by a byte when the next position has a longer one), as lz4's HC levels do. The output is any LZ4 decoder's
/// input (`lz4 -d` reads it in a frame; the tests check), and depends only on the input bytes.
/// </summary>
public static class Lz4BlockEncoder
{
    public const int ChainDepth = 48;

    /// <summary>
    /// Matches shorter than this stay literals. Every sequence costs the kernel's decoder some 35 guest instructions
    /// whatever its length, and a 4-byte match saves one byte: measured on hello's 2.3 MB payload
    /// (docs/benchmarks.md), the format's own minimum of 4 gives 1,034 KB and 8.7 M instructions to expand, 8 gives
    /// 1,247 KB and 5.0 M. Boot time is paid on every start and a byte of image once per copy, so 8.
    /// </summary>
    public const int ShortestMatch = 8;
    private const int MinMatch = Lz4BlockDecoder.MinMatch;
    private const int MaxOffset = 65535;
    private const int WindowMask = 0xFFFF;
    private const int HashBits = 17;
    // The format's end rules: the last 5 bytes are literals, and no match starts in the last 12.
    private const int LastLiterals = 5;
    private const int MatchStartLimit = 12;

    /// <summary>The most bytes an encoding of <paramref name="length"/> bytes can take (all literals).</summary>
    public static int MaxEncodedLength(int length) => checked(length + length / 255 + 16);

    public static byte[] Encode(ReadOnlySpan<byte> input) => Encode(input, ShortestMatch);

    /// <param name="shortestMatch">The shortest match worth a sequence (at least the format's 4).</param>
    public static byte[] Encode(ReadOnlySpan<byte> input, int shortestMatch)
    {
        var output = new byte[MaxEncodedLength(input.Length)];
        int written = new Encoder(input, output, shortestMatch).Run();
        return output.AsSpan(0, written).ToArray();
    }

    private ref struct Encoder
    {
        private readonly ReadOnlySpan<byte> _in;
        private readonly Span<byte> _out;
        private readonly int[] _head;
        private readonly int[] _previous;
        private int _op;
        private int _inserted;

        private readonly int _shortest;

        public Encoder(ReadOnlySpan<byte> input, Span<byte> output, int shortest)
        {
            _shortest = Math.Max(shortest, MinMatch);
            _in = input;
            _out = output;
            _head = new int[1 << HashBits];
            Array.Fill(_head, -1);
            _previous = new int[WindowMask + 1];
            _op = 0;
            _inserted = 0;
        }

        public int Run()
        {
            int n = _in.Length;
            int anchor = 0, i = 0;
            int matchStartEnd = n - MatchStartLimit;   // a match may start below this
            int matchEnd = n - LastLiterals;           // and must end at or below this
            while (i < matchStartEnd)
            {
                int length = FindMatch(i, matchEnd, out int offset);
                if (length < _shortest)
                {
                    i++;
                    continue;
                }
                // Lazy: a longer match one byte on is worth a literal.
                while (i + 1 < matchStartEnd)
                {
                    int next = FindMatch(i + 1, matchEnd, out int nextOffset);
                    if (next <= length || next < _shortest) break;
                    i++;
                    length = next;
                    offset = nextOffset;
                }
                WriteSequence(anchor, i - anchor, offset, length);
                i += length;
                anchor = i;
            }
            WriteLastLiterals(anchor, n - anchor);
            return _op;
        }

        private static int Hash(uint value) => (int)((value * 2654435761u) >> (32 - HashBits));

        private void InsertUpTo(int position)
        {
            while (_inserted < position)
            {
                int h = Hash(BinaryPrimitives.ReadUInt32LittleEndian(_in[_inserted..]));
                _previous[_inserted & WindowMask] = _head[h];
                _head[h] = _inserted;
                _inserted++;
            }
        }

        /// <summary>The longest earlier match at <paramref name="position"/> within the window, ending by
        /// <paramref name="limit"/>; the nearest among equals, so the choice depends only on the input.</summary>
        private int FindMatch(int position, int limit, out int offset)
        {
            InsertUpTo(position);
            offset = 0;
            int best = 0;
            uint first = BinaryPrimitives.ReadUInt32LittleEndian(_in[position..]);
            int candidate = _head[Hash(first)];
            for (int depth = 0; depth < ChainDepth && candidate >= 0 && position - candidate <= MaxOffset; depth++)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(_in[candidate..]) == first
                    && (best == 0 || _in[candidate + best] == _in[position + best]))
                {
                    int length = MinMatch;
                    while (position + length < limit && _in[candidate + length] == _in[position + length]) length++;
                    if (length > best)
                    {
                        best = length;
                        offset = position - candidate;
                        if (position + length >= limit) break;
                    }
                }
                int older = _previous[candidate & WindowMask];
                if (older >= candidate) break;   // the slot was reused by a newer position: the chain ends
                candidate = older;
            }
            return best >= MinMatch ? best : 0;
        }

        private void WriteSequence(int literalStart, int literalCount, int offset, int matchLength)
        {
            int matchCode = matchLength - MinMatch;
            int token = _op++;
            _out[token] = (byte)((Math.Min(literalCount, 15) << 4) | Math.Min(matchCode, 15));
            if (literalCount >= 15) WriteLength(literalCount - 15);
            _in.Slice(literalStart, literalCount).CopyTo(_out[_op..]);
            _op += literalCount;
            _out[_op++] = (byte)offset;
            _out[_op++] = (byte)(offset >> 8);
            if (matchCode >= 15) WriteLength(matchCode - 15);
        }

        private void WriteLastLiterals(int literalStart, int literalCount)
        {
            _out[_op++] = (byte)(Math.Min(literalCount, 15) << 4);
            if (literalCount >= 15) WriteLength(literalCount - 15);
            _in.Slice(literalStart, literalCount).CopyTo(_out[_op..]);
            _op += literalCount;
        }

        private void WriteLength(int remaining)
        {
            while (remaining >= 255)
            {
                _out[_op++] = 255;
                remaining -= 255;
            }
            _out[_op++] = (byte)remaining;
        }
    }
}
