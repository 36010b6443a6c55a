namespace Kernel.Files.ConfigDrive
{
    // Comparing the names the volume readers decode (ASCII bytes; other characters arrive as '?') with the
    // components of a path the caller gives, and the little- and big-endian fields both formats are made of.
    internal static unsafe class VolumeNames
    {
        /// <summary>Does <paramref name="name"/> equal <paramref name="path"/>[start, end), ignoring ASCII case?</summary>
        public static bool SameName(byte* name, int length, string path, int start, int end)
        {
            if (length != end - start) return false;
            for (int i = 0; i < length; i++)
                if (Lower(name[i]) != Lower(path[start + i])) return false;
            return true;
        }

        private static int Lower(int c) => c >= 'A' && c <= 'Z' ? c + 32 : c;

        /// <summary>A UTF-16 code unit as the byte the readers compare: ASCII as is, anything else '?' (no path asked for holds one).</summary>
        public static byte FromUtf16(int unit) => unit > 0 && unit < 0x80 ? (byte)unit : (byte)'?';

        public static ushort Read16(byte* p) => (ushort)(p[0] | (p[1] << 8));
        public static uint Read32(byte* p) => (uint)(p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24));
    }
}
