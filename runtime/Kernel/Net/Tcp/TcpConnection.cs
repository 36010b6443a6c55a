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
    internal sealed unsafe class TcpConnection
    {
        /// <summary>Each ring's size to start with; rings grow to MaximumBufferSize when the window is what limits a transfer.</summary>
        public const int BufferSize = 65536;
        public const int MaximumBufferSize = 262144;
        /// <summary>The window field's largest value: our whole window without scaling, and any window on a SYN.</summary>
        public const int MaximumWindow = 65535;
        /// <summary>Our window scale (RFC 7323): 2 is the smallest shift that can advertise MaximumBufferSize.</summary>
        public const int OurWindowShift = 2;
        public const int OurMss = Ipv4.MaximumPayload - TcpProtocol.HeaderSize;   // 1460
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
        public uint LocalAddress, RemoteAddress;
        public ushort LocalPort, RemotePort;

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
        internal void Reset(uint localAddress, ushort localPort, uint remoteAddress, ushort remotePort)
        {
            State = TcpState.Closed;
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
                    if (window - _lastAdvertisedWindow >= 2 * OurMss || (_lastAdvertisedWindow < OurMss && window >= OurMss)) SendAck();
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
            _peerMss = mss < OurMss ? mss : OurMss;
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

        /// <summary>
        /// Writes this connection's TCP options after the header (at most 40 bytes) and returns their length: MSS, SACK-permitted
        /// and window scale on SYNs (on a SYN-ACK only what the peer offered), SACK blocks on pure ACKs while data waits
        /// out of order (not on data segments, which would have to shrink below the MSS to make room).
        /// </summary>
        internal int WriteOptions(byte* options, bool syn, bool pureAck)
        {
            int n = 0;
            if (syn)
            {
                bool synAck = State != TcpState.SynSent;
                options[n++] = 2;
                options[n++] = 4;
                NetBytes.Write16(options + n, (ushort)OurMss);
                n += 2;
                if (!synAck || _peerOfferedSack)
                {
                    options[n++] = 1;
                    options[n++] = 1;
                    options[n++] = 4;
                    options[n++] = 2;
                }
                if (!synAck || _peerOfferedWindowScale)
                {
                    options[n++] = 1;
                    options[n++] = 3;
                    options[n++] = 3;
                    options[n++] = OurWindowShift;
                }
                return n;
            }
            if (!pureAck || !_sackPermitted || _outOfOrder == null) return 0;
            options[n++] = 1;
            options[n++] = 1;
            options[n++] = 5;
            int lengthAt = n++;
            int blocks = 0;
            // The range holding the latest arrival first, then the others in sequence order (three fit with the NOPs).
            uint left, right;
            if (OutOfOrderRange(_lastOutOfOrderSequence, out left, out right))
            {
                NetBytes.Write32(options + n, left);
                NetBytes.Write32(options + n + 4, right);
                n += 8;
                blocks++;
            }
            uint first = left;
            for (Packet p = _outOfOrder; p != null && blocks < 3;)
            {
                uint start, end;
                p = OutOfOrderRun(p, out start, out end);
                if (blocks > 0 && start == first) continue;
                NetBytes.Write32(options + n, start);
                NetBytes.Write32(options + n + 4, end);
                n += 8;
                blocks++;
            }
            if (blocks == 0) return 0;
            options[lengthAt] = (byte)(2 + 8 * blocks);
            return n;
        }

        // The contiguous (or overlapping) run of out-of-order segments that starts at `first`, as sequence numbers
        // [start, end) -- a FIN counts one -- and the first packet after it (the queue is sorted by sequence).
        private static Packet OutOfOrderRun(Packet first, out uint start, out uint end)
        {
            start = first.Sequence;
            end = first.Sequence + (uint)first.DataLength + (first.Fin ? 1u : 0u);
            Packet p = first.Next;
            while (p != null && TcpSegment.BeforeOrAt(p.Sequence, end))
            {
                uint e = p.Sequence + (uint)p.DataLength + (p.Fin ? 1u : 0u);
                if (TcpSegment.After(e, end)) end = e;
                p = p.Next;
            }
            return p;
        }

        // The contiguous run of out-of-order data that holds `sequence`.
        private bool OutOfOrderRange(uint sequence, out uint left, out uint right)
        {
            left = right = 0;
            for (Packet p = _outOfOrder; p != null;)
            {
                uint start, end;
                p = OutOfOrderRun(p, out start, out end);
                if (TcpSegment.AfterOrAt(sequence, start) && TcpSegment.Before(sequence, end))
                {
                    left = start;
                    right = end;
                    return true;
                }
            }
            return false;
        }

        // ---- input --------------------------------------------------------------------------------------------

        /// <summary>
        /// Processes a segment for this connection (RFC 793 3.9, "SEGMENT ARRIVES"). True when the connection kept
        /// <paramref name="packet"/> (out-of-order data); else the caller frees it.
        /// </summary>
        internal bool Input(ref TcpSegment segment, Packet packet)
        {
            SegmentsReceived++;
            _lastReceived = Time.Clock.MonotonicNanoseconds;
            _keepAliveProbes = 0;
            if (State == TcpState.SynSent) { InputSynSent(ref segment); return false; }

            // Data beyond a gap: its ACK counts now, its data waits for the gap (a duplicate ACK tells the sender).
            if ((State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2)
                && segment.Has(TcpSegment.Ack) && !segment.Has(TcpSegment.Rst) && !segment.Has(TcpSegment.Syn)
                && (segment.DataLength > 0 || segment.Has(TcpSegment.Fin))
                && TcpSegment.After(segment.Sequence, _receiveNext)
                && TcpSegment.Before(segment.Sequence, _receiveNext + (uint)AdvertisableWindow()))
            {
                if (!ProcessAcknowledgment(ref segment)) return false;
                bool kept = KeepOutOfOrder(ref segment, packet);
                _lastOutOfOrderSequence = segment.Sequence;
                SendAck();   // at once (RFC 5681 4.2): the duplicate ACK, with SACK blocks, drives the sender's recovery
                Output();
                return kept;
            }

            // 1. Is the segment acceptable? It must cover the next expected byte (later data was handled above).
            if (!Acceptable(ref segment))
            {
                if (!segment.Has(TcpSegment.Rst)) SendAck();
                return false;
            }
            // 2. RST: only one at exactly the next expected sequence number resets us (RFC 5961 3.2); others get
            //    a challenge ACK.
            if (segment.Has(TcpSegment.Rst))
            {
                if (segment.Sequence == _receiveNext)
                    EnterClosed(State == TcpState.SynReceived ? -NetErrors.ECONNREFUSED : -NetErrors.ECONNRESET);
                else SendAck();
                return false;
            }
            // 3. A SYN in a synchronized state: a retransmitted SYN while our SYN-ACK was lost gets it again,
            //    anything else a challenge ACK.
            if (segment.Has(TcpSegment.Syn))
            {
                if (State == TcpState.SynReceived && segment.Sequence == _irs)
                {
                    TcpProtocol.SendSegment(this, _iss, TcpSegment.Syn | TcpSegment.Ack, 0, 0, true);
                    return false;
                }
                SendAck();
                return false;
            }
            // 4. ACK.
            if (!segment.Has(TcpSegment.Ack)) return false;
            if (State == TcpState.SynReceived)
            {
                if (TcpSegment.BeforeOrAt(segment.Acknowledgment, _iss) || TcpSegment.After(segment.Acknowledgment, _sendMaximum))
                {
                    TcpProtocol.SendReset(LocalAddress, LocalPort, RemoteAddress, RemotePort, segment.Acknowledgment, 0, false);
                    return false;
                }
                // Linux (tcp_abort_on_overflow off): with the accept queue full the handshake's last ACK is dropped; the
                // connection stays half-open and our SYN-ACK's retransmission makes the peer ACK again later.
                if (Listener != null && Listener.AcceptQueueFull)
                {
                    Listener.Overflows++;
                    NetCounters.Drop(DropReason.TcpAcceptQueueFull);
                    return false;
                }
                State = TcpState.Established;
                _windowUpdateSequence = segment.Sequence - 1;   // let the window below be taken
                TcpProtocol.Established(this);
            }
            if (!ProcessAcknowledgment(ref segment)) return false;

            // 5. Data.
            bool canReceive = State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2;
            uint sequence = segment.Sequence;
            if (segment.DataLength > 0 && canReceive)
            {
                TakeData(sequence, segment.Data, segment.DataLength);
                DelayAck(segment.DataLength);
            }
            // 6. FIN, once everything before it is in.
            if (segment.Has(TcpSegment.Fin) && !_finReceived && sequence + (uint)segment.DataLength == _receiveNext) ReceiveFin();
            else if (segment.Has(TcpSegment.Fin) && _finReceived) _ackPending = true;   // a retransmitted FIN
            if (_outOfOrder != null) TakeOutOfOrder();
            Output();
            return false;
        }

        // In-order data at `sequence` (possibly overlapping what we have): what fits goes to the receive buffer.
        private void TakeData(uint sequence, byte* data, int length)
        {
            int skip = (int)(_receiveNext - sequence);   // already received (retransmission overlap)
            if (skip < 0) skip = 0;
            if (skip >= length) return;
            if (!ReceiveBuffer.EnsureStorage())
            {
                // Out of ring memory: the data is not acknowledged, so the peer sends it again later.
                NetCounters.Drop(DropReason.TcpMemory);
                return;
            }
            int n = ReceiveBuffer.Write(data + skip, length - skip);
            _receiveNext += (uint)n;
            if (n > 0) Notify();
            if (ReceiveBuffer.Count >= ReceiveBuffer.Capacity / 2) _receiveWindowFilled = true;
        }

        // RFC 1122 4.2.3.2 / RFC 5681 4.2: ACK at least every second full-sized segment, else within DelayedAckNanoseconds.
        private void DelayAck(int length)
        {
            if (length > _receiveMssEstimate) _receiveMssEstimate = length > OurMss ? OurMss : length;
            _bytesSinceAck += length;
            if (_bytesSinceAck >= 2 * _receiveMssEstimate) _ackPending = true;
            else if (_delayedAckDeadline == 0) _delayedAckDeadline = Time.Clock.MonotonicNanoseconds + DelayedAckNanoseconds;
        }

        // The app emptied a ring that the peer had filled at least half-way: with window scaling a larger ring is a larger
        // window, which is what such a peer is waiting for. Growth is bounded per ring and by TcpProtocol's budget for all of them.
        private void GrowReceiveBuffer()
        {
            _receiveWindowFilled = false;
            if (_receiveShift == 0) return;
            int before = AdvertisableWindow();
            if (GrowRing(ReceiveBuffer) && AdvertisableWindow() > before
                && (State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2))
                _ackPending = true;   // a window update goes out with the next output
        }

        private bool GrowRing(ByteRing ring)
        {
            int capacity = ring.Capacity;
            if (capacity >= MaximumBufferSize || !TcpProtocol.ReserveBufferGrowth(capacity)) return false;
            if (ring.Resize(capacity * 2)) return true;
            TcpProtocol.ReleaseBufferGrowth(capacity);
            return false;
        }

        /// <summary>Back to the initial ring sizes (the memory above them returns to TcpProtocol's budget) where the contents fit; empty rings give their blocks back.</summary>
        internal void ShrinkBuffers()
        {
            SendBuffer.ReleaseStorage();
            ReceiveBuffer.ReleaseStorage();
            ShrinkRing(SendBuffer);
            ShrinkRing(ReceiveBuffer);
        }

        private static void ShrinkRing(ByteRing ring)
        {
            int capacity = ring.Capacity;
            if (capacity > BufferSize && ring.Count <= BufferSize && ring.Resize(BufferSize)) TcpProtocol.ReleaseBufferGrowth(capacity - BufferSize);
        }

        private void ReceiveFin()
        {
            _receiveNext++;
            _finReceived = true;
            _ackPending = true;
            switch (State)
            {
                case TcpState.SynReceived:
                case TcpState.Established: State = TcpState.CloseWait; break;
                case TcpState.FinWait1: State = FinAcknowledged ? TcpState.TimeWait : TcpState.Closing; break;
                case TcpState.FinWait2: State = TcpState.TimeWait; break;
            }
            if (State == TcpState.TimeWait) EnterTimeWait();
            DropOutOfOrder();
            Notify();
        }

        // Keeps a segment that starts beyond the next expected byte, in sequence order; false if not kept
        // (a duplicate, the per-connection limit, or the pool running low).
        private bool KeepOutOfOrder(ref TcpSegment segment, Packet packet)
        {
            if (_outOfOrderCount >= OutOfOrderLimit || PacketPool.FreeCount < PacketPool.Total / 8) return false;
            packet.Sequence = segment.Sequence;
            packet.DataOffset = (int)(segment.Data - packet.Buffer);
            packet.DataLength = segment.DataLength;
            packet.Fin = segment.Has(TcpSegment.Fin);
            Packet previous = null, next = _outOfOrder;
            while (next != null && TcpSegment.Before(next.Sequence, packet.Sequence)) { previous = next; next = next.Next; }
            if (next != null && next.Sequence == packet.Sequence && next.DataLength >= packet.DataLength) return false;
            packet.Next = next;
            if (previous == null) _outOfOrder = packet; else previous.Next = packet;
            _outOfOrderCount++;
            return true;
        }

        // The gap may be filled: take what now continues the stream.
        private void TakeOutOfOrder()
        {
            while (_outOfOrder != null && !_finReceived)
            {
                Packet p = _outOfOrder;
                if (TcpSegment.After(p.Sequence, _receiveNext)) break;
                _outOfOrder = p.Next;
                p.Next = null;
                _outOfOrderCount--;
                TakeData(p.Sequence, p.Buffer + p.DataOffset, p.DataLength);
                if (p.Fin && p.Sequence + (uint)p.DataLength == _receiveNext) ReceiveFin();
                PacketPool.Free(p);
                _ackPending = true;
            }
        }

        private void DropOutOfOrder()
        {
            while (_outOfOrder != null)
            {
                Packet p = _outOfOrder;
                _outOfOrder = p.Next;
                p.Next = null;
                PacketPool.Free(p);
            }
            _outOfOrderCount = 0;
        }

        private bool Acceptable(ref TcpSegment segment)
        {
            int length = segment.SequenceLength;
            uint sequence = segment.Sequence;
            if (length == 0)
            {
                // A pure ACK / RST: at the next expected number, or inside the window we advertised.
                if (sequence == _receiveNext) return true;
                return TcpSegment.After(sequence, _receiveNext) && TcpSegment.Before(sequence, _receiveNext + (uint)AdvertisableWindow());
            }
            // Ending exactly at the next expected byte counts too (Linux's tcp_sequence): a retransmitted FIN, which
            // BSD stacks such as slirp's put on every segment until their FIN is acknowledged, still carries an ACK
            // that must be processed; dropping it would leave our data unacknowledged.
            return TcpSegment.BeforeOrAt(sequence, _receiveNext) && TcpSegment.AfterOrAt(sequence + (uint)length, _receiveNext);
        }

        private bool FinAcknowledged => _finSent && TcpSegment.After(_sendUnacknowledged, _finSequence);

        // The ACK field and the window (RFC 793 3.9, step five): false when the segment is to be dropped.
        private bool ProcessAcknowledgment(ref TcpSegment segment)
        {
            uint ack = segment.Acknowledgment;
            if (TcpSegment.After(ack, _sendMaximum)
                || TcpSegment.Before(ack, _sendUnacknowledged - (_maximumSendWindow > 0 ? _maximumSendWindow : MaximumWindow)))
            {
                SendAck();   // acknowledges something we never sent, or is too old to be real (RFC 5961 5.2): challenge
                return false;
            }
            ulong now = Time.Clock.MonotonicNanoseconds;
            uint window = (uint)segment.Window << _sendShift;
            if (_sackPermitted && segment.SackBlockCount > 0) TakeSackBlocks(ref segment);
            if (TcpSegment.After(ack, _sendUnacknowledged))
            {
                uint acked = ack - _sendUnacknowledged;
                if (_sendUnacknowledged == _iss) acked--;   // our SYN is no data: it does not open the congestion window
                if (TcpSegment.After(ack, _dataStart))
                {
                    int bytes = (int)(ack - _dataStart);
                    if (bytes > SendBuffer.Count) bytes = SendBuffer.Count;
                    SendBuffer.Discard(bytes);
                    _dataStart += (uint)bytes;
                }
                _sendUnacknowledged = ack;
                if (TcpSegment.Before(_sendNext, ack)) _sendNext = ack;
                ForgetSackedBelow(ack);
                if (_timingRtt && TcpSegment.AfterOrAt(ack, _rttSequence))
                {
                    UpdateRtt(now - _rttStart);
                    _timingRtt = false;
                }
                _retries = 0;
                _duplicateAcks = 0;
                _retransmitDeadline = _sendUnacknowledged == _sendMaximum ? 0 : now + _rto;
                if (acked > 0) OnNewAcknowledgment(acked);
                Notify();   // room in the send buffer
            }
            else if (ack == _sendUnacknowledged && segment.DataLength == 0 && window == _sendWindow
                     && _sendUnacknowledged != _sendMaximum && !segment.Has(TcpSegment.Fin))
                OnDuplicateAcknowledgment();

            if (TcpSegment.Before(_windowUpdateSequence, segment.Sequence)
                || (_windowUpdateSequence == segment.Sequence && TcpSegment.BeforeOrAt(_windowUpdateAcknowledgment, ack)))
            {
                _sendWindow = window;
                if (window > _maximumSendWindow) _maximumSendWindow = window;
                _windowUpdateSequence = segment.Sequence;
                _windowUpdateAcknowledgment = ack;
                if (_sendWindow > 0) _persistDeadline = 0;
            }

            // Our FIN acknowledged?
            if (FinAcknowledged)
            {
                switch (State)
                {
                    case TcpState.FinWait1: State = TcpState.FinWait2; break;
                    case TcpState.Closing: State = TcpState.TimeWait; EnterTimeWait(); break;
                    case TcpState.LastAck: EnterClosed(0); return false;
                }
            }
            if (State == TcpState.TimeWait && segment.Has(TcpSegment.Fin))
            {
                _ackPending = true;   // the peer did not get our last ACK: again, and a full TIME_WAIT from now (RFC 793)
                EnterTimeWait();
            }
            return true;
        }

        // ---- congestion control (NewReno, RFC 5681 3 and RFC 6582) ----------------------------------------------

        private void OnNewAcknowledgment(uint acked)
        {
            uint mss = (uint)_peerMss;
            if (_inRecovery)
            {
                if (TcpSegment.AfterOrAt(_sendUnacknowledged, _recover))
                {
                    // Full acknowledgment: deflate to ssthresh (RFC 6582 3.2 step 3, option 1).
                    uint flight = _sendMaximum - _sendUnacknowledged;
                    uint deflated = (flight > mss ? flight : mss) + mss;
                    _congestionWindow = deflated < _slowStartThreshold ? deflated : _slowStartThreshold;
                    _inRecovery = false;
                    _sackedCount = 0;
                    return;
                }
                // Partial acknowledgment: the next hole is lost too; resend it now rather than wait for the timer.
                if (TcpSegment.Before(_retransmitNext, _sendUnacknowledged)) _retransmitNext = _sendUnacknowledged;
                RetransmitHole(true);
                _congestionWindow = _congestionWindow > acked ? _congestionWindow - acked : mss;
                if (acked >= mss) _congestionWindow += mss;
                return;
            }
            if (_congestionWindow < _slowStartThreshold)
                _congestionWindow += acked < mss ? acked : mss;   // slow start, one SMSS per ACK at most (RFC 5681 3.1)
            else
            {
                // Congestion avoidance: one SMSS per window's worth of acknowledged bytes.
                _bytesAckedInAvoidance += acked;
                if (_bytesAckedInAvoidance >= _congestionWindow)
                {
                    _bytesAckedInAvoidance -= _congestionWindow;
                    _congestionWindow += mss;
                }
            }
        }

        private void OnDuplicateAcknowledgment()
        {
            uint mss = (uint)_peerMss;
            _duplicateAcks++;
            if (_inRecovery)
            {
                _congestionWindow += mss;   // a segment left the network (RFC 5681 3.2 step 4)
                if (_sackedCount > 0) RetransmitHole(false);
                return;
            }
            // Three duplicates: fast retransmit and recovery, unless they echo a loss we already recovered from (RFC 6582 3.2 step 1).
            if (_duplicateAcks != 3 || TcpSegment.Before(_sendUnacknowledged, _recover)) return;
            EnterFastRecovery();
        }

        private void EnterFastRecovery()
        {
            uint mss = (uint)_peerMss;
            _slowStartThreshold = HalfFlight();
            _recover = _sendMaximum;
            _inRecovery = true;
            _retransmitNext = _sendUnacknowledged;
            Retransmissions++;
            RetransmitHole(true);
            _congestionWindow = _slowStartThreshold + 3 * mss;
        }

        // RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS).
        private uint HalfFlight()
        {
            uint flight = _sendMaximum - _sendUnacknowledged, floor = 2 * (uint)_peerMss;
            return flight / 2 > floor ? flight / 2 : floor;
        }

        // Resends one segment from the first byte at or after _retransmitNext that the peer has not SACKed. Without SACK
        // information only the oldest unacknowledged segment is known lost; with it, only holes below the highest SACKed
        // byte are (RFC 6675's IsLost reduced to "below a SACKed block").
        private void RetransmitHole(bool oldestAnyway)
        {
            uint sequence = TcpSegment.Before(_retransmitNext, _sendUnacknowledged) ? _sendUnacknowledged : _retransmitNext;
            for (int i = 0; i < _sackedCount; i++)
                if (TcpSegment.AfterOrAt(sequence, _sacked[2 * i]) && TcpSegment.Before(sequence, _sacked[2 * i + 1])) sequence = _sacked[2 * i + 1];
            uint limit = _sendNext;
            int k = 0;
            while (k < _sackedCount && TcpSegment.BeforeOrAt(_sacked[2 * k + 1], sequence)) k++;
            if (k < _sackedCount) limit = _sacked[2 * k];   // up to the next SACKed block
            else if (!(oldestAnyway && sequence == _sendUnacknowledged)) return;   // nothing above is known lost
            if (!TcpSegment.Before(sequence, limit)) return;
            int length = (int)(limit - sequence);
            if (length > _peerMss) length = _peerMss;
            int offset = (int)(sequence - _dataStart);
            if (offset < 0) return;
            int available = SendBuffer.Count - offset;
            if (length > available) length = available > 0 ? available : 0;
            byte flags = TcpSegment.Ack;
            if (_finSent && sequence + (uint)length == _finSequence && length == available) flags |= TcpSegment.Fin;
            if (length == 0 && (flags & TcpSegment.Fin) == 0) return;
            if (!TcpProtocol.SendSegment(this, sequence, flags, offset, length, false)) return;
            _timingRtt = false;   // Karn
            _retransmitNext = sequence + (uint)length + ((flags & TcpSegment.Fin) != 0 ? 1u : 0u);
            if (_retransmitDeadline == 0) _retransmitDeadline = Time.Clock.MonotonicNanoseconds + _rto;
        }

        // The peer's SACK blocks into the scoreboard: sorted, merged, only what lies between una and what we sent.
        private void TakeSackBlocks(ref TcpSegment segment)
        {
            for (int b = 0; b < segment.SackBlockCount; b++)
            {
                uint left = segment.SackBlocks[2 * b], right = segment.SackBlocks[2 * b + 1];
                if (!TcpSegment.After(right, left) || !TcpSegment.After(right, _sendUnacknowledged) || TcpSegment.After(right, _sendMaximum)) continue;
                if (TcpSegment.Before(left, _sendUnacknowledged)) left = _sendUnacknowledged;
                AddSacked(left, right);
            }
        }

        private void AddSacked(uint left, uint right)
        {
            // Merge with every overlapping or touching range, then insert in order (dropping the highest when full).
            int i = 0;
            while (i < _sackedCount)
            {
                uint l = _sacked[2 * i], r = _sacked[2 * i + 1];
                if (TcpSegment.After(l, right) || TcpSegment.Before(r, left)) { i++; continue; }
                if (TcpSegment.Before(l, left)) left = l;
                if (TcpSegment.After(r, right)) right = r;
                RemoveSacked(i);
            }
            int at = 0;
            while (at < _sackedCount && TcpSegment.Before(_sacked[2 * at], left)) at++;
            if (_sackedCount == ScoreboardRanges)
            {
                if (at == ScoreboardRanges) return;
                _sackedCount--;
            }
            for (int j = _sackedCount; j > at; j--)
            {
                _sacked[2 * j] = _sacked[2 * j - 2];
                _sacked[2 * j + 1] = _sacked[2 * j - 1];
            }
            _sacked[2 * at] = left;
            _sacked[2 * at + 1] = right;
            _sackedCount++;
        }

        private void RemoveSacked(int index)
        {
            for (int j = index; j + 1 < _sackedCount; j++)
            {
                _sacked[2 * j] = _sacked[2 * j + 2];
                _sacked[2 * j + 1] = _sacked[2 * j + 3];
            }
            _sackedCount--;
        }

        private void ForgetSackedBelow(uint ack)
        {
            while (_sackedCount > 0 && TcpSegment.BeforeOrAt(_sacked[1], ack)) RemoveSacked(0);
            if (_sackedCount > 0 && TcpSegment.Before(_sacked[0], ack)) _sacked[0] = ack;
        }

        private void InputSynSent(ref TcpSegment segment)
        {
            bool ackAcceptable = segment.Has(TcpSegment.Ack)
                && TcpSegment.After(segment.Acknowledgment, _iss) && TcpSegment.BeforeOrAt(segment.Acknowledgment, _sendMaximum);
            if (segment.Has(TcpSegment.Ack) && !ackAcceptable)
            {
                if (!segment.Has(TcpSegment.Rst)) TcpProtocol.SendReset(LocalAddress, LocalPort, RemoteAddress, RemotePort, segment.Acknowledgment, 0, false);
                return;
            }
            if (segment.Has(TcpSegment.Rst))
            {
                if (ackAcceptable) EnterClosed(-NetErrors.ECONNREFUSED);
                return;
            }
            if (!segment.Has(TcpSegment.Syn)) return;
            _irs = segment.Sequence;
            _receiveNext = segment.Sequence + 1;
            TakePeerMss(ref segment);
            _peerOfferedWindowScale = segment.WindowScale >= 0;
            _peerOfferedSack = segment.SackPermitted;
            TakeSynOptions(ref segment);
            if (ackAcceptable)
            {
                _sendUnacknowledged = segment.Acknowledgment;
                _sendWindow = segment.Window;
                _windowUpdateSequence = segment.Sequence;
                _windowUpdateAcknowledgment = segment.Acknowledgment;
                _retransmitDeadline = 0;
                _retries = 0;
                State = TcpState.Established;
                _ackPending = true;
                Notify();
                Output();
            }
            else
            {
                // Simultaneous open.
                State = TcpState.SynReceived;
                _sendWindow = segment.Window;
                TcpProtocol.SendSegment(this, _iss, TcpSegment.Syn | TcpSegment.Ack, 0, 0, true);
            }
        }

        // ---- output -------------------------------------------------------------------------------------------

        /// <summary>Sends what the window allows of the send buffer (then the FIN), or a pending ACK.</summary>
        internal void Output()
        {
            bool sent = false;
            if (State == TcpState.Established || State == TcpState.CloseWait || State == TcpState.FinWait1
                || State == TcpState.Closing || State == TcpState.LastAck)
            {
                int mss = _peerMss;
                while (!_finSent)
                {
                    int inFlight = (int)(_sendNext - _dataStart);
                    int unsent = SendBuffer.Count - inFlight;
                    uint window = _sendWindow < _congestionWindow ? _sendWindow : _congestionWindow;
                    int usable = (int)(_sendUnacknowledged + window - _sendNext);
                    if (usable < 0) usable = 0;
                    int n = unsent < usable ? unsent : usable;
                    if (n > mss) n = mss;
                    bool fin = _finQueued && n == unsent;
                    // Nagle (RFC 896, RFC 1122 4.2.3.4): less than a segment waits while data is unacknowledged, so
                    // small writes coalesce; TCP_NODELAY and a closing stream send it now.
                    if (n > 0 && n < mss && !fin && !NoDelay && _sendNext != _sendUnacknowledged) break;
                    if (n == 0 && !fin)
                    {
                        // Data waits for a window: probe the shut window on a timer.
                        if (unsent > 0 && _sendWindow == 0 && _retransmitDeadline == 0 && _persistDeadline == 0 && !_finSent)
                            _persistDeadline = Time.Clock.MonotonicNanoseconds + _rto;
                        break;
                    }
                    byte flags = TcpSegment.Ack;
                    if (n > 0 && n == unsent) flags |= TcpSegment.Psh;
                    if (fin) flags |= TcpSegment.Fin;
                    if (!TcpProtocol.SendSegment(this, _sendNext, flags, inFlight, n, false)) break;   // no packet: the poll retries
                    sent = true;
                    if (!_timingRtt && n > 0 && _sendNext == _sendMaximum)
                    {
                        _timingRtt = true;
                        _rttSequence = _sendNext + (uint)n;
                        _rttStart = Time.Clock.MonotonicNanoseconds;
                    }
                    _sendNext += (uint)n;
                    if (fin)
                    {
                        _finSent = true;
                        _finSequence = _sendNext;
                        _sendNext++;
                    }
                    if (TcpSegment.After(_sendNext, _sendMaximum)) _sendMaximum = _sendNext;
                    if (_retransmitDeadline == 0) _retransmitDeadline = Time.Clock.MonotonicNanoseconds + _rto;
                }
            }
            if (_ackPending && !sent) SendAck();
        }

        private void SendAck()
        {
            if (State == TcpState.Closed || State == TcpState.SynSent || State == TcpState.Listen) return;
            if (TcpProtocol.SendSegment(this, _sendNext, TcpSegment.Ack, 0, 0, false)) _ackPending = false;
        }

        /// <summary>Called by TcpProtocol.SendSegment for every segment it built: the ACK and window it carries.</summary>
        internal uint AcknowledgmentToSend(out ushort window, bool syn)
        {
            int w = AdvertisableWindow();
            // A SYN's window is never scaled (RFC 7323 2.2); later ones are, rounded down to what the field can say.
            int shift = syn ? 0 : _receiveShift;
            int field = w >> shift;
            if (field > MaximumWindow) field = MaximumWindow;
            _lastAdvertisedWindow = field << shift;
            _ackPending = false;
            _delayedAckDeadline = 0;
            _bytesSinceAck = 0;
            SegmentsSent++;
            window = (ushort)field;
            return _receiveNext;
        }

        private int AdvertisableWindow()
        {
            int free = ReceiveBuffer.Free;
            int maximum = MaximumWindow << _receiveShift;
            return free > maximum ? maximum : free;
        }

        // ---- timers -------------------------------------------------------------------------------------------

        /// <summary>Retransmission, zero-window probe and TIME_WAIT timers; any pending output. Called by TcpProtocol's poll.</summary>
        internal void Tick(ulong now)
        {
            SendBuffer.ReleaseIfIdle(now, RingIdleNanoseconds);
            ReceiveBuffer.ReleaseIfIdle(now, RingIdleNanoseconds);
            if (_timeWaitDeadline != 0 && now >= _timeWaitDeadline)
            {
                EnterClosed(0);
                return;
            }
            if (_delayedAckDeadline != 0 && now >= _delayedAckDeadline) _ackPending = true;
            if (KeepAlive && !KeepAliveTick(now)) return;
            if (_retransmitDeadline != 0 && now >= _retransmitDeadline) OnRetransmitTimeout(now);
            else if (_persistDeadline != 0 && now >= _persistDeadline)
            {
                // Zero-window probe: an old sequence number makes the peer answer with its current window.
                TcpProtocol.SendSegment(this, _sendUnacknowledged - 1, TcpSegment.Ack, 0, 0, false);
                _rto = _rto * 2 > MaximumRto ? MaximumRto : _rto * 2;
                _persistDeadline = now + _rto;
            }
            if (State != TcpState.Closed) Output();
        }

        // Linux's keep-alive: after KeepIdle seconds without a segment from the peer, a probe every KeepInterval seconds
        // (an ACK one byte before what the peer has acknowledged, which it must answer); KeepCount unanswered probes
        // reset the connection with ETIMEDOUT. Only while nothing is outstanding -- the retransmission timer covers that.
        private bool KeepAliveTick(ulong now)
        {
            if (!(State == TcpState.Established || State == TcpState.CloseWait || State == TcpState.FinWait2)) return true;
            if (_sendUnacknowledged != _sendMaximum || _persistDeadline != 0) return true;
            ulong due = _lastReceived + (ulong)KeepIdle * 1_000_000_000 + (ulong)_keepAliveProbes * (ulong)KeepInterval * 1_000_000_000;
            if (now < due) return true;
            if (_keepAliveProbes >= KeepCount)
            {
                Abort(-NetErrors.ETIMEDOUT);
                return false;
            }
            _keepAliveProbes++;
            TcpProtocol.SendSegment(this, _sendUnacknowledged - 1, TcpSegment.Ack, 0, 0, false);
            return true;
        }

        private void OnRetransmitTimeout(ulong now)
        {
            _retries++;
            int limit = State == TcpState.SynSent || State == TcpState.SynReceived ? MaximumSynRetries : MaximumRetries;
            if (_retries > limit)
            {
                Abort(-NetErrors.ETIMEDOUT);
                return;
            }
            Retransmissions++;
            _rto = _rto * 2 > MaximumRto ? MaximumRto : _rto * 2;
            _timingRtt = false;   // Karn: no samples from retransmitted data
            _retransmitDeadline = 0;
            if (State != TcpState.SynSent && State != TcpState.SynReceived)
            {
                // RFC 5681 3.1 (4)/(5): a timeout means the window was far too large -- one segment, slow start again
                // (only the first timeout of a series halves ssthresh; later ones would halve a loss window);
                // the scoreboard is forgotten, as the peer may have dropped what it SACKed (RFC 2018 8).
                if (_retries == 1) _slowStartThreshold = HalfFlight();
                _congestionWindow = (uint)_peerMss;
                _bytesAckedInAvoidance = 0;
                _inRecovery = false;
                _recover = _sendMaximum;
                _sackedCount = 0;
            }
            if (State == TcpState.SynSent) { SendSyn(false); return; }
            if (State == TcpState.SynReceived)
            {
                TcpProtocol.SendSegment(this, _iss, TcpSegment.Syn | TcpSegment.Ack, 0, 0, true);
                _retransmitDeadline = now + _rto;
                return;
            }
            GoBack();
            if (_retransmitDeadline == 0 && _sendUnacknowledged != _sendMaximum) _retransmitDeadline = now + _rto;
        }

        // Go-back-N: resend from the oldest unacknowledged byte (the FIN too, if it was sent).
        private void GoBack()
        {
            _sendNext = _sendUnacknowledged;
            if (_finSent && TcpSegment.BeforeOrAt(_sendUnacknowledged, _finSequence)) _finSent = false;
            _duplicateAcks = 0;
            _retransmitDeadline = 0;
            Output();   // with the window shut this arms the zero-window probe instead
        }

        // RFC 6298 2.2-2.4, in nanoseconds.
        private void UpdateRtt(ulong sample)
        {
            if (!_rttValid)
            {
                _smoothedRtt = sample;
                _rttVariance = sample / 2;
                _rttValid = true;
            }
            else
            {
                ulong difference = _smoothedRtt > sample ? _smoothedRtt - sample : sample - _smoothedRtt;
                _rttVariance = (3 * _rttVariance + difference) / 4;
                _smoothedRtt = (7 * _smoothedRtt + sample) / 8;
            }
            ulong rto = _smoothedRtt + (4 * _rttVariance > Scheduler.TickNanoseconds ? 4 * _rttVariance : Scheduler.TickNanoseconds);
            _rto = rto < MinimumRto ? MinimumRto : rto > MaximumRto ? MaximumRto : rto;
        }

        private void EnterTimeWait()
        {
            _retransmitDeadline = 0;
            _persistDeadline = 0;
            _delayedAckDeadline = 0;
            _timeWaitDeadline = Time.Clock.MonotonicNanoseconds + TimeWaitNanoseconds;
            ShrinkBuffers();
        }

        /// <summary>
        /// A SYN for this pair while it is in TIME_WAIT: true (and this connection closed) when the SYN may open a new one --
        /// its sequence number lies beyond everything of the old one (RFC 1122 4.2.2.13; RFC 6191 without timestamps).
        /// </summary>
        internal bool YieldsToNewSyn(ref TcpSegment segment)
        {
            if (State != TcpState.TimeWait || !segment.Has(TcpSegment.Syn) || segment.Has(TcpSegment.Ack) || segment.Has(TcpSegment.Rst)
                || !TcpSegment.After(segment.Sequence, _receiveNext))
                return false;
            EnterClosed(0);
            return true;
        }

        /// <summary>Ends TIME_WAIT early (TcpProtocol needs the object for a new connection).</summary>
        internal void EndTimeWait()
        {
            if (State == TcpState.TimeWait) EnterClosed(0);
        }

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
