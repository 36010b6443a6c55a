using Kernel.Files;
using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Platform;
using Kernel.Threads;

namespace Kernel.Net.Sockets
{
    // An AF_UNIX socket (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET) as an open file description, with Linux's
    // semantics: connect() to a listening socket creates the server's end at once and queues it for accept()
    // (backlog + 1 may wait), so the client can write before it is accepted; each send becomes a message in
    // the receiver's queue (a stream reads across them, a datagram or seqpacket read takes one) charged to the
    // sender's SO_SNDBUF until read; a datagram receiver holds at most MaximumDatagramQueue + 1 messages from
    // others. Closing a connected end shuts the peer down (EOF; ECONNRESET first when unread data or an
    // unaccepted connection was dropped). A call that must wait parks on a socket's Waiters and restarts.
    internal sealed unsafe class UnixSocketFile : OpenFile
    {
        public const int Stream = 1, Datagram = 2, SequencedPacket = 5;
        public const int ReceiveShutdown = 1, SendShutdown = 2;
        public const int MaximumDatagramQueue = 10;   // net.unix.max_dgram_qlen
        public const int MessagePeek = 0x2, MessageTruncate = 0x20, MessageDontWait = 0x40;
        public const int DatagramOverhead = 32;         // Linux: a datagram may be at most sk_sndbuf - 32

        private static UnixSocketFile s_all;        // every open Unix socket, through _nextAll
        private static ulong s_nextInode = 1;

        public readonly int Type;
        private readonly ulong _inode;
        private UnixSocketFile _nextAll;

        public UnixAddress LocalAddress = UnixAddress.Unnamed;
        public UnixSocketFile NextAbstract;          // UnixNamespace's list
        private UnixSocketNode _node;

        private bool _listening;
        private int _backlog;
        private UnixSocketFile _pending, _nextPending;   // connections waiting for accept(), oldest first
        private int _pendingCount;
        private bool _embryo;                             // created by connect(), not accepted yet

        private bool _connected;                          // stream/seqpacket: connected (the peer may have gone since)
        private UnixSocketFile _peer;                     // the other end, or a datagram socket's default destination
        private UnixAddress _peerAddress;                 // a connection's other end's name, kept after it closed (getpeername)
        private bool _peerRefused;                        // a datagram socket's connected peer closed: the next send says so
        private int _shutdown;
        private int _error;                               // pending error (positive errno), SO_ERROR

        private UnixMessage _head, _tail;
        private int _queuedCount;
        private long _inFlight;                           // bytes of our sends not yet read by their receivers

        public readonly WaitQueue Waiters = new WaitQueue();

        // Options.
        public int SendBufferSize = 212992, ReceiveBufferSize = 212992;   // Linux's wmem/rmem_default
        public ulong ReceiveTimeout, SendTimeout;                        // ns, 0: none
        public bool PassCredentials;
        public int OwnerProcessId;                                       // this end's credentials (uid and gid are 0: root)
        private bool _hasPeerCredentials;
        private int _peerProcessId;

        public UnixSocketFile(int type, int flags, int processId) : base(null, OpenFlags.ReadWrite | (flags & OpenFlags.NonBlocking))
        {
            Type = type;
            OwnerProcessId = processId;
            _inode = s_nextInode++;
            _nextAll = s_all;
            s_all = this;
        }

        public bool IsListening => _listening;
        public bool IsBound => !LocalAddress.IsUnnamed;

        /// <summary>socketpair(): two connected ends.</summary>
        public static void Pair(int type, int flags, int processId, out UnixSocketFile first, out UnixSocketFile second)
        {
            first = new UnixSocketFile(type, flags, processId);
            second = new UnixSocketFile(type, flags, processId);
            first._peer = second;
            second._peer = first;
            first._connected = second._connected = type != Datagram;
            first._peerAddress = second._peerAddress = UnixAddress.Unnamed;
            first.SetPeerCredentials(processId);
            second.SetPeerCredentials(processId);
        }

        /// <summary>SO_PEERCRED: the peer's pid, uid and gid; Linux reports pid 0 and the overflow ids without a peer.</summary>
        public void PeerCredentials(out int processId, out int userId, out int groupId)
        {
            processId = _hasPeerCredentials ? _peerProcessId : 0;
            userId = groupId = _hasPeerCredentials ? 0 : 65534;
        }

        private void SetPeerCredentials(int processId)
        {
            _hasPeerCredentials = true;
            _peerProcessId = processId;
        }

        public long Bind(ref UnixAddress address)
        {
            if (IsBound) return -Errno.EINVAL;
            if (address.IsUnnamed) return BindAutomatically();
            long error = UnixNamespace.Bind(this, ref address, out _node);
            if (error < 0) return error;
            LocalAddress = address;
            return 0;
        }

        private long BindAutomatically()
        {
            UnixAddress name = UnixNamespace.Autobind();
            if (name.IsUnnamed) return -Errno.ENOSPC;
            UnixSocketNode none;
            long error = UnixNamespace.Bind(this, ref name, out none);
            if (error < 0) return error;
            LocalAddress = name;
            return 0;
        }

        public long Listen(int backlog)
        {
            if (Type == Datagram) return -Errno.EOPNOTSUPP;
            if (!IsBound || _connected) return -Errno.EINVAL;
            _backlog = backlog;
            _listening = true;
            SetPeerCredentials(OwnerProcessId);   // Linux: a listener's SO_PEERCRED is its own
            Notify(this);                         // connectors waiting for room in the backlog
            return 0;
        }

        public long Connect(ref UnixAddress address)
        {
            if (Type == Datagram) return ConnectDatagram(ref address);
            if (_listening) return -Errno.EINVAL;
            if (_connected) return -Errno.EISCONN;
            long error;
            UnixSocketFile listener = UnixNamespace.Find(ref address, out error);
            if (listener == null) return error;
            if (listener.Type != Type) return -Errno.EPROTOTYPE;
            if (!listener._listening || (listener._shutdown & ReceiveShutdown) != 0) return -Errno.ECONNREFUSED;
            if (listener._pendingCount > listener._backlog)
                return IsNonBlocking ? -Errno.EAGAIN : Wait(listener.Waiters, SendTimeout);
            if (PassCredentials && !IsBound)
            {
                error = BindAutomatically();
                if (error < 0) return error;
            }

            var server = new UnixSocketFile(Type, 0, listener.OwnerProcessId);
            server.LocalAddress = listener.LocalAddress;
            server.SendBufferSize = listener.SendBufferSize;
            server.ReceiveBufferSize = listener.ReceiveBufferSize;
            server.PassCredentials = listener.PassCredentials;
            server._embryo = true;
            server._connected = _connected = true;
            server._peer = this;
            _peer = server;
            server._peerAddress = LocalAddress;
            _peerAddress = listener.LocalAddress;
            server.SetPeerCredentials(OwnerProcessId);
            SetPeerCredentials(listener.OwnerProcessId);

            if (listener._pending == null) listener._pending = server;
            else
            {
                UnixSocketFile last = listener._pending;
                while (last._nextPending != null) last = last._nextPending;
                last._nextPending = server;
            }
            listener._pendingCount++;
            Notify(listener);
            return 0;
        }

        // A datagram socket's connect: the default destination, and the only sender it then receives from.
        // AF_UNSPEC (the unnamed address here) disconnects.
        private long ConnectDatagram(ref UnixAddress address)
        {
            if (address.IsUnnamed)
            {
                _peer = null;
                _peerRefused = false;
                return 0;
            }
            long error;
            UnixSocketFile target = UnixNamespace.Find(ref address, out error);
            if (target == null) return error;
            if (target.Type != Datagram) return -Errno.EPROTOTYPE;
            if (target._peer != null && target._peer != this) return -Errno.EPERM;
            if (PassCredentials && !IsBound)
            {
                error = BindAutomatically();
                if (error < 0) return error;
            }
            _peer = target;
            _peerRefused = false;
            return 0;
        }

        /// <summary>0 with the next connection (SOCK_NONBLOCK in <paramref name="flags"/>), or -errno / a parked wait.</summary>
        public long Accept(int flags, out UnixSocketFile accepted)
        {
            accepted = null;
            if (Type == Datagram) return -Errno.EOPNOTSUPP;
            if (!_listening) return -Errno.EINVAL;
            UnixSocketFile next = _pending;
            if (next == null) return IsNonBlocking ? -Errno.EAGAIN : Wait(Waiters, ReceiveTimeout);
            _pending = next._nextPending;
            next._nextPending = null;
            _pendingCount--;
            next._embryo = false;
            if ((flags & OpenFlags.NonBlocking) != 0) next.Flags |= OpenFlags.NonBlocking;
            Notify(this);   // room in the backlog
            accepted = next;
            return 0;
        }

        /// <summary>
        /// Sends <paramref name="length"/> bytes (to <paramref name="target"/> when <paramref name="hasTarget"/>,
        /// datagram sockets only). A message that is sent takes <paramref name="rights"/> (set to null); else the
        /// caller still owns them. The bytes sent, or -errno / a parked wait. -EPIPE means SIGPIPE unless MSG_NOSIGNAL.
        /// </summary>
        public long Send(byte* data, int length, int flags, bool hasTarget, ref UnixAddress target, ref OpenFile[] rights)
        {
            if (Type == Datagram) return SendDatagram(data, length, flags, hasTarget, ref target, ref rights);
            if (hasTarget && Type == Stream) return _connected ? -Errno.EISCONN : -Errno.EOPNOTSUPP;
            if (!_connected) return -Errno.ENOTCONN;
            if ((_shutdown & SendShutdown) != 0) return -Errno.EPIPE;
            UnixSocketFile peer = _peer;
            if (peer == null || (peer._shutdown & ReceiveShutdown) != 0) return -Errno.EPIPE;
            int n = length;
            if (Type == SequencedPacket)
            {
                if (length > SendBufferSize - DatagramOverhead) return -Errno.EMSGSIZE;
                if (_inFlight > 0 && _inFlight + length > SendBufferSize) return NonBlocking(flags) ? -Errno.EAGAIN : Wait(Waiters, SendTimeout);
            }
            else
            {
                if (length == 0) return 0;
                long room = SendBufferSize - _inFlight;
                if (room <= 0) return NonBlocking(flags) ? -Errno.EAGAIN : Wait(Waiters, SendTimeout);
                if (n > room) n = (int)room;
            }
            return Deliver(peer, data, n, ref rights) ? n : -Errno.ENOBUFS;
        }

        private long SendDatagram(byte* data, int length, int flags, bool hasTarget, ref UnixAddress address, ref OpenFile[] rights)
        {
            UnixSocketFile target;
            if (hasTarget)
            {
                long error;
                target = UnixNamespace.Find(ref address, out error);
                if (target == null) return error;
                if (target.Type != Datagram) return -Errno.EPROTOTYPE;
            }
            else
            {
                target = _peer;
                if (target == null)
                {
                    if (!_peerRefused) return -Errno.ENOTCONN;
                    _peerRefused = false;
                    return -Errno.ECONNREFUSED;
                }
            }
            if (length > SendBufferSize - DatagramOverhead) return -Errno.EMSGSIZE;
            if (target._peer != null && target._peer != this) return -Errno.EPERM;
            if ((target._shutdown & ReceiveShutdown) != 0) return -Errno.EPIPE;
            if (PassCredentials && !IsBound)
            {
                long error = BindAutomatically();
                if (error < 0) return error;
            }
            if (target != this && target._peer != this && target._queuedCount > MaximumDatagramQueue)
                return NonBlocking(flags) ? -Errno.EAGAIN : Wait(target.Waiters, SendTimeout);
            if (_inFlight > 0 && _inFlight + length > SendBufferSize)
                return NonBlocking(flags) ? -Errno.EAGAIN : Wait(Waiters, SendTimeout);
            return Deliver(target, data, length, ref rights) ? length : -Errno.ENOBUFS;
        }

        private bool Deliver(UnixSocketFile receiver, byte* data, int length, ref OpenFile[] rights)
        {
            UnixMessage message = UnixMessage.Create(data, length);
            if (message == null) return false;
            message.Sender = this;
            message.Source = LocalAddress;
            message.ProcessId = OwnerProcessId;
            message.Rights = rights;
            rights = null;
            if (receiver._tail == null) receiver._head = message; else receiver._tail.Next = message;
            receiver._tail = message;
            receiver._queuedCount++;
            _inFlight += length;
            Notify(receiver);
            return true;
        }

        /// <summary>
        /// Reads into (<paramref name="data"/>, <paramref name="length"/>): a stream across messages (stopping after
        /// one that carried descriptors), a datagram or seqpacket one message. The bytes read (the full datagram
        /// length with MSG_TRUNC), or -errno / a parked wait; what came with them in <paramref name="received"/>.
        /// </summary>
        public long Receive(byte* data, int length, int flags, ref UnixReceived received)
        {
            if (_listening) return -Errno.EINVAL;
            if (Type == Stream && !_connected) return -Errno.EINVAL;
            if (Type == SequencedPacket && !_connected) return -Errno.ENOTCONN;
            if (_head == null)
            {
                if (_error != 0)
                {
                    int error = _error;
                    _error = 0;
                    return -error;
                }
                if ((_shutdown & ReceiveShutdown) != 0) return 0;
                return NonBlocking(flags) ? -Errno.EAGAIN : Wait(Waiters, ReceiveTimeout);
            }
            bool peek = (flags & MessagePeek) != 0;
            received.Source = _head.Source;
            received.ProcessId = _head.ProcessId;
            if (Type != Stream)
            {
                UnixMessage message = _head;
                int n = length < message.Length ? length : message.Length;
                if (n > 0) System.Buffer.MemoryCopy(message.Data, data, n, n);
                received.Truncated = n < message.Length;
                TakeRights(message, peek, ref received);
                int full = message.Length;
                if (!peek) Consume(message, message.Length);
                return (flags & MessageTruncate) != 0 ? full : n;
            }
            long copied = 0;
            UnixMessage m = _head;
            while (m != null && copied < length)
            {
                UnixMessage next = m.Next;
                int n = length - copied < m.Remaining ? (int)(length - copied) : m.Remaining;
                System.Buffer.MemoryCopy(m.Data + m.Consumed, data + copied, n, n);
                copied += n;
                bool carriedRights = m.Rights != null;
                TakeRights(m, peek, ref received);
                if (!peek) Consume(m, n);
                if (carriedRights) break;
                m = next;
            }
            return copied;
        }

        // A message's descriptions go to the receiver; a peek gets its own references and leaves them queued.
        private static void TakeRights(UnixMessage message, bool peek, ref UnixReceived received)
        {
            if (message.Rights == null || received.Rights != null) return;
            if (peek)
            {
                OpenFile[] copy = new OpenFile[message.Rights.Length];
                for (int i = 0; i < copy.Length; i++)
                {
                    copy[i] = message.Rights[i];
                    copy[i].Retain();
                }
                received.Rights = copy;
                return;
            }
            received.Rights = message.Rights;
            message.Rights = null;
        }

        // n of the head message's bytes were read (a datagram: all of it, read or not): the sender gets its
        // buffer space back, and a message read to the end leaves the queue.
        private void Consume(UnixMessage message, int n)
        {
            message.Consumed += n;
            if (message.Sender != null)
            {
                message.Sender._inFlight -= n;
                Notify(message.Sender);
            }
            if (message.Remaining > 0 && Type == Stream) return;
            if (message.Sender != null && message.Remaining > 0) message.Sender._inFlight -= message.Remaining;
            _head = message.Next;
            if (_head == null) _tail = null;
            _queuedCount--;
            message.Free();
            Notify(this);   // datagram senders waiting for room in this queue
        }

        public long Shutdown(int how)
        {
            if (how < 0 || how > 2) return -Errno.EINVAL;
            int mode = how + 1;   // SHUT_RD, SHUT_WR, SHUT_RDWR as ReceiveShutdown/SendShutdown bits
            _shutdown |= mode;
            Notify(this);
            if (Type != Datagram && _peer != null)
            {
                int peerMode = ((mode & ReceiveShutdown) != 0 ? SendShutdown : 0) | ((mode & SendShutdown) != 0 ? ReceiveShutdown : 0);
                _peer._shutdown |= peerMode;
                Notify(_peer);
            }
            return 0;
        }

        /// <summary>getpeername: false without a peer (ENOTCONN).</summary>
        public bool PeerAddress(out UnixAddress address)
        {
            address = UnixAddress.Unnamed;
            if (Type != Datagram)
            {
                address = _peerAddress;
                return _connected;
            }
            if (_peer == null) return false;
            address = _peer.LocalAddress;
            return true;
        }

        /// <summary>SO_ERROR: the pending error, cleared by reading it.</summary>
        public int TakePendingError()
        {
            int error = _error;
            _error = 0;
            return error;
        }

        public override long Read(byte* buffer, long count)
        {
            var received = new UnixReceived();
            long n = Receive(buffer, count > int.MaxValue ? int.MaxValue : (int)count, 0, ref received);
            received.DropRights();
            return n;
        }

        public override long Write(byte* buffer, long count)
        {
            UnixAddress none = UnixAddress.Unnamed;
            OpenFile[] rights = null;
            return Send(buffer, count > 0x7FFF_F000 ? 0x7FFF_F000 : (int)count, 0, false, ref none, ref rights);
        }

        public override uint Poll()
        {
            uint bits = 0;
            if (_error != 0) bits |= PollBits.Error;
            if (_shutdown == (ReceiveShutdown | SendShutdown)) bits |= PollBits.HangUp;
            if ((_shutdown & ReceiveShutdown) != 0) bits |= PollBits.ReadHangUp | PollBits.Readable;
            if (_head != null || _pending != null) bits |= PollBits.Readable;
            if (Type != Datagram && !_connected && !_listening) bits |= PollBits.HangUp;
            if (!_listening && _inFlight * 4 <= SendBufferSize && !DatagramPeerFull()) bits |= PollBits.Writable | PollBits.WriteBand;
            return bits;
        }

        // A connected datagram socket is not writable while its peer's queue is full (unless the peer talks only to us).
        private bool DatagramPeerFull()
            => Type == Datagram && _peer != null && _peer != this && _peer._peer != this && _peer._queuedCount > MaximumDatagramQueue;

        /// <summary>FIONREAD: a stream's or seqpacket's queued bytes, a datagram socket's next datagram.</summary>
        public override long BytesReadable()
        {
            if (_listening) return -Errno.EINVAL;
            if (Type == Datagram) return _head != null ? _head.Length : 0;
            long total = 0;
            for (UnixMessage m = _head; m != null; m = m.Next) total += m.Remaining;
            return total;
        }

        public override bool SupportsEpoll => true;
        public override bool CanSpliceWrite => true;

        public override void Stat(LinuxStat* st) => LinuxStat.Anonymous(st, FileTypeBits.Socket | 0x1FF, _inode);   // srwxrwxrwx

        protected override void Close()
        {
            Unlist();
            if (LocalAddress.IsAbstract) UnixNamespace.Forget(this);
            if (_node != null)
            {
                _node.Socket = null;
                _node.Release();
                _node = null;
            }
            while (_pending != null)
            {
                UnixSocketFile next = _pending._nextPending;
                _pending._nextPending = null;
                _pending.Release();   // its client reads ECONNRESET, then EOF
                _pending = next;
            }
            UnixSocketFile peer = _peer;
            _peer = null;
            if (Type != Datagram && peer != null)
            {
                peer._shutdown = ReceiveShutdown | SendShutdown;
                if (_head != null || _embryo) peer._error = (int)Errno.ECONNRESET;
                peer._peer = null;
                Notify(peer);
            }
            for (UnixSocketFile s = s_all; s != null; s = s._nextAll)
            {
                if (s._peer == this)
                {
                    s._peer = null;
                    s._peerRefused = true;
                    Notify(s);
                }
                for (UnixMessage m = s._head; m != null; m = m.Next) if (m.Sender == this) m.Sender = null;
            }
            // Senders get their buffer space back before any message is freed: freeing drops passed descriptions,
            // which may close a sender (unlisted sockets' queues are not visited by its Close).
            for (UnixMessage m = _head; m != null; m = m.Next)
            {
                if (m.Sender == null) continue;
                m.Sender._inFlight -= m.Remaining;
                Notify(m.Sender);
                m.Sender = null;
            }
            while (_head != null)
            {
                UnixMessage message = _head;
                _head = message.Next;
                message.Free();
            }
            _tail = null;
            Waiters.WakeAll();   // whoever waits for room here re-runs and finds the socket gone
            FileMemory.Release(Waiters);
        }

        private void Unlist()
        {
            if (s_all == this) { s_all = _nextAll; return; }
            for (UnixSocketFile s = s_all; s != null; s = s._nextAll)
                if (s._nextAll == this) { s._nextAll = _nextAll; return; }
        }

        private bool NonBlocking(int flags) => IsNonBlocking || (flags & MessageDontWait) != 0;

        private static void Notify(UnixSocketFile socket)
        {
            socket.Waiters.WakeAll();
            FileEvents.Changed(socket);
        }

        private static long Wait(WaitQueue queue, ulong timeout)
        {
            if (timeout == 0) return Blocking.WaitThenRestart(queue);
            return Blocking.WaitThenRestart(queue, Blocking.DeadlineAfter(timeout), -Errno.EAGAIN);
        }
    }
}
