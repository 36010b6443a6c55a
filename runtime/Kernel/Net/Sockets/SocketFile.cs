using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Net.Sockets
{
    // A socket as an open file description, so read/write/close/poll/epoll/fcntl/ioctl work on it like on a
    // pipe: the TCP and UDP subclasses map the socket calls (Syscalls/SocketSyscalls.cs) onto Net/'s
    // connections, listeners and UDP endpoints. Options the stack does not act on (buffer sizes,
    // linger, TOS/TTL) are kept and reported back, as applications (ASP.NET's Kestrel) set and read them.
    // A call that must wait parks on the endpoint's wait queue and restarts (Blocking), bounded by
    // SO_RCVTIMEO/SO_SNDTIMEO when set.
    internal abstract unsafe class SocketFile : OpenFile
    {
        public const int Stream = 1, Datagram = 2;
        public const int MessagePeek = 0x2, MessageTruncate = 0x20, MessageDontWait = 0x40, MessageWaitAll = 0x100, MessageNoSignal = 0x4000;
        public const int ShutdownRead = 0, ShutdownWrite = 1, ShutdownBoth = 2;
        private const long MaximumTransfer = 0x7FFF_F000;

        private static ulong s_nextInode = 1;
        private readonly ulong _inode;
        public readonly int Type;
        /// <summary>AF_INET or AF_INET6 (SocketAddress.FamilyInet*): the addresses the app passes and is given.</summary>
        public readonly int Family;
        /// <summary>IPV6_V6ONLY (Linux's default 0: an AF_INET6 socket takes IPv4 too); fixed once bound.</summary>
        public bool V6Only;

        // SOL_SOCKET, IPPROTO_TCP and IPPROTO_IP options.
        public bool ReuseAddress, ReusePort, KeepAlive, Broadcast, NoDelay;
        public int SendBufferSize = 212992, ReceiveBufferSize = 212992;   // Linux's defaults (wmem/rmem_default)
        public int LingerOnOff, LingerSeconds;
        public int TimeToLive = 64, TypeOfService;
        public int HopLimit = 64, TrafficClass;   // IPPROTO_IPV6: IPV6_UNICAST_HOPS, IPV6_TCLASS
        public int KeepIdle = 7200, KeepInterval = 75, KeepCount = 9;
        public ulong ReceiveTimeout, SendTimeout;   // ns, 0: none

        protected SocketFile(int family, int type, int flags) : base(null, OpenFlags.ReadWrite | (flags & OpenFlags.NonBlocking))
        {
            Family = family;
            Type = type;
            _inode = s_nextInode++;
        }

        public abstract int Protocol { get; }
        public virtual bool IsListening => false;
        /// <summary>Has the socket a local port (bound, listening or connected)? IPV6_V6ONLY cannot change then.</summary>
        public abstract bool HasLocalPort { get; }

        /// <summary>The IP versions (IpVersions) a port bound to <paramref name="address"/> takes: a mapped address is IPv4's.</summary>
        protected int VersionsFor(IpAddress address)
        {
            if (Family == SocketAddress.FamilyInet || address.IsV4) return IpVersions.V4;
            if (!address.IsAny) return IpVersions.V6;
            return V6Only ? IpVersions.V6 : IpVersions.Both;
        }

        public abstract long Bind(IpAddress address, ushort port);
        public abstract long Listen(int backlog);
        /// <summary>0 with the new connection's socket (flags: SOCK_NONBLOCK), or -errno / a parked wait.</summary>
        public abstract long Accept(int flags, out SocketFile accepted);
        public abstract long Connect(IpAddress address, ushort port, bool unspecified);
        public abstract long Send(byte* data, int length, int flags, bool hasAddress, IpAddress address, ushort port);
        public abstract long Receive(byte* data, int length, int flags, out IpAddress address, out ushort port, out bool truncated);
        public abstract long Shutdown(int how);
        public abstract void LocalName(out IpAddress address, out ushort port);
        /// <summary>False when not connected (ENOTCONN).</summary>
        public abstract bool PeerName(out IpAddress address, out ushort port);
        /// <summary>SO_ERROR: the pending error (positive errno), cleared by reading it.</summary>
        public virtual int TakePendingError() => 0;

        public override long Read(byte* buffer, long count)
        {
            IpAddress address;
            ushort port;
            bool truncated;
            return Receive(buffer, (int)(count > MaximumTransfer ? MaximumTransfer : count), 0, out address, out port, out truncated);
        }

        public override long Write(byte* buffer, long count)
            => Send(buffer, (int)(count > MaximumTransfer ? MaximumTransfer : count), 0, false, default, 0);

        public override bool SupportsEpoll => true;
        public override bool CanSpliceWrite => true;

        public override void Stat(LinuxStat* st) => LinuxStat.Anonymous(st, FileTypeBits.Socket | 0x1FF, _inode);   // srwxrwxrwx

        protected bool NonBlocking(int flags) => IsNonBlocking || (flags & MessageDontWait) != 0;

        /// <summary>Parks the calling thread on <paramref name="queue"/> until woken (the call restarts) or the timeout (-EAGAIN).</summary>
        protected static long Wait(WaitQueue queue, ulong timeout)
        {
            if (timeout == 0) return Blocking.WaitThenRestart(queue);
            return Blocking.WaitThenRestart(queue, Blocking.DeadlineAfter(timeout), -Errno.EAGAIN);
        }

        /// <summary>Can the stack reach <paramref name="address"/>? Without a card only loopback (and our own address).</summary>
        protected static bool Reachable(IpAddress address)
            => address.IsV4 || address.IsAny ? NetworkStack.IsUp || Ip.IsOurs(address) : Ipv6.Reachable(address);
    }
}
