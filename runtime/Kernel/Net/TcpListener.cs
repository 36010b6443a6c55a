using Kernel.Threads;

namespace Kernel.Net
{
    // A passive open (listen): a local port (and address, 0 = any) and two queues -- connections still in
    // their handshake (SYN_RECEIVED) and established ones waiting for accept. The backlog bounds both, as
    // Linux bounds its accept queue; SYNs beyond it are dropped, so the client's own retry comes later.
    internal sealed class TcpListener
    {
        public uint LocalAddress;
        public ushort LocalPort;
        public int Backlog;
        internal TcpListener Next;

        private TcpConnection _acceptHead, _acceptTail;
        private int _acceptCount;
        private int _pendingCount;

        public readonly WaitQueue Waiters = new WaitQueue();
        public Files.OpenFile Owner;
        public ulong DroppedSyns;

        public int AcceptQueueLength => _acceptCount;
        public int PendingCount => _pendingCount;
        internal bool HasRoom => _acceptCount + _pendingCount < Backlog;

        internal void AddPending(TcpConnection c)
        {
            c.Listener = this;
            c.HeldByApp = true;   // the queue holds it for the app until accept
            _pendingCount++;
        }

        /// <summary>A pending connection completed its handshake: it waits for accept now.</summary>
        internal void MoveToAcceptQueue(TcpConnection c)
        {
            _pendingCount--;
            c.NextInQueue = null;
            if (_acceptTail == null) _acceptHead = c; else _acceptTail.NextInQueue = c;
            _acceptTail = c;
            _acceptCount++;
            Waiters.WakeAll();
            Files.FileEvents.Changed(Owner);
        }

        /// <summary>The oldest established connection, now the caller's; or null.</summary>
        public TcpConnection Accept()
        {
            TcpConnection c = _acceptHead;
            if (c == null) return null;
            _acceptHead = c.NextInQueue;
            if (_acceptHead == null) _acceptTail = null;
            c.NextInQueue = null;
            c.Listener = null;
            _acceptCount--;
            return c;
        }

        /// <summary>A connection of ours closed before it was accepted: forget it.</summary>
        internal void Remove(TcpConnection c)
        {
            c.Listener = null;
            TcpConnection previous = null;
            for (TcpConnection q = _acceptHead; q != null; previous = q, q = q.NextInQueue)
            {
                if (q != c) continue;
                if (previous == null) _acceptHead = c.NextInQueue; else previous.NextInQueue = c.NextInQueue;
                if (_acceptTail == c) _acceptTail = previous;
                c.NextInQueue = null;
                _acceptCount--;
                return;
            }
            _pendingCount--;   // it was still in its handshake
        }

        /// <summary>Readiness: readable while a connection waits for accept.</summary>
        public uint Poll() => _acceptCount > 0 ? Files.PollBits.Readable : 0;

        /// <summary>Stops listening: connections not accepted yet are reset.</summary>
        public void Close()
        {
            Tcp.Unlisten(this);
            while (_acceptHead != null)
            {
                TcpConnection c = Accept();
                c.HeldByApp = false;
                c.Abort(-NetErrors.ECONNABORTED);
                Tcp.ReleaseIfDone(c);
            }
            Tcp.AbortPending(this);
            Waiters.WakeAll();
        }
    }
}
