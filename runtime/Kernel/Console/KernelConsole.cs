namespace Kernel.Console
{
    // Text output for the kernel's own messages. Everything the kernel says starts with "uk: " so that
    // people can tell it apart from the app's output on the same serial line. A person can be fooled by an
    // app that prints "uk: " too; `uk run` cannot: it gives the kernel a per-boot secret (uk.console.tag=HEX,
    // see ConsoleLineTag), and the kernel starts each of its console lines with LineMarker + that secret.
    // The app never learns the secret (the boot report prints it masked, it is no app argument or
    // environment entry), so it cannot write a line uk takes for the kernel's. Without the option (other
    // VMMs, a person running QEMU by hand) lines are plain "uk: ..." as before.
    internal static unsafe class KernelConsole
    {
        /// <summary>ASCII record separator: starts a tagged line, so the host holds back only app text that begins with it.</summary>
        public const byte LineMarker = 0x1E;
        public const int MaxTagLength = 64;

        private struct TagStorage { public fixed byte Bytes[MaxTagLength]; }
        private static TagStorage s_tag;
        private static int s_tagLength;
        private static bool s_midLine;

        /// <summary>From now on each kernel line starts with LineMarker and these bytes (copied; at most MaxTagLength).</summary>
        public static void SetLineTag(byte* tag, int length)
        {
            if (length > MaxTagLength) length = MaxTagLength;
            fixed (byte* storage = s_tag.Bytes)
                for (int i = 0; i < length; i++) storage[i] = tag[i];
            s_tagLength = length;
        }

        public static void Write(char c)
        {
            Logs.LogTap.KernelCharacter(c);
            if (!s_midLine)
            {
                s_midLine = true;
                if (s_tagLength > 0) WriteTag();
            }
            if (c == '\n') { SerialPort.Write((byte)'\r'); s_midLine = false; }
            SerialPort.Write(c < 0x80 ? (byte)c : (byte)'?');
        }

        private static void WriteTag()
        {
            SerialPort.Write(LineMarker);
            fixed (byte* storage = s_tag.Bytes) SerialPort.Write(storage, s_tagLength);
        }

        public static void Write(string text)
        {
            if ((object)text == null) { Write("(null)"); return; }
            for (int i = 0; i < text.Length; i++) Write(text[i]);
        }

        public static void WriteLine(string text) { Write(text); Write('\n'); }
        public static void WriteLine() => Write('\n');

        /// <summary>NUL-terminated or length-bounded ASCII/UTF-8 bytes, non-ASCII shown as '?'.</summary>
        public static void WriteBytes(byte* text, int length)
        {
            for (int i = 0; i < length && text[i] != 0; i++) Write((char)text[i]);
        }

        /// <summary>
        /// Bytes that came from outside the kernel (the command line): printable ASCII as it is, a backslash as
        /// "\\", every other byte (control bytes, non-ASCII, NUL) as "\xHH" -- so a newline in a value cannot end
        /// the kernel's line and put the rest of it where the app's output goes.
        /// </summary>
        public static void WriteEscaped(byte* text, int length)
        {
            for (int i = 0; i < length; i++)
            {
                byte b = text[i];
                if (b == '\\') Write("\\\\");
                else if (b >= 0x20 && b < 0x7F) Write((char)b);
                else
                {
                    Write("\\x");
                    Write(HexDigit(b >> 4));
                    Write(HexDigit(b & 0xF));
                }
            }
        }

        private static char HexDigit(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

        public static void WriteDecimal(ulong value)
        {
            char* digits = stackalloc char[20];
            int n = 0;
            do { digits[n++] = (char)('0' + (int)(value % 10)); value /= 10; } while (value != 0);
            while (n > 0) Write(digits[--n]);
        }

        public static void WriteSigned(long value)
        {
            if (value < 0) { Write('-'); WriteDecimal((ulong)(-value)); }
            else WriteDecimal((ulong)value);
        }

        /// <summary>0x-prefixed hexadecimal, at least <paramref name="minDigits"/> digits.</summary>
        public static void WriteHex(ulong value, int minDigits = 1)
        {
            Write("0x");
            int digits = 16;
            while (digits > minDigits && ((value >> ((digits - 1) * 4)) & 0xF) == 0) digits--;
            for (int i = digits - 1; i >= 0; i--) Write(HexDigit((int)((value >> (i * 4)) & 0xF)));
        }

        /// <summary>A byte count in KiB or MiB, the way memory is usually discussed.</summary>
        public static void WriteSize(ulong bytes)
        {
            if (bytes >= 16UL << 20) { WriteDecimal(bytes >> 20); Write(" MiB"); }
            else { WriteDecimal(bytes >> 10); Write(" KiB"); }
        }

        public static void Prefix() => Write("uk: ");
    }
}
