using Kernel.Console;
using Kernel.LinuxAbi;

namespace Kernel.Net.Tcp
{
    // TCP's shared parts: demultiplexing received segments to connections and listeners (answering the
    // rest with RST), building and sending segments, the connection table and pool, port allocation and
    // the timers that the stack's poll drives. The per-connection state machine is TcpConnection.
    //
    // Limits, sized from RAM at first use (figures in docs/benchmarks.md), each refusing cleanly and counted:
    // - the table: at most ConnectionLimit connections at once (every state, TIME_WAIT included, and those the
    //   app still holds). When it is full the oldest TIME_WAIT nobody holds is recycled; failing that a new SYN
    //   is dropped (drop reason tcp-table-full, one console line per episode), so the client's retry gets in once
    //   something closes, and connect() fails with ENOBUFS. /proc/sys/net/ipv4/tcp_max_connections shows it.
    // - ring memory: the blocks behind all connections' rings together stay within RingMemoryLimit; beyond it
    //   received data is not taken (tcp-memory, the peer resends it) and send() waits (EAGAIN, not writable) until
    //   a block comes back, as Linux's sk_stream_wait_memory. Above half the limit (Linux's memory pressure) a ring
    //   that empties gives its block back at once instead of after RingIdleNanoseconds.
    // - listen backlogs: TcpListener, capped at MaximumBacklog (/proc/sys/net/core/somaxconn).
    // A segment finds its connection by a walk of the table's list: a hash is the next step if tables of tens of
    // thousands of connections come to matter.
    internal static unsafe class TcpProtocol
    {
        public const int HeaderSize = 20;
        private const ushort FirstEphemeral = 49152;
        /// <summary>Linux's net.core.somaxconn (4096 since 5.4): the largest listen backlog.</summary>
        public const int MaximumBacklog = 4096;
        /// <summary>RAM the table budgets per connection: RAM / this is the limit (4,096 at 128 MiB).</summary>
        public const ulong RamPerConnection = 32 * 1024;
        public const int SmallestConnectionLimit = 256, LargestConnectionLimit = 65536;
        /// <summary>The share of RAM all rings' blocks may take together (a quarter, at least SmallestRingMemoryLimit).</summary>
        public const int RingMemoryShare = 4;
        public const long SmallestRingMemoryLimit = 4L << 20;

        private static TcpConnection s_active;
        private static TcpConnection s_pool;
        private static TcpListener s_listeners;
        private static int s_connectionObjects;
        private static int s_activeCount;
        private static ushort s_nextEphemeral = FirstEphemeral;
        private static int s_connectionLimit;
        private static long s_ringMemoryLimit;
        private static bool s_fullReported;

        public static ulong SegmentsReceived, SegmentsSent, ResetsSent, BadChecksums, PassiveOpens, ActiveOpens, RefusedSyns;
        public static ulong Retransmissions;
        /// <summary>The most connections the table held at once.</summary>
        public static int PeakConnections;
        /// <summary>Bytes of the heap blocks behind all rings now.</summary>
        public static long RingMemoryBytes;

        /// <summary>
        /// The most connections the table holds: RAM / RamPerConnection within [256, 65536], or what the kernel option
        /// uk.net.tcp-max-connections=N asks for (1 .. 65536), or what a test set.
        /// </summary>
        public static int ConnectionLimit
        {
            get
            {
                if (s_connectionLimit == 0)
                {
                    int asked = Boot.BootCommandLine.NumberOption("uk.net.tcp-max-connections", 0);
                    s_connectionLimit = asked > 0 ? (asked < LargestConnectionLimit ? asked : LargestConnectionLimit)
                                                  : ConnectionLimitFor(Memory.KernelMemory.RamBytes);
                }
                return s_connectionLimit;
            }
            set => s_connectionLimit = value;
        }

        /// <summary>The most bytes all rings' blocks may take: a quarter of RAM, at least 4 MiB, unless set (tests).</summary>
        public static long RingMemoryLimit
        {
            get
            {
                if (s_ringMemoryLimit == 0)
                {
                    long share = (long)(Memory.KernelMemory.RamBytes / RingMemoryShare);
                    s_ringMemoryLimit = share > SmallestRingMemoryLimit ? share : SmallestRingMemoryLimit;
                }
                return s_ringMemoryLimit;
            }
            set => s_ringMemoryLimit = value;
        }

        public static int ConnectionLimitFor(ulong ramBytes)
        {
            ulong limit = ramBytes / RamPerConnection;
            return limit < SmallestConnectionLimit ? SmallestConnectionLimit : limit > LargestConnectionLimit ? LargestConnectionLimit : (int)limit;
        }

        /// <summary>Connections in the table now (every state).</summary>
        public static int TableCount => s_activeCount;

        /// <summary>Listening sockets now.</summary>
        public static int ListenerCount
        {
            get
            {
                int n = 0;
                for (TcpListener l = s_listeners; l != null; l = l.Next) n++;
                return n;
            }
        }

        /// <summary>Connections in TIME_WAIT now.</summary>
        public static int TimeWaitCount
        {
            get
            {
                int n = 0;
                for (TcpConnection c = s_active; c != null; c = c.NextActive) if (c.State == TcpState.TimeWait) n++;
                return n;
            }
        }

        /// <summary>Connections the app let go of that the protocol still finishes (Linux's orphans).</summary>
        public static int OrphanCount
        {
            get
            {
                int n = 0;
                for (TcpConnection c = s_active; c != null; c = c.NextActive) if (!c.HeldByApp && c.State != TcpState.TimeWait && c.State != TcpState.Closed) n++;
                return n;
            }
        }

        internal static bool RingMemoryAvailable(int bytes) => RingMemoryBytes + bytes <= RingMemoryLimit;

        internal static bool RingMemoryUnderPressure => RingMemoryBytes > RingMemoryLimit / 2;

        internal static bool ReserveRingMemory(int bytes)
        {
            if (!RingMemoryAvailable(bytes)) return false;
            RingMemoryBytes += bytes;
            return true;
        }

        private static bool s_ringMemoryWanted;

        /// <summary><paramref name="c"/> could not get a send ring: it is woken when ring memory comes back.</summary>
        internal static void WantRingMemory(TcpConnection c)
        {
            c.WantsRingMemory = true;
            s_ringMemoryWanted = true;
        }

        internal static void ReleaseRingMemory(int bytes)
        {
            RingMemoryBytes -= bytes;
            if (!s_ringMemoryWanted) return;
            s_ringMemoryWanted = false;
            for (TcpConnection c = s_active; c != null; c = c.NextActive)
                if (c.WantsRingMemory)
                {
                    c.WantsRingMemory = false;
                    c.Notify();
                }
        }

        /// <summary>Connections in use, not counting those in TIME_WAIT (only remembered, and recycled when needed).</summary>
        public static int LiveConnections
        {
            get
            {
                int n = 0;
                for (TcpConnection c = s_active; c != null; c = c.NextActive) if (c.State != TcpState.TimeWait) n++;
                return n;
            }
        }

        /// <summary>Does some connection still owe its peer data or a FIN that is not acknowledged?</summary>
        public static bool HasUnacknowledgedOutput
        {
            get
            {
                for (TcpConnection c = s_active; c != null; c = c.NextActive) if (c.HasUnacknowledgedOutput) return true;
                return false;
            }
        }

        /// <summary>Ring memory above the initial sizes, all connections together, and its limit.</summary>
        public static long BufferGrowthBytes;
        public const long BufferGrowthBudget = 16L << 20;

        internal static bool ReserveBufferGrowth(int bytes)
        {
            if (BufferGrowthBytes + bytes > BufferGrowthBudget) return false;
            BufferGrowthBytes += bytes;
            return true;
        }

        internal static void ReleaseBufferGrowth(int bytes) => BufferGrowthBytes -= bytes;

        public static int ConnectionObjects => s_connectionObjects;

        public static void Input(Packet packet, int offset, int length, IpAddress source, IpAddress destination)
        {
            byte* header = packet.Frame + offset;
            ulong sum = Ip.PseudoHeader(source, destination, Ipv4.ProtocolTcp, length);
            if (length < HeaderSize || (!packet.ChecksumVerified && Checksum.Finish(Checksum.Add(sum, header, length)) != 0))
            {
                BadChecksums++;
                NetCounters.Drop(DropReason.TcpChecksum);
                PacketPool.Free(packet);
                return;
            }
            var segment = new TcpSegment();
            if (!segment.Parse(header, length)) { PacketPool.Free(packet); return; }
            segment.Source = source;
            segment.Destination = destination;
            SegmentsReceived++;

            TcpConnection connection = Find(destination, segment.DestinationPort, source, segment.SourcePort);
            if (connection != null && connection.YieldsToNewSyn(ref segment)) connection = null;
            if (connection != null)
            {
                if (connection.Input(ref segment, packet)) return;   // kept (out-of-order data)
            }
            else
            {
                TcpListener listener = FindListener(segment.DestinationPort, destination);
                if (listener != null && segment.Has(TcpSegment.Syn) && !segment.Has(TcpSegment.Ack) && !segment.Has(TcpSegment.Rst))
                    OnSyn(listener, ref segment);
                else if (!segment.Has(TcpSegment.Rst))
                {
                    // Nobody here (RFC 793 3.4): a RST that the sender will accept.
                    if (segment.Has(TcpSegment.Ack)) SendReset(destination, segment.DestinationPort, source, segment.SourcePort, segment.Acknowledgment, 0, false);
                    else SendReset(destination, segment.DestinationPort, source, segment.SourcePort, 0, segment.Sequence + (uint)segment.SequenceLength, true);
                }
            }
            PacketPool.Free(packet);
        }

        // Linux's order (tcp_conn_request): the listener's SYN queue, its accept queue, then the table. Each refusal is a
        // silent drop, as on Linux: the client's SYN retry comes back after a second, when there may be room.
        private static void OnSyn(TcpListener listener, ref TcpSegment syn)
        {
            if (listener.SynQueueFull)
            {
                listener.Overflows++;
                NetCounters.Drop(DropReason.TcpSynQueueFull);
                return;
            }
            if (listener.AcceptQueueFull)
            {
                listener.Overflows++;
                NetCounters.Drop(DropReason.TcpAcceptQueueFull);
                return;
            }
            TcpConnection c = NewConnection();
            if (c == null)
            {
                RefusedSyns++;
                NetCounters.Drop(DropReason.TcpTableFull);
                return;
            }
            c.Reset(syn.Destination, syn.DestinationPort, syn.Source, syn.SourcePort);
            listener.AddPending(c);
            Activate(c);
            PassiveOpens++;
            c.Accept(ref syn);
        }

        /// <summary>Starts listening on <paramref name="port"/>; the listener, or null with -EADDRINUSE in <paramref name="error"/>.</summary>
        public static TcpListener Listen(IpAddress address, ushort port, int backlog, out long error, int versions = IpVersions.V4)
        {
            error = 0;
            for (TcpListener l = s_listeners; l != null; l = l.Next)
                if (l.LocalPort == port && IpVersions.Meet(l.Versions, versions) && (l.LocalAddress.IsAny || address.IsAny || l.LocalAddress == address))
                {
                    error = -Errno.EADDRINUSE;
                    return null;
                }
            var listener = new TcpListener();
            listener.LocalAddress = address;
            listener.LocalPort = port;
            listener.Versions = versions;
            listener.Backlog = backlog;
            listener.Next = s_listeners;
            s_listeners = listener;
            return listener;
        }

        internal static void Unlisten(TcpListener listener)
        {
            if (s_listeners == listener) s_listeners = listener.Next;
            else
                for (TcpListener l = s_listeners; l != null; l = l.Next)
                    if (l.Next == listener) { l.Next = listener.Next; break; }
            listener.Next = null;
        }

        /// <summary>Resets the listener's connections still in their handshake.</summary>
        internal static void AbortPending(TcpListener listener)
        {
            TcpConnection c = s_active;
            while (c != null)
            {
                TcpConnection next = c.NextActive;
                if (c.Listener == listener)
                {
                    listener.Remove(c);
                    c.HeldByApp = false;
                    c.Abort(-Errno.ECONNABORTED);
                    ReleaseIfDone(c);
                }
                c = next;
            }
        }

        /// <summary>Active open to <paramref name="address"/>:<paramref name="port"/> from <paramref name="localPort"/> (0: ephemeral); the connection (SYN_SENT) or null with -errno.</summary>
        public static TcpConnection Connect(IpAddress localAddress, ushort localPort, IpAddress address, ushort port, out long error)
        {
            error = 0;
            if (localAddress.IsAny) localAddress = Ip.SourceFor(address);
            if (localPort == 0) localPort = EphemeralPort(localAddress, address, port);
            if (localPort == 0 || Find(localAddress, localPort, address, port) != null) { error = -Errno.EADDRNOTAVAIL; return null; }
            TcpConnection c = NewConnection();
            if (c == null) { error = -Errno.ENOBUFS; return null; }
            c.Reset(localAddress, localPort, address, port);
            c.HeldByApp = true;
            Activate(c);
            ActiveOpens++;
            c.Connect();
            return c;
        }

        /// <summary>Is some connection or listener of <paramref name="versions"/> (IpVersions) using <paramref name="port"/> locally?</summary>
        public static bool PortInUse(ushort port, int versions = IpVersions.Both)
        {
            if (ListenerOn(port, versions)) return true;
            for (TcpConnection c = s_active; c != null; c = c.NextActive)
                if (c.LocalPort == port && (versions & (c.LocalAddress.IsV4 ? IpVersions.V4 : IpVersions.V6)) != 0) return true;
            return false;
        }

        /// <summary>Does a listener of <paramref name="versions"/> (IpVersions) use <paramref name="port"/>?</summary>
        public static bool ListenerOn(ushort port, int versions)
        {
            for (TcpListener l = s_listeners; l != null; l = l.Next) if (l.LocalPort == port && IpVersions.Meet(l.Versions, versions)) return true;
            return false;
        }

        /// <summary>A free ephemeral port (bind to port 0), or 0.</summary>
        public static ushort EphemeralPort(IpAddress localAddress, IpAddress remoteAddress, ushort remotePort)
        {
            for (int attempt = 0; attempt < 16384; attempt++)
            {
                ushort candidate = s_nextEphemeral;
                s_nextEphemeral = s_nextEphemeral == 65535 ? FirstEphemeral : (ushort)(s_nextEphemeral + 1);
                if (!PortInUse(candidate)) return candidate;
            }
            return 0;
        }

        /// <summary>A connection left SYN_RECEIVED for ESTABLISHED: if it came from a listener, it may be accepted now.</summary>
        internal static void Established(TcpConnection c)
        {
            if (c.Listener != null) c.Listener.MoveToAcceptQueue(c);
        }

        /// <summary>A connection reached CLOSED: forget it if nobody holds it any more.</summary>
        internal static void Closed(TcpConnection c)
        {
            if (c.Listener != null)
            {
                c.Listener.Remove(c);
                c.HeldByApp = false;
            }
            ReleaseIfDone(c);
        }

        /// <summary>Back to the pool once the protocol is done (CLOSED) and the app let go.</summary>
        internal static void ReleaseIfDone(TcpConnection c)
        {
            if (!c.Active || c.State != TcpState.Closed || c.HeldByApp) return;
            if (s_active == c) s_active = c.NextActive;
            else
                for (TcpConnection a = s_active; a != null; a = a.NextActive)
                    if (a.NextActive == c) { a.NextActive = c.NextActive; break; }
            c.Active = false;
            c.NextActive = null;
            c.Owner = null;
            s_activeCount--;
            if (s_activeCount < ConnectionLimit) s_fullReported = false;
            c.SendBuffer.Clear();   // unread or unsent bytes die with the connection; the blocks go back
            c.ReceiveBuffer.Clear();
            c.ShrinkBuffers();
            c.NextInQueue = s_pool;
            s_pool = c;
        }

        /// <summary>Timers of every connection; called from the stack's poll.</summary>
        public static void Tick(ulong now)
        {
            TcpConnection c = s_active;
            while (c != null)
            {
                TcpConnection next = c.NextActive;
                ulong before = c.Retransmissions;
                c.Tick(now);
                Retransmissions += c.Retransmissions - before;
                c = next;
            }
        }

        /// <summary>
        /// Builds and sends one segment of <paramref name="connection"/>: <paramref name="length"/> bytes from its send
        /// buffer at <paramref name="bufferOffset"/>, the MSS option on SYNs. False when no packet was free.
        /// </summary>
        internal static bool SendSegment(TcpConnection connection, uint sequence, byte flags, int bufferOffset, int length, bool synOptions)
        {
            Packet packet = PacketPool.Allocate();
            if (packet == null) return false;
            ushort window;
            uint ack = connection.AcknowledgmentToSend(out window, synOptions);
            byte* header = packet.Frame + Ip.PayloadOffset(connection.RemoteAddress);
            int headerLength = HeaderSize + connection.WriteOptions(header + HeaderSize, synOptions, length == 0 && flags == TcpSegment.Ack);
            WriteHeader(header, connection.LocalPort, connection.RemotePort, sequence, (flags & TcpSegment.Ack) != 0 ? ack : 0, flags, window, headerLength);
            if (length > 0) connection.SendBuffer.Peek(bufferOffset, header + headerLength, length);
            Finish(packet, header, connection.LocalAddress, connection.RemoteAddress, headerLength + length);
            return true;
        }

        /// <summary>A RST (with ACK when <paramref name="withAck"/>) from local to remote, outside any connection.</summary>
        internal static void SendReset(IpAddress localAddress, ushort localPort, IpAddress remoteAddress, ushort remotePort, uint sequence, uint acknowledgment, bool withAck)
        {
            Packet packet = PacketPool.Allocate();
            if (packet == null) return;
            byte* header = packet.Frame + Ip.PayloadOffset(remoteAddress);
            byte flags = withAck ? (byte)(TcpSegment.Rst | TcpSegment.Ack) : TcpSegment.Rst;
            WriteHeader(header, localPort, remotePort, sequence, withAck ? acknowledgment : 0, flags, 0, HeaderSize);
            ResetsSent++;
            Finish(packet, header, localAddress, remoteAddress, HeaderSize);
        }

        // RFC 6528: ISN = M + F(4-tuple, secret) -- a 4 us clock plus a keyed hash of the connection's addresses and
        // ports. Unpredictable without the secret, yet increasing for one pair, so a new SYN from us lands beyond an old
        // incarnation's sequence numbers (what TIME_WAIT reuse relies on at the peer).
        private static ulong s_isnKey0, s_isnKey1;

        internal static uint InitialSequenceNumber(IpAddress localAddress, ushort localPort, IpAddress remoteAddress, ushort remotePort)
        {
            if (s_isnKey0 == 0 && s_isnKey1 == 0)
            {
                ulong k0, k1;
                Entropy.Random.Fill((byte*)&k0, 8);
                Entropy.Random.Fill((byte*)&k1, 8);
                s_isnKey0 = k0 | 1;
                s_isnKey1 = k1;
            }
            // The 16-byte hash chained over the tuple: each address, then the ports, keyed by what came before.
            ulong h = SipHash.Hash(s_isnKey0, s_isnKey1, localAddress.High, localAddress.Low);
            h = SipHash.Hash(s_isnKey0 ^ h, s_isnKey1, remoteAddress.High, remoteAddress.Low);
            ulong ports = ((ulong)localPort << 16) | remotePort;
            uint clock = (uint)(Time.Clock.MonotonicNanoseconds / 4000);
            return clock + (uint)SipHash.Hash(s_isnKey0, s_isnKey1 ^ h, ports, 0);
        }

        private static void WriteHeader(byte* header, ushort sourcePort, ushort destinationPort, uint sequence, uint acknowledgment, byte flags, ushort window, int headerLength)
        {
            NetBytes.Write16(header, sourcePort);
            NetBytes.Write16(header + 2, destinationPort);
            NetBytes.Write32(header + 4, sequence);
            NetBytes.Write32(header + 8, acknowledgment);
            header[12] = (byte)((headerLength / 4) << 4);
            header[13] = flags;
            NetBytes.Write16(header + 14, window);
            NetBytes.Write16(header + 16, 0);
            NetBytes.Write16(header + 18, 0);
        }

        private static void Finish(Packet packet, byte* header, IpAddress source, IpAddress destination, int length)
        {
            ulong sum = Ip.PseudoHeader(source, destination, Ipv4.ProtocolTcp, length);
            if (NetworkStack.ChecksumOffloadTo(destination))
            {
                NetBytes.Write16(header + 16, (ushort)~Checksum.Finish(sum));   // the pseudo header's folded sum; the card adds the rest
                packet.ChecksumStart = (int)(header - packet.Frame);
                packet.ChecksumOffset = 16;
            }
            else NetBytes.Write16(header + 16, Checksum.Finish(Checksum.Add(sum, header, length)));
            SegmentsSent++;
            Ip.Output(packet, Ipv4.ProtocolTcp, source, destination, length);
        }

        private static TcpConnection NewConnection()
        {
            if (s_activeCount >= ConnectionLimit && !RecycleOldestTimeWait())
            {
                ReportFull();
                return null;
            }
            TcpConnection c = s_pool;
            if (c != null)
            {
                s_pool = c.NextInQueue;
                c.NextInQueue = null;
                return c;
            }
            s_connectionObjects++;
            return new TcpConnection();
        }

        // The table is full: a TIME_WAIT only guards against stray old segments, a live connection is worth more. Only
        // one the app no longer holds leaves the table when it ends. Whether one did.
        private static bool RecycleOldestTimeWait()
        {
            TcpConnection oldest = null;
            for (TcpConnection c = s_active; c != null; c = c.NextActive)
                if (c.State == TcpState.TimeWait && !c.HeldByApp && (oldest == null || c.TimeWaitDeadline < oldest.TimeWaitDeadline)) oldest = c;
            if (oldest == null) return false;
            oldest.EndTimeWait();
            return s_activeCount < ConnectionLimit;
        }

        // Once per episode (until a connection leaves the full table): the operator learns why new clients wait.
        private static void ReportFull()
        {
            if (s_fullReported) return;
            s_fullReported = true;
            KernelConsole.Prefix();
            KernelConsole.Write("net: tcp: connection table full (");
            KernelConsole.WriteDecimal((ulong)ConnectionLimit);
            KernelConsole.Write(" connections, /proc/sys/net/ipv4/tcp_max_connections): new connections are refused until one closes");
            KernelConsole.WriteLine();
        }

        private static void Activate(TcpConnection c)
        {
            c.Active = true;
            c.NextActive = s_active;
            s_active = c;
            s_activeCount++;
            if (s_activeCount > PeakConnections) PeakConnections = s_activeCount;
        }

        private static TcpConnection Find(IpAddress localAddress, ushort localPort, IpAddress remoteAddress, ushort remotePort)
        {
            for (TcpConnection c = s_active; c != null; c = c.NextActive)
                if (c.LocalPort == localPort && c.RemotePort == remotePort && c.RemoteAddress == remoteAddress
                    && (c.LocalAddress == localAddress || localAddress.IsV4 && localAddress.IsLoopback) && c.State != TcpState.Closed)
                    return c;
            return null;
        }

        private static TcpListener FindListener(ushort port, IpAddress address)
        {
            int version = address.IsV4 ? IpVersions.V4 : IpVersions.V6;
            for (TcpListener l = s_listeners; l != null; l = l.Next)
                if (l.LocalPort == port && (l.Versions & version) != 0 && (l.LocalAddress.IsAny || l.LocalAddress == address)) return l;
            return null;
        }
    }
}
