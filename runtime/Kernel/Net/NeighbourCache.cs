namespace Kernel.Net
{
    // IP address -> MAC address, for the few neighbours a unikernel talks to (the gateway or router, the DNS
    // server, hosts on the same link), learnt by ARP for IPv4 and by neighbour discovery (Ndp) for IPv6. A
    // fixed table: a new address replaces the least recently used entry. An unresolved entry holds up to
    // QueueLimit packets waiting for the answer (lwIP's ARP_QUEUEING), which Neighbours sends when the answer
    // comes or drops when the retries run out.
    internal sealed class NeighbourEntry
    {
        public IpAddress Address;
        public ulong Mac;
        public bool Resolved;
        public ulong LastUsed;        // monotonic ns
        public ulong Expires;         // resolved: when to forget; pending: when to ask again
        public int Requests;          // requests sent while pending
        public Packet Queue;          // packets waiting for the answer (pending only)
        public int QueueLength;
    }

    internal static class NeighbourCache
    {
        public const int Size = 16;
        public const int QueueLimit = 8;

        private static NeighbourEntry[] s_entries;

        public static void Initialize()
        {
            s_entries = new NeighbourEntry[Size];
            for (int i = 0; i < Size; i++) s_entries[i] = new NeighbourEntry();
        }

        public static NeighbourEntry Find(IpAddress address)
        {
            for (int i = 0; i < Size; i++)
                if (s_entries[i].Address == address && !address.IsAny) return s_entries[i];
            return null;
        }

        /// <summary>The entry for <paramref name="address"/>, taking over an empty or the least recently used one.</summary>
        public static NeighbourEntry FindOrCreate(IpAddress address, ulong now)
        {
            NeighbourEntry entry = Find(address);
            if (entry != null) return entry;
            NeighbourEntry victim = s_entries[0];
            for (int i = 0; i < Size; i++)
            {
                NeighbourEntry e = s_entries[i];
                if (e.Address.IsAny) { victim = e; break; }
                if (e.LastUsed < victim.LastUsed) victim = e;
            }
            DropQueue(victim);
            victim.Address = address;
            victim.Mac = 0;
            victim.Resolved = false;
            victim.LastUsed = now;
            victim.Expires = 0;
            victim.Requests = 0;
            return victim;
        }

        public static int Count
        {
            get
            {
                int n = 0;
                for (int i = 0; i < Size; i++) if (!s_entries[i].Address.IsAny) n++;
                return n;
            }
        }

        public static NeighbourEntry At(int index) => s_entries[index];

        public static void Forget(NeighbourEntry entry)
        {
            DropQueue(entry);
            entry.Address = default;
            entry.Resolved = false;
        }

        public static void DropQueue(NeighbourEntry entry)
        {
            while (entry.Queue != null)
            {
                Packet p = entry.Queue;
                entry.Queue = p.Next;
                p.Next = null;
                PacketPool.Free(p);
            }
            entry.QueueLength = 0;
        }
    }
}
