namespace Kernel.Net
{
    // Network byte order (big-endian) loads and stores at any alignment, and address formatting.
    internal static unsafe class NetBytes
    {
        public static ushort Read16(byte* p) => (ushort)((p[0] << 8) | p[1]);
        public static uint Read32(byte* p) => ((uint)p[0] << 24) | ((uint)p[1] << 16) | ((uint)p[2] << 8) | p[3];

        public static void Write16(byte* p, ushort value)
        {
            p[0] = (byte)(value >> 8);
            p[1] = (byte)value;
        }

        public static void Write32(byte* p, uint value)
        {
            p[0] = (byte)(value >> 24);
            p[1] = (byte)(value >> 16);
            p[2] = (byte)(value >> 8);
            p[3] = (byte)value;
        }

        /// <summary>A MAC address as the low 48 bits of a ulong, first byte most significant.</summary>
        public static ulong ReadMac(byte* p)
        {
            ulong value = 0;
            for (int i = 0; i < 6; i++) value = (value << 8) | p[i];
            return value;
        }

        public static void WriteMac(byte* p, ulong mac)
        {
            for (int i = 5; i >= 0; i--)
            {
                p[i] = (byte)mac;
                mac >>= 8;
            }
        }

        public static void Copy(byte* source, byte* destination, int count) => System.Buffer.MemoryCopy(source, destination, count, count);

        public static void WriteMac(ulong mac)
        {
            for (int i = 5; i >= 0; i--)
            {
                int b = (int)(mac >> (i * 8)) & 0xFF;
                Console.KernelConsole.Write(HexDigit(b >> 4));
                Console.KernelConsole.Write(HexDigit(b & 15));
                if (i > 0) Console.KernelConsole.Write(':');
            }
        }

        /// <summary>Dotted quad of a host-order IPv4 address.</summary>
        public static void WriteAddress(uint address)
        {
            for (int i = 3; i >= 0; i--)
            {
                Console.KernelConsole.WriteDecimal((address >> (i * 8)) & 0xFF);
                if (i > 0) Console.KernelConsole.Write('.');
            }
        }

        private static char HexDigit(int n) => (char)(n < 10 ? '0' + n : 'a' + n - 10);
    }
}
