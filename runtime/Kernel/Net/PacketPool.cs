using Kernel.Memory;

namespace Kernel.Net
{
    // The network stack's packets, allocated once at start-up and recycled: receiving, sending and
    // queueing allocate nothing from the heap, and a packet that is never given back shows up as a pool
    // that does not return to its size (the self-tests check it). Running out means dropping: a received
    // frame is recycled instead of queued, a send fails and the protocol retries later (TCP) or reports
    // ENOBUFS/EAGAIN (UDP).
    internal static unsafe class PacketPool
    {
        private static Packet s_free;
        private static int s_freeCount;
        private static int s_total;

        /// <summary>Allocations that found the pool empty.</summary>
        public static ulong Exhausted;

        public static int FreeCount => s_freeCount;
        public static int Total => s_total;

        /// <summary>Creates <paramref name="count"/> packets (two per page); false when memory ran out.</summary>
        public static bool Initialize(int count)
        {
            for (int i = 0; i < count; i += 2)
            {
                ulong page = KernelMemory.Pages->AllocateZeroedPages(1);
                if (page == 0) return false;
                for (int half = 0; half < 2; half++)
                {
                    var packet = new Packet();
                    packet.Buffer = (byte*)(page + (ulong)(half * Packet.BufferSize));
                    s_total++;
                    Free(packet);
                }
            }
            return true;
        }

        /// <summary>A packet with nothing in it, or null when none is left.</summary>
        public static Packet Allocate()
        {
            Packet p = s_free;
            if (p == null)
            {
                Exhausted++;
                return null;
            }
            s_free = p.Next;
            s_freeCount--;
            p.Next = null;
            p.InPool = false;
            p.FrameLength = 0;
            p.DataOffset = 0;
            p.DataLength = 0;
            p.PeerAddress = default;
            p.PeerPort = 0;
            p.Sequence = 0;
            p.Fin = false;
            p.ChecksumStart = 0;
            p.ChecksumOffset = 0;
            p.ChecksumVerified = false;
            return p;
        }

        public static void Free(Packet packet)
        {
            if (packet == null) return;
            if (packet.InPool) Diagnostics.Panic.Fail("net: a packet was given back to the pool twice");
            packet.InPool = true;
            packet.Next = s_free;
            s_free = packet;
            s_freeCount++;
        }
    }
}
