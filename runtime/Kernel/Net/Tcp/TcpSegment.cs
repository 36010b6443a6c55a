namespace Kernel.Net.Tcp
{
    // A received TCP segment, parsed: addresses and ports, sequence and acknowledgment numbers, flags,
    // window, the options we act on (MSS, window scale and SACK-permitted on SYNs, up to four SACK blocks),
    // and where its data is (inside the packet, valid while the segment is being processed). Sequence arithmetic is modulo 2^32 (RFC 793 3.3): Before/After compare
    // through the signed difference.
    internal unsafe struct TcpSegment
    {
        public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;

        public IpAddress Source, Destination;
        public ushort SourcePort, DestinationPort;
        public uint Sequence, Acknowledgment;
        public byte Flags;
        public ushort Window;
        public ushort MaximumSegmentSize;   // 0 when the option is absent
        public sbyte WindowScale;           // -1 when the option is absent
        public bool SackPermitted;
        public const int MaximumSackBlocks = 4;
        public int SackBlockCount;
        public fixed uint SackBlocks[2 * MaximumSackBlocks];   // left, right edge pairs as received
        public byte* Data;
        public int DataLength;

        public bool Has(byte flag) => (Flags & flag) != 0;

        /// <summary>Sequence space the segment occupies: its data plus one each for SYN and FIN.</summary>
        public int SequenceLength => DataLength + (Has(Syn) ? 1 : 0) + (Has(Fin) ? 1 : 0);

        /// <summary>Parses the TCP header at <paramref name="header"/> (<paramref name="length"/> bytes, checksum already checked); false if malformed.</summary>
        public bool Parse(byte* header, int length)
        {
            if (length < TcpProtocol.HeaderSize) return false;
            int headerLength = (header[12] >> 4) * 4;
            if (headerLength < TcpProtocol.HeaderSize || headerLength > length) { NetCounters.Drop(DropReason.TcpHeader); return false; }
            SourcePort = NetBytes.Read16(header);
            DestinationPort = NetBytes.Read16(header + 2);
            Sequence = NetBytes.Read32(header + 4);
            Acknowledgment = NetBytes.Read32(header + 8);
            Flags = (byte)(header[13] & 0x3F);
            Window = NetBytes.Read16(header + 14);
            MaximumSegmentSize = 0;
            WindowScale = -1;
            SackPermitted = false;
            SackBlockCount = 0;
            for (int i = TcpProtocol.HeaderSize; i < headerLength;)
            {
                byte kind = header[i];
                if (kind == 0) break;                       // end of options
                if (kind == 1) { i++; continue; }           // no-operation
                if (i + 1 >= headerLength) { NetCounters.Drop(DropReason.TcpOptions); return false; }
                int optionLength = header[i + 1];
                if (optionLength < 2 || i + optionLength > headerLength) { NetCounters.Drop(DropReason.TcpOptions); return false; }
                if (kind == 2 && optionLength == 4) MaximumSegmentSize = NetBytes.Read16(header + i + 2);
                else if (kind == 3 && optionLength == 3) WindowScale = (sbyte)(header[i + 2] > 14 ? 14 : header[i + 2]);   // RFC 7323 2.3
                else if (kind == 4 && optionLength == 2) SackPermitted = true;
                else if (kind == 5 && optionLength >= 10 && (optionLength - 2) % 8 == 0)
                    for (int b = i + 2; b + 8 <= i + optionLength && SackBlockCount < MaximumSackBlocks; b += 8)
                    {
                        SackBlocks[2 * SackBlockCount] = NetBytes.Read32(header + b);
                        SackBlocks[2 * SackBlockCount + 1] = NetBytes.Read32(header + b + 4);
                        SackBlockCount++;
                    }
                i += optionLength;
            }
            Data = header + headerLength;
            DataLength = length - headerLength;
            return true;
        }

        public static bool Before(uint a, uint b) => (int)(a - b) < 0;
        public static bool BeforeOrAt(uint a, uint b) => (int)(a - b) <= 0;
        public static bool After(uint a, uint b) => (int)(a - b) > 0;
        public static bool AfterOrAt(uint a, uint b) => (int)(a - b) >= 0;
    }
}
