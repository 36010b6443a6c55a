namespace Kernel.Net
{
    // One network buffer: 2 KiB of physically contiguous memory (half a page from the page allocator, so
    // its address is what a device is given), with room before the Ethernet frame for the device's own
    // header (virtio-net's 12 bytes). A packet has exactly one owner at a time -- the pool, a device ring,
    // a protocol queue or the layer handling it -- and whoever holds it last gives it back to PacketPool.
    internal sealed unsafe class Packet
    {
        public const int BufferSize = 2048;
        /// <summary>Where the Ethernet frame starts in the buffer; the bytes before it are the device's.</summary>
        public const int FrameOffset = 16;
        /// <summary>The largest frame (without FCS) a buffer takes: 1514 bytes for a 1500-byte MTU.</summary>
        public const int MaximumFrame = 1514;

        /// <summary>The buffer's first byte (identity mapped: also its physical address).</summary>
        public byte* Buffer;
        /// <summary>Frame length in bytes (from FrameOffset).</summary>
        public int FrameLength;

        // What the protocol layers note about a received packet they keep (a UDP datagram in a socket's queue).
        public int DataOffset;        // from Buffer
        public int DataLength;
        public IpAddress PeerAddress;
        public ushort PeerPort;
        // A TCP segment held out of order: its first sequence number and whether it carries a FIN.
        public uint Sequence;
        public bool Fin;

        // Checksum offload (the card's, when it has one). Sending: where the card is to finish the transport
        // checksum -- the sum from ChecksumStart (from Frame) to the end goes into the 16 bits at ChecksumStart +
        // ChecksumOffset, which hold the pseudo header's sum -- or 0 when the checksum is complete. Receiving: the
        // card checked the transport checksum already.
        public int ChecksumStart, ChecksumOffset;
        public bool ChecksumVerified;

        /// <summary>Queue link (pool free list, socket queue, ARP queue).</summary>
        public Packet Next;
        internal bool InPool;

        public byte* Frame => Buffer + FrameOffset;
    }
}
