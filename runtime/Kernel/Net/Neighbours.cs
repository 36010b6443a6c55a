namespace Kernel.Net
{
    // Next-hop resolution for both IP versions over the neighbour table: a packet for a neighbour whose MAC
    // is known goes out at once; otherwise it waits in the entry while a question goes out -- an ARP request
    // for IPv4, a neighbour solicitation for IPv6 -- again every second, three times, then the packets are
    // dropped. Answers are kept for 10 minutes and asked for again. IPv6 multicast needs no question: its
    // MAC is 33:33 and the group's last 32 bits (RFC 2464 7).
    internal static unsafe class Neighbours
    {
        private const ulong RetryInterval = 1_000_000_000;
        private const int MaximumRequests = 3;
        private const ulong Lifetime = 600_000_000_000;

        public static ulong Unresolved;

        /// <summary>
        /// Sends an IP packet (payload already at Frame + 14) to <paramref name="nextHop"/>, resolving it first
        /// if needed. Takes the packet.
        /// </summary>
        public static void Output(Packet packet, IpAddress nextHop, int ipLength)
        {
            ushort type = nextHop.IsV4 ? Ethernet.TypeIpv4 : Ethernet.TypeIpv6;
            if (nextHop.IsV4 && (nextHop.V4 == 0xFFFF_FFFFu || nextHop.V4 == NetworkConfiguration.Broadcast))
            {
                Ethernet.Output(packet, Ethernet.Broadcast, type, ipLength);
                return;
            }
            if (nextHop.IsMulticast)
            {
                Ethernet.Output(packet, 0x3333_0000_0000UL | (nextHop.Low & 0xFFFF_FFFFUL), type, ipLength);
                return;
            }
            ulong now = Time.Clock.MonotonicNanoseconds;
            NeighbourEntry entry = NeighbourCache.FindOrCreate(nextHop, now);
            entry.LastUsed = now;
            if (entry.Resolved)
            {
                Ethernet.Output(packet, entry.Mac, type, ipLength);
                return;
            }
            packet.FrameLength = Ethernet.HeaderSize + ipLength;
            if (entry.QueueLength >= NeighbourCache.QueueLimit)
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
            if (entry.Requests == 0) Ask(entry, now);
        }

        /// <summary>Asks for <paramref name="address"/> ahead of need (the gateway at boot).</summary>
        public static void Resolve(IpAddress address)
        {
            ulong now = Time.Clock.MonotonicNanoseconds;
            NeighbourEntry entry = NeighbourCache.FindOrCreate(address, now);
            if (!entry.Resolved && entry.Requests == 0) Ask(entry, now);
        }

        public static bool TryLookup(IpAddress address, out ulong mac)
        {
            NeighbourEntry entry = NeighbourCache.Find(address);
            mac = entry != null && entry.Resolved ? entry.Mac : 0;
            return entry != null && entry.Resolved;
        }

        /// <summary>Retries questions, expires answers, gives up on silent neighbours.</summary>
        public static void Tick(ulong now)
        {
            for (int i = 0; i < NeighbourCache.Size; i++)
            {
                NeighbourEntry e = NeighbourCache.At(i);
                if (e.Address.IsAny || e.Expires == 0 || now < e.Expires) continue;
                if (e.Resolved) { NeighbourCache.Forget(e); continue; }
                if (e.Requests >= MaximumRequests)
                {
                    Unresolved += (ulong)e.QueueLength;
                    NeighbourCache.Forget(e);
                    continue;
                }
                Ask(e, now);
            }
        }

        /// <summary>The neighbour's MAC is known (an answer, or a question it asked us): send what waited for it.</summary>
        public static void Learn(NeighbourEntry entry, ulong mac, ulong now)
        {
            entry.Mac = mac;
            entry.Resolved = true;
            entry.Requests = 0;
            entry.Expires = now + Lifetime;
            Packet queue = entry.Queue;
            entry.Queue = null;
            entry.QueueLength = 0;
            ushort type = entry.Address.IsV4 ? Ethernet.TypeIpv4 : Ethernet.TypeIpv6;
            while (queue != null)
            {
                Packet p = queue;
                queue = p.Next;
                p.Next = null;
                Ethernet.Output(p, mac, type, p.FrameLength - Ethernet.HeaderSize);
            }
        }

        private static void Ask(NeighbourEntry entry, ulong now)
        {
            entry.Requests++;
            entry.Expires = now + RetryInterval;
            if (entry.Address.IsV4) Arp.SendRequest(entry.Address.V4);
            else Ndp.SendSolicitation(entry.Address);
        }
    }
}
