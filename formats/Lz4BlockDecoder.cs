using System.Runtime.CompilerServices;

namespace Unikernel.Formats
{
    // The LZ4 block decoder (lz4's doc/lz4_Block_format.md): the kernel expands the image's payload with it at boot, and
    // `uk` and the tests with the same code on the host. A block is a run of sequences: a token (high nibble: literal
    // count, low nibble: match length - 4; 15 means more length bytes follow, each adding up to 255), the literals, a
    // 2-byte little-endian offset back into the output, and the match; the last sequence stops after its literals.
    //
    // Plain pointer code, because it runs before the kernel has a heap: no spans, no exceptions. Every length and offset
    // is checked against both buffers before a byte moves, so a corrupt block cannot write outside the destination. The
    // copies move 8 bytes at a time where the destination has room past the end (under TCG every guest instruction
    // counts, and a byte loop costs four times as many); an overlapping match closer than 8 bytes back (a run) first
    // lays down enough of its period byte by byte to copy 8 at a time from a multiple of it.
    internal static unsafe class Lz4BlockDecoder
    {
        public const int MinMatch = 4;
        private const int WideCopy = 8;
        // Room the fast path needs past the token in the input (14 literals and the offset, read 16 + 2 bytes wide) and
        // past the sequence's start in the output (14 literals and an 18-byte match, written wide).
        private const ulong FastRoom = 32;

        /// <summary>The bytes written to <paramref name="destination"/>, or -1 - (offset in <paramref name="source"/> of the
        /// sequence at fault) when the block is corrupt or expands beyond <paramref name="capacity"/>.</summary>
        public static long Decode(byte* source, ulong sourceLength, byte* destination, ulong capacity)
        {
            byte* ip = source, ipEnd = source + sourceLength;
            byte* op = destination, opEnd = destination + capacity;
            // The common sequence (fewer than 15 literals, a match of 4 to 18 bytes at least 8 back) has a path of its
            // own, as lz4's decoder has: 16 literal bytes and 18 match bytes copied whatever the lengths, while both
            // buffers have that much room left.
            byte* fastIpEnd = sourceLength >= 2 * FastRoom ? ipEnd - FastRoom : source;
            byte* fastOpEnd = capacity >= 2 * FastRoom ? opEnd - FastRoom : destination;
            while (true)
            {
                byte* sequence = ip;
                if (ip >= ipEnd) return Fault(source, sequence);
                uint token = *ip++;
                ulong literals = token >> 4;
                ulong offset, length;
                if (literals < 15 && ip < fastIpEnd && op < fastOpEnd)
                {
                    *(ulong*)op = *(ulong*)ip;
                    *(ulong*)(op + 8) = *(ulong*)(ip + 8);
                    op += literals;
                    ip += literals;
                    offset = (ulong)*(ushort*)ip;
                    ip += 2;
                    length = token & 15;
                    if (length < 15 && offset >= WideCopy && offset <= (ulong)(op - destination))
                    {
                        byte* from = op - offset;
                        *(ulong*)op = *(ulong*)from;
                        *(ulong*)(op + 8) = *(ulong*)(from + 8);
                        *(ushort*)(op + 16) = *(ushort*)(from + 16);
                        op += length + MinMatch;
                        continue;
                    }
                }
                else
                {
                    if (literals == 15 && !ReadLength(ref ip, ipEnd, ref literals)) return Fault(source, sequence);
                    if (literals > (ulong)(ipEnd - ip) || literals > (ulong)(opEnd - op)) return Fault(source, sequence);
                    CopyLiterals(op, ip, literals, ipEnd, opEnd);
                    op += literals;
                    ip += literals;
                    if (ip == ipEnd) return op - destination;   // the last sequence: literals only

                    if (ipEnd - ip < 2) return Fault(source, sequence);
                    offset = (ulong)ip[0] | ((ulong)ip[1] << 8);
                    ip += 2;
                    length = token & 15;
                }
                if (offset == 0 || offset > (ulong)(op - destination)) return Fault(source, sequence);
                if (length == 15 && !ReadLength(ref ip, ipEnd, ref length)) return Fault(source, sequence);
                length += MinMatch;
                if (length > (ulong)(opEnd - op)) return Fault(source, sequence);
                CopyMatch(op, offset, length, opEnd);
                op += length;
            }
        }

        private static long Fault(byte* source, byte* sequence) => -1 - (sequence - source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool ReadLength(ref byte* ip, byte* ipEnd, ref ulong length)
        {
            while (ip < ipEnd)
            {
                uint more = *ip++;
                length += more;
                if (more != 255) return true;
            }
            return false;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void CopyLiterals(byte* op, byte* ip, ulong count, byte* ipEnd, byte* opEnd)
        {
            byte* end = op + count;
            if ((ulong)(ipEnd - ip) >= count + 2 * WideCopy && (ulong)(opEnd - op) >= count + 2 * WideCopy)
            {
                // Up to 15 bytes past the literals are read and written: both buffers have them, and the output's are
                // rewritten by what follows.
                while (op < end)
                {
                    *(ulong*)op = *(ulong*)ip;
                    *(ulong*)(op + 8) = *(ulong*)(ip + 8);
                    op += 2 * WideCopy;
                    ip += 2 * WideCopy;
                }
                return;
            }
            while (op < end) *op++ = *ip++;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void CopyMatch(byte* op, ulong offset, ulong length, byte* opEnd)
        {
            byte* end = op + length;
            byte* from = op - offset;
            if ((ulong)(opEnd - op) < length + WideCopy)
            {
                while (op < end) *op++ = *from++;
                return;
            }
            if (offset < WideCopy)
            {
                // A run with period `offset`: byte i equals byte i - k*offset for the smallest k with k*offset >= 8,
                // once (k-1)*offset bytes of this match exist.
                ulong step = offset;
                while (step < WideCopy) step += offset;
                byte* wideStart = op + (step - offset);
                while (op < wideStart && op < end) *op++ = *from++;
                from = op - step;
            }
            if (op - from >= 2 * WideCopy && (ulong)(opEnd - op) >= length + 2 * WideCopy)
            {
                while (op < end)
                {
                    *(ulong*)op = *(ulong*)from;
                    *(ulong*)(op + 8) = *(ulong*)(from + 8);
                    op += 2 * WideCopy;
                    from += 2 * WideCopy;
                }
                return;
            }
            while (op < end)
            {
                *(ulong*)op = *(ulong*)from;
                op += WideCopy;
                from += WideCopy;
            }
        }
    }
}
