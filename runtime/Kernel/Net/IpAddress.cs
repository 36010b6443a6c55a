namespace Kernel.Net
{
    // An IPv4 or IPv6 address, as the stack's sockets and TCP connections key on it: the 16 bytes of an IPv6
    // address as two big-endian halves, IPv4 in its mapped form ::ffff:a.b.c.d (RFC 4291 2.5.5.2), which is how
    // a dual-stack socket shows IPv4 peers anyway. The unspecified address is :: for both versions (IPv4's
    // 0.0.0.0 converts to it), so "0 means any" holds for either.
    internal unsafe struct IpAddress
    {
        private const ulong MappedPrefix = 0xFFFF_0000_0000UL;

        public ulong High, Low;

        public IpAddress(ulong high, ulong low)
        {
            High = high;
            Low = low;
        }

        public static IpAddress Loopback6 => new IpAddress(0, 1);

        public static implicit operator IpAddress(uint ipv4) => ipv4 == 0 ? default : new IpAddress(0, MappedPrefix | ipv4);

        public bool IsAny => High == 0 && Low == 0;
        public bool IsV4 => High == 0 && (Low >> 32) == 0xFFFF;
        /// <summary>The IPv4 address (0 for ::); meaningful when IsV4 or IsAny.</summary>
        public uint V4 => IsV4 ? (uint)Low : 0;
        public bool IsLoopback => IsV4 ? Ipv4.IsLoopback(V4) : High == 0 && Low == 1;
        public bool IsLinkLocal => (High >> 54) == 0x3FA;   // fe80::/10
        public bool IsMulticast => (High >> 56) == 0xFF;

        public static IpAddress Read(byte* p) => new IpAddress(ReadHalf(p), ReadHalf(p + 8));

        public void Write(byte* p)
        {
            WriteHalf(p, High);
            WriteHalf(p + 8, Low);
        }

        public static bool operator ==(IpAddress a, IpAddress b) => a.High == b.High && a.Low == b.Low;
        public static bool operator !=(IpAddress a, IpAddress b) => a.High != b.High || a.Low != b.Low;
        public override bool Equals(object other) => other is IpAddress a && a == this;
        public override int GetHashCode() => (int)(High ^ (High >> 32) ^ Low ^ (Low >> 32));

        private static ulong ReadHalf(byte* p)
        {
            ulong value = 0;
            for (int i = 0; i < 8; i++) value = (value << 8) | p[i];
            return value;
        }

        private static void WriteHalf(byte* p, ulong value)
        {
            for (int i = 7; i >= 0; i--)
            {
                p[i] = (byte)value;
                value >>= 8;
            }
        }
    }
}
