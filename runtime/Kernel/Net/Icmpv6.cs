namespace Kernel.Net
{
    // ICMPv6 (RFC 4443): echo requests to us (unicast or a group we are in) are answered; neighbour discovery's
    // messages go to Ndp; errors and the rest are counted and dropped. A datagram to a UDP port nobody has
    // bound is answered with port unreachable, as on Linux. Messages are built at Ipv6.PayloadOffset.
    internal static unsafe class Icmpv6
    {
        public const int HeaderSize = 4;
        public const byte DestinationUnreachable = 1, PortUnreachable = 4, EchoRequest = 128, EchoReply = 129;
        private const int MinimumMtu = 1280;
        public const byte RouterSolicitation = 133, RouterAdvertisement = 134, NeighbourSolicitation = 135, NeighbourAdvertisement = 136;
        public static ulong EchoRepliesSent;

        public static void Input(Packet packet, int offset, int length, IpAddress source, IpAddress destination, int hopLimit)
        {
            byte* message = packet.Frame + offset;
            if (length < 8 || Checksum.Finish(Checksum.Add(Checksum.PseudoHeader6(source, destination, Ipv6.ProtocolIcmp6, length), message, length)) != 0)
            {
                NetCounters.Drop(DropReason.IcmpMalformed);
                PacketPool.Free(packet);
                return;
            }
            byte type = message[0];
            if (type == EchoRequest) { Echo(packet, offset, length, source, destination); return; }
            if (type >= RouterSolicitation && type <= NeighbourAdvertisement)
            {
                // RFC 4861 6.1/7.1: only messages that no router forwarded (hop limit 255) with code 0 count.
                if (hopLimit == 255 && message[1] == 0) Ndp.Input(packet, offset, length, source, destination, type);
            }
            PacketPool.Free(packet);
        }

        /// <summary>Checksums the message of <paramref name="length"/> bytes at Ipv6.PayloadOffset and sends it (takes the packet).</summary>
        public static void Send(Packet packet, IpAddress source, IpAddress destination, int length, byte hopLimit)
        {
            byte* message = packet.Frame + Ipv6.PayloadOffset;
            NetBytes.Write16(message + 2, 0);
            NetBytes.Write16(message + 2, Checksum.Finish(Checksum.Add(Checksum.PseudoHeader6(source, destination, Ipv6.ProtocolIcmp6, length), message, length)));
            Ipv6.Output(packet, Ipv6.ProtocolIcmp6, source, destination, length, hopLimit);
        }

        /// <summary>
        /// Port unreachable to <paramref name="destination"/> about the packet in <paramref name="original"/> from its
        /// IPv6 header on, as much as fits the minimum MTU (RFC 4443 3.1). The original stays the caller's.
        /// </summary>
        public static void SendPortUnreachable(Packet original, IpAddress source, IpAddress destination)
        {
            int quoted = Ipv6.HeaderSize + NetBytes.Read16(original.Frame + Ethernet.HeaderSize + 4);   // not the frame's padding
            if (quoted > MinimumMtu - Ipv6.HeaderSize - 8) quoted = MinimumMtu - Ipv6.HeaderSize - 8;
            Packet packet = PacketPool.Allocate();
            if (packet == null) return;
            byte* message = packet.Frame + Ipv6.PayloadOffset;
            message[0] = DestinationUnreachable;
            message[1] = PortUnreachable;
            *(uint*)(message + 4) = 0;
            NetBytes.Copy(original.Frame + Ethernet.HeaderSize, message + 8, quoted);
            Send(packet, source, destination, 8 + quoted, Ipv6.DefaultHopLimit);
        }

        private static void Echo(Packet request, int offset, int length, IpAddress source, IpAddress destination)
        {
            Packet reply = length <= Ipv6.MaximumPayload ? PacketPool.Allocate() : null;
            if (reply != null)
            {
                byte* output = reply.Frame + Ipv6.PayloadOffset;
                NetBytes.Copy(request.Frame + offset, output, length);
                output[0] = EchoReply;
                IpAddress from = destination.IsMulticast ? Ipv6.SourceFor(source) : destination;
                EchoRepliesSent++;
                Send(reply, from, source, length, Ipv6.DefaultHopLimit);
            }
            PacketPool.Free(request);
        }
    }
}
