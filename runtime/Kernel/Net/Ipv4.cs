using Kernel.Net.Tcp;

namespace Kernel.Net
{
    // IPv4 (RFC 791) without options or fragments: received datagrams addressed to us (or broadcast, or
    // loopback) with a valid header go to ICMP, UDP or TCP; fragments are dropped (we send with DF, and
    // slirp and Linux peers use path MTU discovery). Output builds the 20-byte header in front of a
    // payload the caller wrote at PayloadOffset and routes: on-link destinations directly, others via the
    // gateway, our own address and 127/8 through the loopback queue.
    internal static unsafe class Ipv4
    {
        public const int HeaderSize = 20;
        /// <summary>Where an outgoing packet's transport header goes, from Packet.Frame.</summary>
        public const int PayloadOffset = Ethernet.HeaderSize + HeaderSize;
        public const byte ProtocolIcmp = 1, ProtocolTcp = 6, ProtocolUdp = 17;
        public const int MaximumPayload = 1500 - HeaderSize;
        private const byte DefaultTtl = 64;

        private static ushort s_identification;
        public static ulong Received, Sent, Dropped;

        public static bool IsLoopback(uint address) => (address >> 24) == 127;

        public static void Input(Packet packet)
        {
            byte* ip = packet.Frame + Ethernet.HeaderSize;
            int available = packet.FrameLength - Ethernet.HeaderSize;
            if (available < HeaderSize || (ip[0] >> 4) != 4) { Drop(packet, DropReason.IpHeader); return; }
            int headerLength = (ip[0] & 0xF) * 4;
            int totalLength = NetBytes.Read16(ip + 2);
            if (headerLength < HeaderSize || totalLength < headerLength || totalLength > available) { Drop(packet, DropReason.IpLength); return; }
            if (Checksum.Compute(ip, headerLength) != 0) { Drop(packet, DropReason.IpChecksum); return; }
            if ((NetBytes.Read16(ip + 6) & 0x3FFF) != 0) { Drop(packet, DropReason.IpFragment); return; }   // MF or a fragment offset
            uint source = NetBytes.Read32(ip + 12);
            uint destination = NetBytes.Read32(ip + 16);
            if (destination != NetworkConfiguration.Address && destination != 0xFFFF_FFFFu
                && destination != NetworkConfiguration.Broadcast && !IsLoopback(destination)) { Drop(packet, DropReason.IpAddress); return; }
            Received++;
            int payloadOffset = Ethernet.HeaderSize + headerLength;
            int payloadLength = totalLength - headerLength;
            switch (ip[9])
            {
                case ProtocolIcmp: Icmp.Input(packet, payloadOffset, payloadLength, source, destination); break;
                case ProtocolUdp: Udp.Input(packet, payloadOffset, payloadLength, source, destination); break;
                case ProtocolTcp: TcpProtocol.Input(packet, payloadOffset, payloadLength, source, destination); break;
                default: Drop(packet, DropReason.IpProtocol); break;
            }
        }

        /// <summary>
        /// Sends <paramref name="payloadLength"/> bytes already at Frame + PayloadOffset to <paramref name="destination"/>
        /// from <paramref name="source"/> (0: our address). Takes the packet.
        /// </summary>
        public static void Output(Packet packet, byte protocol, uint source, uint destination, int payloadLength)
        {
            if (source == 0) source = IsLoopback(destination) ? destination : NetworkConfiguration.Address;
            byte* ip = packet.Frame + Ethernet.HeaderSize;
            ip[0] = 0x45;
            ip[1] = 0;
            NetBytes.Write16(ip + 2, (ushort)(HeaderSize + payloadLength));
            NetBytes.Write16(ip + 4, s_identification++);
            NetBytes.Write16(ip + 6, 0x4000);   // DF
            ip[8] = DefaultTtl;
            ip[9] = protocol;
            NetBytes.Write16(ip + 10, 0);
            NetBytes.Write32(ip + 12, source);
            NetBytes.Write32(ip + 16, destination);
            NetBytes.Write16(ip + 10, Checksum.Compute(ip, HeaderSize));
            Sent++;
            if (destination == NetworkConfiguration.Address || IsLoopback(destination))
            {
                packet.FrameLength = Ethernet.HeaderSize + HeaderSize + payloadLength;
                NetBytes.WriteMac(packet.Frame, NetworkStack.MacAddress);
                NetBytes.Write16(packet.Frame + 12, Ethernet.TypeIpv4);
                NetworkStack.Loopback(packet);
                return;
            }
            uint nextHop = destination == 0xFFFF_FFFFu || NetworkConfiguration.IsOnLink(destination) ? destination : NetworkConfiguration.Gateway;
            Neighbours.Output(packet, nextHop, HeaderSize + payloadLength);
        }

        private static void Drop(Packet packet, DropReason reason)
        {
            Dropped++;
            NetCounters.Drop(reason);
            PacketPool.Free(packet);
        }
    }
}
