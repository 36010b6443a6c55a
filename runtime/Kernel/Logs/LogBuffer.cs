using Kernel.Memory;

namespace Kernel.Logs
{
    // The lines waiting to be shipped: one bounded block of memory (uk.log.buffer=KIB) holding records in the order
    // they were written. A record is addressed by its absolute position (bytes appended since boot), so a sink's
    // cursor stays valid when the block is compacted; each sink (syslog, OTLP) keeps its own cursor and a record
    // leaves the block once every sink has delivered it. When the block is full the NEWEST line is refused and
    // counted: what is already buffered (perhaps half-sent) stays intact, and the count goes into the stream as a
    // line of its own at the place of the gap, as soon as there is room again.
    //
    // Record: u16 text length, u8 stream, u8 zero, u64 realtime nanoseconds of the line's first byte, u32 sequence
    // number (1, 2, ... in the order lines were taken, 2^31-1 then 1 again: RFC 5424's meta sequenceId), the text.
    internal static unsafe class LogBuffer
    {
        public const int HeaderSize = 16;
        private const uint LastSequence = 0x7FFF_FFFF;
        public const int Stdout = 0, Stderr = 1, Kernel = 2;

        private static byte* s_data;
        private static int s_capacity;
        private static ulong s_base;      // absolute position of s_data[0]
        private static ulong s_end;       // absolute position after the last record
        private static ulong s_dropped, s_droppedUnreported, s_appended;
        private static uint s_sequence;

        public static bool IsReady => s_data != null;
        public static ulong End => s_end;
        public static ulong Dropped => s_dropped;
        public static bool HasUnreportedDrops => s_droppedUnreported > 0;
        public static ulong Appended => s_appended;
        public static int Capacity => s_capacity;

        public static bool Initialize(int capacity)
        {
            s_data = (byte*)KernelMemory.AllocateZeroed((nuint)capacity);
            if (s_data == null) return false;
            s_capacity = capacity;
            return true;
        }

        /// <summary>Stores one line (without its newline); false when it was dropped for lack of room.</summary>
        public static bool Append(int stream, ulong realtime, byte* text, int length)
        {
            if (s_data == null) return false;
            if (s_droppedUnreported > 0)
            {
                if (!AppendDropNotice(realtime)) { Drop(); return false; }
            }
            if (!Store(stream, realtime, text, length)) { Drop(); return false; }
            return true;
        }

        private static void Drop()
        {
            s_dropped++;
            s_droppedUnreported++;
        }

        /// <summary>After the sinks made room: the count of lines dropped so far goes into the stream at once, where they are missing.</summary>
        public static void ReportDrops(ulong realtime)
        {
            if (s_droppedUnreported > 0) AppendDropNotice(realtime);
        }

        // "uk: log: N lines dropped ...": a kernel line in the stream where the lines are missing.
        private static bool AppendDropNotice(ulong realtime)
        {
            byte* text = stackalloc byte[96];
            int n = Copy(text, 0, "uk: log: ");
            n = Decimal(text, n, s_droppedUnreported);
            n = Copy(text, n, s_droppedUnreported == 1 ? " line dropped: the log buffer was full" : " lines dropped: the log buffer was full");
            if (!Store(Kernel, realtime, text, n)) return false;
            s_droppedUnreported = 0;
            return true;
        }

        private static bool Store(int stream, ulong realtime, byte* text, int length)
        {
            if (length > 0xFFFF) length = 0xFFFF;
            int size = HeaderSize + length;
            if (!MakeRoom(size)) return false;
            byte* record = s_data + (s_end - s_base);
            *(ushort*)record = (ushort)length;
            record[2] = (byte)stream;
            record[3] = 0;
            *(ulong*)(record + 4) = realtime;
            s_sequence = s_sequence == LastSequence ? 1 : s_sequence + 1;
            *(uint*)(record + 12) = s_sequence;
            for (int i = 0; i < length; i++) record[HeaderSize + i] = text[i];
            s_end += (ulong)size;
            s_appended++;
            return true;
        }

        // Room at the end, compacting (moving the wanted records to the start) when that frees enough: first keeping what
        // the sinks would like to keep (the TCP sink's resend window), else only what they still need (not yet delivered).
        private static bool MakeRoom(int size)
        {
            if ((long)(s_end - s_base) + size <= s_capacity) return true;
            ulong oldest = LogShipper.OldestWanted;
            if (oldest < s_base) oldest = s_base;
            if ((long)(s_end - oldest) + size > s_capacity)
            {
                oldest = LogShipper.OldestNeeded;
                if (oldest < s_base) oldest = s_base;
                if ((long)(s_end - oldest) + size > s_capacity) return false;
                LogShipper.Discarded(oldest);
            }
            int keep = (int)(s_end - oldest);
            byte* from = s_data + (oldest - s_base);
            for (int i = 0; i < keep; i++) s_data[i] = from[i];
            s_base = oldest;
            return true;
        }

        /// <summary>The record at <paramref name="position"/> (which must be a record start before End).</summary>
        public static byte* At(ulong position) => s_data + (position - s_base);
        public static int TextLength(byte* record) => *(ushort*)record;
        public static int Stream(byte* record) => record[2];
        public static ulong Time(byte* record) => *(ulong*)(record + 4);
        public static uint Sequence(byte* record) => *(uint*)(record + 12);
        public static byte* Text(byte* record) => record + HeaderSize;
        public static ulong Next(ulong position) => position + HeaderSize + (ulong)TextLength(At(position));

        public static int Copy(byte* destination, int at, string text)
        {
            for (int i = 0; i < text.Length; i++) destination[at++] = (byte)text[i];
            return at;
        }

        public static int Decimal(byte* destination, int at, ulong value)
        {
            byte* digits = stackalloc byte[20];
            int n = 0;
            do { digits[n++] = (byte)('0' + (int)(value % 10)); value /= 10; } while (value != 0);
            while (n > 0) destination[at++] = digits[--n];
            return at;
        }
    }
}
