namespace Kernel.Net
{
    // ARP (RFC 826) for IPv4 over Ethernet: answers requests for our address, learns the sender of every
    // request for us and of every reply into the neighbour table, and asks for the IPv4 next hops Neighbours
    // resolves.
    internal static unsafe class Arp
    {
        private const int MessageSize = 28;
        private const ushort RequestOperation = 1, ReplyOperation = 2;
        public static ulong RequestsSent, RepliesSent;

        public static void Input(Packet packet)
        {
            byte* message = packet.Frame + Ethernet.HeaderSize;
            if (packet.FrameLength < Ethernet.HeaderSize + MessageSize
                || NetBytes.Read16(message) != 1 || NetBytes.Read16(message + 2) != Ethernet.TypeIpv4
                || message[4] != 6 || message[5] != 4)
            {
                NetCounters.Drop(DropReason.ArpMalformed);
                PacketPool.Free(packet);
                return;
            }
            ushort operation = NetBytes.Read16(message + 6);
            ulong senderMac = NetBytes.ReadMac(message + 8);
            uint senderAddress = NetBytes.Read32(message + 14);
            uint targetAddress = NetBytes.Read32(message + 24);
            bool forUs = targetAddress == NetworkConfiguration.Address;
            ulong now = Time.Clock.MonotonicNanoseconds;

            // Learn: always refresh a known entry; add one when the message was for us.
            NeighbourEntry entry = NeighbourCache.Find(senderAddress);
            if (entry == null && forUs && senderAddress != 0) entry = NeighbourCache.FindOrCreate(senderAddress, now);
            if (entry != null && senderAddress != 0) Neighbours.Learn(entry, senderMac, now);

            if (operation == RequestOperation && forUs)
            {
                // Turn the request around in place: it becomes our reply.
                NetBytes.Write16(message + 6, ReplyOperation);
                NetBytes.WriteMac(message + 18, senderMac);
                NetBytes.Write32(message + 24, senderAddress);
                NetBytes.WriteMac(message + 8, NetworkStack.MacAddress);
                NetBytes.Write32(message + 14, NetworkConfiguration.Address);
                RepliesSent++;
                Ethernet.Output(packet, senderMac, Ethernet.TypeArp, MessageSize);
                return;
            }
            PacketPool.Free(packet);
        }

        /// <summary>Broadcasts a request for <paramref name="address"/>.</summary>
        public static void SendRequest(uint address)
        {
            Packet packet = PacketPool.Allocate();
            if (packet == null) return;
            byte* message = packet.Frame + Ethernet.HeaderSize;
            NetBytes.Write16(message, 1);
            NetBytes.Write16(message + 2, Ethernet.TypeIpv4);
            message[4] = 6;
            message[5] = 4;
            NetBytes.Write16(message + 6, RequestOperation);
            NetBytes.WriteMac(message + 8, NetworkStack.MacAddress);
            NetBytes.Write32(message + 14, NetworkConfiguration.Address);
            NetBytes.WriteMac(message + 18, 0);
            NetBytes.Write32(message + 24, address);
            RequestsSent++;
            Ethernet.Output(packet, Ethernet.Broadcast, Ethernet.TypeArp, MessageSize);
        }
    }
}
