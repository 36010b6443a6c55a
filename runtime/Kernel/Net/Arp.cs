namespace Kernel.Net
{
    // ARP (RFC 826) for IPv4 over Ethernet: answers requests for our address, learns the sender of every
    // request for us and of every reply, and resolves next hops for IPv4 output -- a packet for an unknown
    // neighbour waits in its cache entry while a request goes out (again every second, three times, then
    // the packets are dropped). Entries are forgotten after 10 minutes and asked for again.
    internal static unsafe class Arp
    {
        private const int MessageSize = 28;
        private const ushort RequestOperation = 1, ReplyOperation = 2;
        private const ulong RetryInterval = 1_000_000_000;
        private const int MaximumRequests = 3;
        private const ulong Lifetime = 600_000_000_000;

        public static ulong RequestsSent, RepliesSent, Unresolved;

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
            ArpEntry entry = ArpCache.Find(senderAddress);
            if (entry == null && forUs && senderAddress != 0) entry = ArpCache.FindOrCreate(senderAddress, now);
            if (entry != null && senderAddress != 0) Learn(entry, senderMac, now);

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

        /// <summary>
        /// Sends an IPv4 packet (payload already at Frame + 14) to <paramref name="nextHop"/>, resolving it first
        /// if needed. Takes the packet.
        /// </summary>
        public static void Output(Packet packet, uint nextHop, int ipLength)
        {
            if (nextHop == 0xFFFF_FFFFu || nextHop == NetworkConfiguration.Broadcast)
            {
                Ethernet.Output(packet, Ethernet.Broadcast, Ethernet.TypeIpv4, ipLength);
                return;
            }
            ulong now = Time.Clock.MonotonicNanoseconds;
            ArpEntry entry = ArpCache.FindOrCreate(nextHop, now);
            entry.LastUsed = now;
            if (entry.Resolved)
            {
                Ethernet.Output(packet, entry.Mac, Ethernet.TypeIpv4, ipLength);
                return;
            }
            packet.FrameLength = Ethernet.HeaderSize + ipLength;
            if (entry.QueueLength >= ArpCache.QueueLimit)
            {
                Unresolved++;
                PacketPool.Free(packet);
            }
            else
            {
                packet.Next = null;
                if (entry.Queue == null) entry.Queue = packet;
                else
                {
                    Packet last = entry.Queue;
                    while (last.Next != null) last = last.Next;
                    last.Next = packet;
                }
                entry.QueueLength++;
            }
            if (entry.Requests == 0) SendRequest(entry, now);
        }

        /// <summary>Asks for <paramref name="address"/> now (used at start-up for the gateway) unless it is known.</summary>
        public static void Resolve(uint address)
        {
            ulong now = Time.Clock.MonotonicNanoseconds;
            ArpEntry entry = ArpCache.FindOrCreate(address, now);
            if (!entry.Resolved && entry.Requests == 0) SendRequest(entry, now);
        }

        /// <summary>Is <paramref name="address"/> resolved, and to what?</summary>
        public static bool TryLookup(uint address, out ulong mac)
        {
            ArpEntry entry = ArpCache.Find(address);
            mac = entry != null && entry.Resolved ? entry.Mac : 0;
            return entry != null && entry.Resolved;
        }

        /// <summary>Retries and expiry; called from the stack's poll.</summary>
        public static void Tick(ulong now)
        {
            for (int i = 0; i < ArpCache.Size; i++)
            {
                ArpEntry e = ArpCache.At(i);
                if (e.Address == 0 || e.Expires == 0 || now < e.Expires) continue;
                if (e.Resolved) { ArpCache.Forget(e); continue; }
                if (e.Requests >= MaximumRequests)
                {
                    Unresolved += (ulong)e.QueueLength;
                    ArpCache.Forget(e);
                    continue;
                }
                SendRequest(e, now);
            }
        }

        private static void Learn(ArpEntry entry, ulong mac, ulong now)
        {
            entry.Mac = mac;
            entry.Resolved = true;
            entry.Requests = 0;
            entry.Expires = now + Lifetime;
            // Send what was waiting for this answer, in order.
            Packet queue = entry.Queue;
            entry.Queue = null;
            entry.QueueLength = 0;
            while (queue != null)
            {
                Packet p = queue;
                queue = p.Next;
                p.Next = null;
                Ethernet.Output(p, mac, Ethernet.TypeIpv4, p.FrameLength - Ethernet.HeaderSize);
            }
        }

        private static void SendRequest(ArpEntry entry, ulong now)
        {
            entry.Requests++;
            entry.Expires = now + RetryInterval;
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
            NetBytes.Write32(message + 24, entry.Address);
            RequestsSent++;
            Ethernet.Output(packet, Ethernet.Broadcast, Ethernet.TypeArp, MessageSize);
        }
    }
}
