using Kernel.Time;

namespace Kernel.Logs
{
    // Where shipped lines come from: the app's writes to the console (stdout and stderr, ConsoleHandle) and the
    // kernel's own console lines (KernelConsole), each split into lines here. A partial line waits in its stream's
    // holder until its newline (or a flush at shutdown); one longer than MaxLine is shipped in MaxLine pieces. The tap
    // only copies into memory: it never sends, so a write never waits for the network and the network code's own
    // kernel lines cannot recurse into the shipper.
    internal static unsafe class LogTap
    {
        public const int MaxLine = 2048;
        private const int Streams = 3;

        private struct LineHolder { public fixed byte Bytes[MaxLine]; }
        private static LineHolder s_stdout, s_stderr, s_kernel;
        private struct Counts { public fixed int Lengths[Streams]; public fixed ulong Started[Streams]; }
        private static Counts s_counts;

        public static bool Enabled;

        /// <summary>Bytes the app wrote to the console: through fd 2's description (or a dup of it), else stdout.</summary>
        public static void App(bool standardError, byte* data, long count)
        {
            if (!Enabled) return;
            int stream = standardError ? LogBuffer.Stderr : LogBuffer.Stdout;
            for (long i = 0; i < count; i++) Take(stream, data[i]);
        }

        /// <summary>One character of a kernel console line (before the console's own \r and tag).</summary>
        public static void KernelCharacter(char c)
        {
            if (!Enabled) return;
            Take(LogBuffer.Kernel, c < 0x80 ? (byte)c : (byte)'?');
        }

        /// <summary>Every held partial line becomes a record (shutdown: nothing more will complete it).</summary>
        public static void FlushPartialLines()
        {
            for (int stream = 0; stream < Streams; stream++)
                if (Length(stream) > 0) Commit(stream);
        }

        private static void Take(int stream, byte b)
        {
            if (b == '\n') { Commit(stream); return; }
            int length = Length(stream);
            if (length == 0) SetStarted(stream, Clock.RealtimeNanoseconds);
            if (length == MaxLine) { Commit(stream); length = 0; SetStarted(stream, Clock.RealtimeNanoseconds); }
            Holder(stream)[length] = b;
            SetLength(stream, length + 1);
        }

        private static void Commit(int stream)
        {
            int length = Length(stream);
            byte* text = Holder(stream);
            if (length > 0 && text[length - 1] == '\r') length--;   // CRLF line ends: the CR is no part of the text
            ulong started = length > 0 ? Started(stream) : Clock.RealtimeNanoseconds;
            LogBuffer.Append(stream, started, text, length);
            SetLength(stream, 0);
        }

        private static byte* Holder(int stream)
        {
            if (stream == LogBuffer.Stdout) fixed (byte* b = s_stdout.Bytes) return b;
            if (stream == LogBuffer.Stderr) fixed (byte* b = s_stderr.Bytes) return b;
            fixed (byte* b = s_kernel.Bytes) return b;
        }

        private static int Length(int stream) { fixed (int* l = s_counts.Lengths) return l[stream]; }
        private static void SetLength(int stream, int value) { fixed (int* l = s_counts.Lengths) l[stream] = value; }
        private static ulong Started(int stream) { fixed (ulong* s = s_counts.Started) return s[stream]; }
        private static void SetStarted(int stream, ulong value) { fixed (ulong* s = s_counts.Started) s[stream] = value; }
    }
}
