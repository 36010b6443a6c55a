using Kernel.Threads;

namespace Kernel.Net
{
    // One UDP endpoint: a local port (and optionally address), optionally a connected peer, and the queue
    // of datagrams received for it -- each one the packet it came in, kept whole until it is read (no
    // copy on receive). The queue is bounded (QueueLimit datagrams) so one idle socket cannot take every
    // packet in the pool; beyond it datagrams are dropped, as UDP allows.
    internal sealed unsafe class UdpSocket
    {
        public const int QueueLimit = 64;

        public IpAddress LocalAddress;   // ::: any
        public ushort LocalPort;         // 0: not bound
        public IpAddress RemoteAddress;  // connected peer, ::: none
        public ushort RemotePort;
        public bool Bound;
        /// <summary>The IP versions (IpVersions) the port takes; an AF_INET6 socket's is set before it binds.</summary>
        public int Versions = IpVersions.V4;
        internal UdpSocket NextBound;

        private Packet _head, _tail;
        private int _count;
        public ulong DroppedDatagrams;

        /// <summary>Threads waiting for a datagram.</summary>
        public readonly WaitQueue Waiters = new WaitQueue();
        /// <summary>Called when a datagram arrives (the socket file bumps its poll events); may be null.</summary>
        public Files.OpenFile Owner;

        public int QueuedDatagrams => _count;
        public Packet PeekDatagram => _head;

        internal void Enqueue(Packet packet)
        {
            if (_count >= QueueLimit)
            {
                DroppedDatagrams++;
                PacketPool.Free(packet);
                return;
            }
            packet.Next = null;
            if (_tail == null) _head = packet; else _tail.Next = packet;
            _tail = packet;
            _count++;
            Waiters.WakeAll();
            Files.Events.FileEvents.Changed(Owner);
        }

        /// <summary>The oldest datagram (the caller owns it and frees it), or null.</summary>
        public Packet Dequeue()
        {
            Packet p = _head;
            if (p == null) return null;
            _head = p.Next;
            if (_head == null) _tail = null;
            p.Next = null;
            _count--;
            return p;
        }

        /// <summary>Unbinds and drops what is queued; the socket object may then be freed by its owner.</summary>
        public void Close()
        {
            Udp.Unbind(this);
            while (_head != null) PacketPool.Free(Dequeue());
            Waiters.WakeAll();
        }
    }
}
