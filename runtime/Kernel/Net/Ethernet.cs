namespace Kernel.Net
{
    // Ethernet II framing: destination and source MAC, EtherType. Frames for us (our MAC, broadcast, or an
    // IPv6 multicast MAC 33:33:..., which Ipv6 filters by group) go to ARP, IPv4 or IPv6; everything else is
    // dropped. Outgoing frames get their header here.
    internal static unsafe class Ethernet
    {
        public const int HeaderSize = 14;
        public const ushort TypeIpv4 = 0x0800, TypeArp = 0x0806, TypeIpv6 = 0x86DD;
        public const ulong Broadcast = 0xFFFF_FFFF_FFFFUL;

        /// <summary>Handles a received frame; takes ownership of the packet.</summary>
        public static void Input(Packet packet)
        {
            if (packet.FrameLength < HeaderSize) { NetCounters.Drop(DropReason.FrameShort); PacketPool.Free(packet); return; }
            byte* frame = packet.Frame;
            ulong destination = NetBytes.ReadMac(frame);
            if (destination != NetworkStack.MacAddress && destination != Broadcast && (destination >> 32) != 0x3333) { NetCounters.Drop(DropReason.OtherMac); PacketPool.Free(packet); return; }
            ushort type = NetBytes.Read16(frame + 12);
            if (type == TypeArp) Arp.Input(packet);
            else if (type == TypeIpv4) Ipv4.Input(packet);
            else if (type == TypeIpv6) Ipv6.Input(packet, fromWire: true);
            else { NetCounters.Drop(DropReason.EtherType); PacketPool.Free(packet); }
        }

        /// <summary>Adds the Ethernet header to a frame whose payload starts at Frame + HeaderSize and sends it (takes the packet).</summary>
        public static void Output(Packet packet, ulong destination, ushort type, int payloadLength)
        {
            byte* frame = packet.Frame;
            NetBytes.WriteMac(frame, destination);
            NetBytes.WriteMac(frame + 6, NetworkStack.MacAddress);
            NetBytes.Write16(frame + 12, type);
            packet.FrameLength = HeaderSize + payloadLength;
            if (packet.FrameLength < 60)
            {
                for (int i = packet.FrameLength; i < 60; i++) frame[i] = 0;   // minimum frame size
                packet.FrameLength = 60;
            }
            NetworkStack.Transmit(packet);
        }
    }
}
