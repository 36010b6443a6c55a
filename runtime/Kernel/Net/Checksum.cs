namespace Kernel.Net
{
    // The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words,
    // over the IPv4 header, or over a pseudo header (addresses, protocol, length) plus the ICMP/UDP/TCP
    // message. Sums are kept in a 64-bit accumulator and folded once at the end.
    internal static unsafe class Checksum
    {
        public static ulong Add(ulong sum, byte* data, int length)
        {
            int i = 0;
            for (; i + 1 < length; i += 2) sum += (ulong)((data[i] << 8) | data[i + 1]);
            if (i < length) sum += (ulong)(data[i] << 8);
            return sum;
        }

        public static ulong PseudoHeader(uint source, uint destination, byte protocol, int length)
            => (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + protocol + (ulong)length;

        /// <summary>IPv6's pseudo header (RFC 8200 8.1): both addresses, the upper-layer length, the next header.</summary>
        public static ulong PseudoHeader6(IpAddress source, IpAddress destination, byte protocol, int length)
            => Words(source.High) + Words(source.Low) + Words(destination.High) + Words(destination.Low) + protocol + (ulong)length;

        private static ulong Words(ulong half) => (half >> 48) + ((half >> 32) & 0xFFFF) + ((half >> 16) & 0xFFFF) + (half & 0xFFFF);

        /// <summary>The checksum field's value for a message whose (partial) sum is <paramref name="sum"/>.</summary>
        public static ushort Finish(ulong sum)
        {
            while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
            return (ushort)~sum;
        }

        /// <summary>Checksum of a block on its own (the IPv4 header, an ICMP message); 0 when a block that includes its checksum is intact.</summary>
        public static ushort Compute(byte* data, int length) => Finish(Add(0, data, length));
    }
}
