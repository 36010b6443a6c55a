namespace Kernel.Console
{
    // Text output for the kernel's own messages. Everything the kernel says starts with "uk: " so that
    // tests and users can tell it apart from the app's output on the same serial line.
    internal static unsafe class KernelConsole
    {
        public static void Write(char c)
        {
            if (c == '\n') SerialPort.Write((byte)'\r');
            SerialPort.Write(c < 0x80 ? (byte)c : (byte)'?');
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
            for (int i = digits - 1; i >= 0; i--)
            {
                int nibble = (int)((value >> (i * 4)) & 0xF);
                Write((char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10));
            }
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
