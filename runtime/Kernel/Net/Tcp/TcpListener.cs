using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Net.Tcp
{
    // A passive open (listen): a local port (and address, 0 = any) and two queues -- connections still in
    // their handshake (SYN_RECEIVED) and established ones waiting for accept -- bounded by listen()'s backlog
    // (capped at TcpProtocol.MaximumBacklog, somaxconn) as Linux bounds them:
    // - the accept queue is full when it holds more than Backlog (sk_acceptq_is_full: backlog + 1 fit, so
    //   listen(fd, 0) still takes one); a SYN then is dropped (tcp-accept-queue-full), and so is the last ACK
    //   of a handshake, which leaves that connection half-open until our SYN-ACK's retransmission brings the
    //   ACK again (tcp_abort_on_overflow off, Linux's default);
    // - the SYN queue is full at Backlog connections in their handshake (at least one): a SYN then is dropped
    //   (tcp-syn-queue-full) where Linux would answer with a SYN cookie, which this stack does not make.
    // Established connections wait in the queue however long the app takes to accept; closing the listener
    // resets every queued and half-open one.
    internal sealed class TcpListener
    {
        public IpAddress LocalAddress;
        public ushort LocalPort;
        /// <summary>The IP versions (IpVersions) whose connections the listener takes.</summary>
        public int Versions = IpVersions.V4;
        /// <summary>listen()'s backlog after the cap: 0 .. TcpProtocol.MaximumBacklog.</summary>
        public int Backlog
        {
            get => _backlog;
            set => _backlog = value < 0 || value > TcpProtocol.MaximumBacklog ? TcpProtocol.MaximumBacklog : value;
        }
        private int _backlog;
        internal TcpListener Next;

        private TcpConnection _acceptHead, _acceptTail;
        private int _acceptCount;
        private int _pendingCount;

        public readonly WaitQueue Waiters = new WaitQueue();
        public Files.OpenFile Owner;
        /// <summary>SYNs and handshake ACKs dropped because a queue was full (Linux's ListenOverflows and ListenDrops).</summary>
        public ulong Overflows;

        public int AcceptQueueLength => _acceptCount;
        public int PendingCount => _pendingCount;
        internal bool AcceptQueueFull => _acceptCount > _backlog;
        internal bool SynQueueFull => _pendingCount >= (_backlog > 0 ? _backlog : 1);

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
            Files.Events.FileEvents.Changed(Owner);
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
        public uint Poll() => _acceptCount > 0 ? LinuxAbi.PollBits.Readable : 0;

        /// <summary>Stops listening: connections not accepted yet are reset.</summary>
        public void Close()
        {
            TcpProtocol.Unlisten(this);
            while (_acceptHead != null)
            {
                TcpConnection c = Accept();
                c.HeldByApp = false;
                c.Abort(-Errno.ECONNABORTED);
                TcpProtocol.ReleaseIfDone(c);
            }
            TcpProtocol.AbortPending(this);
            Waiters.WakeAll();
        }
    }
}
