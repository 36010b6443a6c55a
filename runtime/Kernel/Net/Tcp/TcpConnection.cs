using Kernel.Threads;

namespace Kernel.Net.Tcp
{
    // One TCP connection (a TCB, RFC 793 3.2) and its state machine, in the spirit of lwIP's tcp_in/tcp_out,
    // with the parts real clients exercise:
    // - handshakes both ways (passive from a TcpListener, active from Connect) with the MSS, window scale
    //   (RFC 7323) and SACK-permitted (RFC 2018) options, each used only when both SYNs carry it; no timestamps;
    // - data both ways through two rings: ReceiveBuffer holds in-order bytes the app has not read (the
    //   advertised window is its free space), SendBuffer holds the app's bytes from the oldest unacknowledged
    //   one, so retransmissions come from it. The rings start at 64 KiB and, with window scaling, double up to
    //   256 KiB when the window is what limits a transfer (TcpProtocol bounds the growth of all rings together). Their
    //   memory is taken when data arrives or is written and given back after a second of emptiness, within TcpProtocol's
    //   ring memory limit: an idle connection holds no ring memory;
    // - segments that arrive out of order (inside the window) are kept as they came, in their packets, sorted
    //   by sequence number (lwIP's ooseq queue), answered at once with a duplicate ACK carrying SACK blocks,
    //   and taken in once the gap is filled. In-order data is acknowledged every second full segment, else
    //   after 40 ms (delayed ACK), or with the data the app sends back;
    // - NewReno congestion control (RFC 5681, RFC 6582): a ten-segment initial window (RFC 6928), slow start,
    //   congestion avoidance, fast retransmit after three duplicate ACKs and fast recovery, where the peer's
    //   SACK blocks say which holes to resend and partial ACKs resend the next one; a retransmission timeout
    //   (RFC 6298 estimator, 200 ms floor, exponential backoff) collapses the window to one segment and goes
    //   back to the oldest unacknowledged byte. Zero-window probes while the peer's window is shut;
    // - Nagle's algorithm unless NoDelay (TCP_NODELAY); keep-alive probes (SO_KEEPALIVE, TCP_KEEP*) with
    //   Linux's defaults;
    // - FIN/close both ways (half close), RST both ways with RFC 5961's rules (only an exact RST resets, others
    //   and SYNs get a challenge ACK, ACKs for data never sent or too old are dropped), TIME_WAIT of 2 MSL =
    //   60 s as Linux, which a SYN beyond the old sequence space may reuse and which TcpProtocol recycles, oldest
    //   first, when it runs out of connection objects (a TIME_WAIT gives its grown rings back at once).
    // Interrupts are off in the kernel, so there is no locking: TcpProtocol's poll, the app's system calls and the
    // self-tests all run to completion. A connection has two owners -- the protocol (until it reaches
    // Closed) and the app (until it closes its socket) -- and goes back to TcpProtocol's pool when both let go.
    // The same source compiles into the host tests (tests/Unikernel.Net.Tests), which replace the clock, the
    // entropy source, the wait queues and the device.
    //
    // This file holds the TCB's state, the app's side and the opening handshake; the rest of the class is split
    // by concern, as lwIP splits tcp.c, tcp_in.c and tcp_out.c: TcpConnection.Input.cs (segments arriving,
    // reassembly), .Acknowledgment.cs (the ACK and window fields, the SACK scoreboard), .Congestion.cs (NewReno,
    // fast retransmit and recovery), .Output.cs (sending, Nagle, options), .Timers.cs (retransmission, persist,
    // keep-alive, delayed ACK, TIME_WAIT) and .Buffers.cs (ring growth and release).
    internal sealed unsafe partial class TcpConnection
    {
        /// <summary>Each ring's size to start with; rings grow to MaximumBufferSize when the window is what limits a transfer.</summary>
        public const int BufferSize = 65536;
        public const int MaximumBufferSize = 262144;
        /// <summary>The window field's largest value: our whole window without scaling, and any window on a SYN.</summary>
        public const int MaximumWindow = 65535;
        /// <summary>Our window scale (RFC 7323): 2 is the smallest shift that can advertise MaximumBufferSize.</summary>
        public const int OurWindowShift = 2;
        /// <summary>The MSS we offer over IPv4 (1460); IPv6's header leaves 20 bytes less (Mss).</summary>
        public const int OurMss = Ipv4.MaximumPayload - TcpProtocol.HeaderSize;
        private const ulong InitialRto = 1_000_000_000, MinimumRto = 200_000_000, MaximumRto = 60_000_000_000;
        /// <summary>2 MSL with Linux's 60 s (TCP_TIMEWAIT_LEN); TcpProtocol recycles the oldest TIME_WAIT when it runs out of connections.</summary>
        public const ulong TimeWaitNanoseconds = 60_000_000_000;
        /// <summary>Linux's delayed-ACK time (TCP_DELACK_MIN); RFC 1122 allows up to 500 ms, RFC 5681 asks for less.</summary>
        public const ulong DelayedAckNanoseconds = 40_000_000;
        /// <summary>A ring empty this long gives its block back (a busy connection keeps it; an idle one costs its objects only).</summary>
        public const ulong RingIdleNanoseconds = 1_000_000_000;
        private const int MaximumRetries = 10, MaximumSynRetries = 5;
        /// <summary>SACK ranges kept of what the peer reported (sender side) -- a segment's SACK option carries at most four.</summary>
        private const int ScoreboardRanges = 4;

        public TcpState State;
        public IpAddress LocalAddress, RemoteAddress;
        public ushort LocalPort, RemotePort;
        /// <summary>The largest segment we send and offer on this connection's IP version.</summary>
        public int Mss;

        public readonly ByteRing SendBuffer = new ByteRing(BufferSize);
        public readonly ByteRing ReceiveBuffer = new ByteRing(BufferSize);

        // Send sequence space (RFC 793 3.2): una <= nxt <= max; dataStart is SendBuffer's first byte.
        private uint _iss, _sendUnacknowledged, _sendNext, _sendMaximum, _dataStart;
        private uint _sendWindow, _windowUpdateSequence, _windowUpdateAcknowledgment;
        private bool _finQueued, _finSent;
        private uint _finSequence;
        private int _peerMss;
        private int _duplicateAcks;
        private uint _maximumSendWindow;   // the largest window the peer offered (RFC 5961 5.2's bound on old ACKs)

        // Options agreed on the handshake: window scaling needs both SYNs to carry it (RFC 7323 2.2), SACK
        // needs SACK-permitted on both (RFC 2018).
        private bool _peerOfferedWindowScale, _peerOfferedSack;
        private int _sendShift, _receiveShift;
        private bool _sackPermitted;

        // Congestion control, NewReno (RFC 5681, RFC 6582) with SACK telling which segments to resend.
        private uint _congestionWindow, _slowStartThreshold;
        private uint _bytesAckedInAvoidance;
        private bool _inRecovery;
        private uint _recover;              // _sendMaximum when recovery began: an ACK beyond it ends recovery
        private uint _retransmitNext;       // recovery: where the next hole to resend may start
        private readonly uint[] _sacked = new uint[2 * ScoreboardRanges];   // sorted [left, right) pairs above una
        private int _sackedCount;

        // Receive sequence space.
        private uint _irs, _receiveNext;
        private int _lastAdvertisedWindow;
        private bool _finReceived;
        private bool _ackPending;            // an ACK goes out at the end of this input (or with the data it triggers)
        private ulong _delayedAckDeadline;   // an ACK is owed by then (0: none)
        private int _bytesSinceAck, _receiveMssEstimate;
        private uint _lastOutOfOrderSequence;   // RFC 2018 4: the first SACK block covers the latest arrival
        private bool _receiveWindowFilled;
        private Packet _outOfOrder;           // sorted by Sequence
        private int _outOfOrderCount;
        public const int OutOfOrderLimit = 32;

        // Timers (monotonic ns, 0 = off) and the round-trip estimator.
        private ulong _rto, _smoothedRtt, _rttVariance;
        private bool _rttValid, _timingRtt;
        private uint _rttSequence;
        private ulong _rttStart;
        private ulong _retransmitDeadline, _persistDeadline, _timeWaitDeadline;
        private int _retries;

        /// <summary>The error a reset or time-out left (-errno), reported to the app once the buffers are drained.</summary>
        public long Error;
        /// <summary>The listener this connection came from while it is not yet accepted (null after accept).</summary>
        public TcpListener Listener;
        internal TcpConnection NextInQueue;   // listener's accept queue / TcpProtocol's pool
        internal TcpConnection NextActive;    // TcpProtocol's connection list
        internal bool Active;                 // in TcpProtocol's list
        /// <summary>A send found TcpProtocol's ring memory used up: TcpProtocol wakes the connection when a block comes back.</summary>
        internal bool WantsRingMemory;
        /// <summary>The app still has it (a socket, or a listener's queue that may hand it out).</summary>
        public bool HeldByApp;
        /// <summary>TCP_NODELAY: send small segments at once instead of holding them while data is in flight (Nagle, RFC 896).</summary>
        public bool NoDelay;
        /// <summary>SO_KEEPALIVE with TCP_KEEPIDLE/TCP_KEEPINTVL (seconds) and TCP_KEEPCNT; Linux's defaults.</summary>
        public bool KeepAlive;
        public int KeepIdle = 7200, KeepInterval = 75, KeepCount = 9;
        private ulong _lastReceived;
        private int _keepAliveProbes;

        public readonly WaitQueue Waiters = new WaitQueue();
        public Files.OpenFile Owner;

        public ulong Retransmissions, SegmentsSent, SegmentsReceived;

        /// <summary>Makes a pooled object a fresh connection between the given endpoints.</summary>
        internal void Reset(IpAddress localAddress, ushort localPort, IpAddress remoteAddress, ushort remotePort)
        {
            State = TcpState.Closed;
            Mss = Ip.MaximumPayload(remoteAddress) - TcpProtocol.HeaderSize;
            LocalAddress = localAddress;
            LocalPort = localPort;
            RemoteAddress = remoteAddress;
            RemotePort = remotePort;
            SendBuffer.Clear();
            ReceiveBuffer.Clear();
            _iss = TcpProtocol.InitialSequenceNumber(localAddress, localPort, remoteAddress, remotePort);
            _sendUnacknowledged = _iss;
            _sendNext = _iss;
            _sendMaximum = _iss;
            _dataStart = _iss + 1;
            _sendWindow = 0;
            _windowUpdateSequence = 0;
            _windowUpdateAcknowledgment = 0;
            _finQueued = _finSent = false;
            _finSequence = 0;
            _peerMss = 536;
            _duplicateAcks = 0;
            _maximumSendWindow = 0;
            _peerOfferedWindowScale = _peerOfferedSack = _sackPermitted = false;
            _sendShift = _receiveShift = 0;
            _congestionWindow = 0;
            _slowStartThreshold = 0x7FFF_FFFF;   // RFC 5681 3.1: arbitrarily high until the first loss
            _bytesAckedInAvoidance = 0;
            _inRecovery = false;
            _recover = _retransmitNext = _iss;
            _sackedCount = 0;
            _irs = _receiveNext = 0;
            _lastAdvertisedWindow = 0;
            _finReceived = false;
            _ackPending = false;
            _delayedAckDeadline = 0;
            _bytesSinceAck = 0;
            _receiveMssEstimate = 536;
            _lastOutOfOrderSequence = 0;
            _receiveWindowFilled = false;
            ShrinkBuffers();
            DropOutOfOrder();
            _rto = InitialRto;
            _smoothedRtt = _rttVariance = 0;
            _rttValid = _timingRtt = false;
            _retransmitDeadline = _persistDeadline = _timeWaitDeadline = 0;
            _retries = 0;
            Error = 0;
            Listener = null;
            NextInQueue = null;
            HeldByApp = false;
            WantsRingMemory = false;
            NoDelay = false;
            KeepAlive = false;
            KeepIdle = 7200;
            KeepInterval = 75;
            KeepCount = 9;
            _lastReceived = Time.Clock.MonotonicNanoseconds;
            _keepAliveProbes = 0;
            Owner = null;
            Retransmissions = SegmentsSent = SegmentsReceived = 0;
        }

        public bool FinReceived => _finReceived;
        public ulong RetransmissionTimeout => _rto;
        public ulong SmoothedRtt => _smoothedRtt;
        public uint CongestionWindow => _congestionWindow;
        public uint SlowStartThreshold => _slowStartThreshold;
        public bool InRecovery => _inRecovery;
        public bool WindowScaling => _receiveShift != 0 || _sendShift != 0;
        public bool SackPermitted => _sackPermitted;
        /// <summary>The peer's window in bytes (scaled).</summary>
        public uint SendWindow => _sendWindow;
        internal uint ReceiveNext => _receiveNext;
        internal ulong TimeWaitDeadline => _timeWaitDeadline;

        // ---- app side --------------------------------------------------------------------------------------

        /// <summary>Bytes read (0 at end of stream), or -EAGAIN (nothing yet), or the connection's error. <paramref name="peek"/>: leave them.</summary>
        public long Receive(byte* destination, int length, bool peek = false)
        {
            if (ReceiveBuffer.Count > 0)
            {
                if (peek)
                {
                    int peeked = length < ReceiveBuffer.Count ? length : ReceiveBuffer.Count;
                    ReceiveBuffer.Peek(0, destination, peeked);
                    return peeked;
                }
                int n = ReceiveBuffer.Read(destination, length);
                if (ReceiveBuffer.Count == 0 && _receiveWindowFilled) GrowReceiveBuffer();
                // Window update: tell the peer when reading opened the window by a useful amount.
                int window = AdvertisableWindow();
                if (State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2)
                    if (window - _lastAdvertisedWindow >= 2 * Mss || (_lastAdvertisedWindow < Mss && window >= Mss)) SendAck();
                return n;
            }
            if (_finReceived) return 0;
            if (Error != 0) return Error;
            if (State == TcpState.Closed) return 0;
            return -LinuxAbi.Errno.EAGAIN;   // nothing yet (or still connecting)
        }

        /// <summary>Bytes taken into the send buffer (sent as the window allows), or -EAGAIN (full), -EPIPE (closed for sending), the error.</summary>
        public long Send(byte* source, int length)
        {
            if (Error != 0) return Error;
            if (State == TcpState.SynSent || State == TcpState.SynReceived) return -LinuxAbi.Errno.EAGAIN;
            if (_finQueued || !(State == TcpState.Established || State == TcpState.CloseWait)) return -LinuxAbi.Errno.EPIPE;
            if (SendBuffer.Free == 0) return -LinuxAbi.Errno.EAGAIN;
            if (length > 0 && !SendBuffer.EnsureStorage())
            {
                TcpProtocol.WantRingMemory(this);   // TcpProtocol's ring memory is used up: wait for a block to come back
                return -LinuxAbi.Errno.EAGAIN;
            }
            int n = SendBuffer.Write(source, length);
            // The app filled the ring while the peer could take more: the ring is what limits the transfer.
            if (n < length && _sendShift != 0 && _sendWindow > SendBuffer.Capacity && GrowRing(SendBuffer))
                n += SendBuffer.Write(source + n, length - n);
            Output();
            return n;
        }

        /// <summary>shutdown(SHUT_WR): a FIN after the data already written.</summary>
        public void ShutdownSend()
        {
            if (_finQueued) return;
            switch (State)
            {
                case TcpState.SynReceived:
                case TcpState.Established:
                    _finQueued = true;
                    State = TcpState.FinWait1;
                    break;
                case TcpState.CloseWait:
                    _finQueued = true;
                    State = TcpState.LastAck;
                    break;
                case TcpState.SynSent:
                    EnterClosed(0);
                    return;
                default:
                    return;
            }
            Output();
        }

        /// <summary>
        /// The app is done with the connection (close): an orderly FIN, or a RST when it leaves unread data behind
        /// (RFC 2525 2.17, as Linux does). The object returns to the pool once the protocol is done too.
        /// </summary>
        public void Close()
        {
            HeldByApp = false;
            Owner = null;
            if (ReceiveBuffer.Count > 0 && State != TcpState.Closed && State != TcpState.TimeWait) Abort(0);
            else ShutdownSend();
            TcpProtocol.ReleaseIfDone(this);
        }

        /// <summary>Sends a RST (when synchronized) and drops the connection with <paramref name="error"/> for the app.</summary>
        public void Abort(long error)
        {
            if (State == TcpState.SynReceived || State == TcpState.Established || State == TcpState.FinWait1
                || State == TcpState.FinWait2 || State == TcpState.CloseWait || State == TcpState.Closing || State == TcpState.LastAck)
                TcpProtocol.SendSegment(this, _sendNext, TcpSegment.Rst | TcpSegment.Ack, 0, 0, false);
            EnterClosed(error);
        }

        /// <summary>Does the peer still have to acknowledge data or our FIN (what a closing VM must wait for)?</summary>
        public bool HasUnacknowledgedOutput
            => State == TcpState.FinWait1 || State == TcpState.Closing || State == TcpState.LastAck
               || ((State == TcpState.Established || State == TcpState.CloseWait || State == TcpState.SynReceived) && SendBuffer.Count > 0);

        /// <summary>Readiness for poll/epoll (LinuxAbi.PollBits values).</summary>
        public uint Poll()
        {
            uint bits = 0;
            if (ReceiveBuffer.Count > 0 || _finReceived || Error != 0) bits |= LinuxAbi.PollBits.Readable;
            if ((State == TcpState.Established || State == TcpState.CloseWait) && !_finQueued && SendBuffer.Free > 0)
            {
                if (SendBuffer.HasStorage || TcpProtocol.RingMemoryAvailable(SendBuffer.Capacity)) bits |= LinuxAbi.PollBits.Writable;
                else TcpProtocol.WantRingMemory(this);
            }
            if (_finReceived) bits |= LinuxAbi.PollBits.ReadHangUp;
            if (Error != 0) bits |= LinuxAbi.PollBits.Error;
            if (State == TcpState.Closed || (_finReceived && _finQueued)) bits |= LinuxAbi.PollBits.HangUp;
            return bits;
        }

        // ---- opening ------------------------------------------------------------------------------------------

        /// <summary>Active open: SYN_SENT and the first SYN out.</summary>
        internal void Connect()
        {
            State = TcpState.SynSent;
            SendSyn(false);
        }

        /// <summary>Passive open: a listener got <paramref name="syn"/>; SYN_RECEIVED and our SYN-ACK out.</summary>
        internal void Accept(ref TcpSegment syn)
        {
            State = TcpState.SynReceived;
            _irs = syn.Sequence;
            _receiveNext = syn.Sequence + 1;
            TakePeerMss(ref syn);
            _peerOfferedWindowScale = syn.WindowScale >= 0;
            _peerOfferedSack = syn.SackPermitted;
            TakeSynOptions(ref syn);
            _sendWindow = syn.Window;   // never scaled on a SYN
            _windowUpdateSequence = syn.Sequence;
            SendSyn(true);
        }

        private void SendSyn(bool withAck)
        {
            _sendNext = _iss + 1;
            if (TcpSegment.After(_sendNext, _sendMaximum)) _sendMaximum = _sendNext;
            TcpProtocol.SendSegment(this, _iss, withAck ? (byte)(TcpSegment.Syn | TcpSegment.Ack) : TcpSegment.Syn, 0, 0, true);
            _retransmitDeadline = Time.Clock.MonotonicNanoseconds + _rto;
        }

        private void TakePeerMss(ref TcpSegment segment)
        {
            int mss = segment.MaximumSegmentSize != 0 ? segment.MaximumSegmentSize : 536;
            _peerMss = mss < Mss ? mss : Mss;
            if (_peerMss < 64) _peerMss = 64;
            // RFC 6928's initial window: ten segments, capped at 14600 bytes but never under two segments.
            uint mss32 = (uint)_peerMss, initial = 10 * mss32;
            uint cap = 2 * mss32 > 14600 ? 2 * mss32 : 14600;
            _congestionWindow = initial < cap ? initial : cap;
        }

        // The peer's SYN or SYN-ACK decides the options: each applies only when both sides sent it (we always offer both).
        private void TakeSynOptions(ref TcpSegment syn)
        {
            if (syn.WindowScale >= 0)
            {
                _sendShift = syn.WindowScale;
                _receiveShift = OurWindowShift;
            }
            _sackPermitted = syn.SackPermitted;
        }

        // ---- closing and waking -------------------------------------------------------------------------------

        private void EnterClosed(long error)
        {
            if (error != 0 && Error == 0) Error = error;
            State = TcpState.Closed;
            _retransmitDeadline = _persistDeadline = _timeWaitDeadline = _delayedAckDeadline = 0;
            DropOutOfOrder();
            Notify();
            TcpProtocol.Closed(this);
        }

        internal void Notify()
        {
            Waiters.WakeAll();
            Files.Events.FileEvents.Changed(Owner);
        }
    }
}
