namespace Kernel.Net
{
    // IPv4 address -> MAC address, for the few neighbours a unikernel talks to (the gateway, the DNS
    // server, hosts on the same link). A fixed table: a new address replaces the least recently used
    // entry. An unresolved entry holds up to QueueLimit packets waiting for the answer (lwIP's
    // ARP_QUEUEING), which Arp sends when the reply comes or drops when the retries run out.
    internal sealed class ArpEntry
    {
        public uint Address;
        public ulong Mac;
        public bool Resolved;
        public ulong LastUsed;        // monotonic ns
        public ulong Expires;         // resolved: when to forget; pending: when to ask again
        public int Requests;          // requests sent while pending
        public Packet Queue;          // packets waiting for the answer (pending only)
        public int QueueLength;
    }

    internal static class ArpCache
    {
        public const int Size = 16;
        public const int QueueLimit = 8;

        private static ArpEntry[] s_entries;

        public static void Initialize()
        {
            s_entries = new ArpEntry[Size];
            for (int i = 0; i < Size; i++) s_entries[i] = new ArpEntry();
        }

        public static ArpEntry Find(uint address)
        {
            for (int i = 0; i < Size; i++)
                if (s_entries[i].Address == address && address != 0) return s_entries[i];
            return null;
        }

        /// <summary>The entry for <paramref name="address"/>, taking over an empty or the least recently used one.</summary>
        public static ArpEntry FindOrCreate(uint address, ulong now)
        {
            ArpEntry entry = Find(address);
            if (entry != null) return entry;
            ArpEntry victim = s_entries[0];
            for (int i = 0; i < Size; i++)
            {
                ArpEntry e = s_entries[i];
                if (e.Address == 0) { victim = e; break; }
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
                for (int i = 0; i < Size; i++) if (s_entries[i].Address != 0) n++;
                return n;
            }
        }

        public static ArpEntry At(int index) => s_entries[index];

        public static void Forget(ArpEntry entry)
        {
            DropQueue(entry);
            entry.Address = 0;
            entry.Resolved = false;
        }

        public static void DropQueue(ArpEntry entry)
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
