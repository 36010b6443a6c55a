using Kernel.Threads;

namespace Kernel.Net
{
    // One TCP connection (a TCB, RFC 793 3.2) and its state machine, in the spirit of lwIP's tcp_in/tcp_out
    // reduced to what a server needs:
    // - handshakes both ways (passive from a TcpListener, active from Connect), MSS option, no window scaling
    //   (windows up to 64 KiB), no SACK, no timestamps;
    // - data both ways through two rings: ReceiveBuffer holds in-order bytes the app has not read (the
    //   advertised window is its free space), SendBuffer holds the app's bytes from the oldest unacknowledged
    //   one, so retransmissions come from it. Segments that arrive out of order (inside the window) are kept
    //   as they came, in their packets, sorted by sequence number (lwIP's ooseq queue), answered with a
    //   duplicate ACK, and taken in once the gap is filled;
    // - retransmission on a timer (RFC 6298 estimator, 200 ms floor, exponential backoff, go-back-N), fast
    //   retransmit after three duplicate ACKs, zero-window probes while the peer's window is shut;
    // - FIN/close both ways (half close), RST both ways, TIME_WAIT shortened to two seconds (the kernel
    //   reuses ports rarely and the peers are a VMM's NAT).
    // Interrupts are off in the kernel, so there is no locking: Tcp's poll, the app's system calls and the
    // self-tests all run to completion. A connection has two owners -- the protocol (until it reaches
    // Closed) and the app (until it closes its socket) -- and goes back to Tcp's pool when both let go.
    internal sealed unsafe class TcpConnection
    {
        public const int BufferSize = 65536;
        public const int MaximumWindow = 65535;
        public const int OurMss = Ipv4.MaximumPayload - Tcp.HeaderSize;   // 1460
        private const ulong InitialRto = 1_000_000_000, MinimumRto = 200_000_000, MaximumRto = 60_000_000_000;
        private const ulong TimeWaitNanoseconds = 2_000_000_000;
        private const int MaximumRetries = 10, MaximumSynRetries = 5;

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

        // Receive sequence space.
        private uint _irs, _receiveNext;
        private int _lastAdvertisedWindow;
        private bool _finReceived;
        private bool _ackPending;
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
        internal TcpConnection NextInQueue;   // listener's accept queue / Tcp's pool
        internal TcpConnection NextActive;    // Tcp's connection list
        internal bool Active;                 // in Tcp's list
        /// <summary>The app still has it (a socket, or a listener's queue that may hand it out).</summary>
        public bool HeldByApp;
        public bool NoDelay;

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
            _iss = Tcp.InitialSequenceNumber();
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
            _irs = _receiveNext = 0;
            _lastAdvertisedWindow = 0;
            _finReceived = false;
            _ackPending = false;
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
            NoDelay = false;
            Owner = null;
            Retransmissions = SegmentsSent = SegmentsReceived = 0;
        }

        public bool FinReceived => _finReceived;
        public ulong RetransmissionTimeout => _rto;
        public ulong SmoothedRtt => _smoothedRtt;

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
                // Window update: tell the peer when reading opened the window by a useful amount.
                int window = AdvertisableWindow();
                if (State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2)
                    if (window - _lastAdvertisedWindow >= 2 * OurMss || (_lastAdvertisedWindow < OurMss && window >= OurMss)) SendAck();
                return n;
            }
            if (_finReceived) return 0;
            if (Error != 0) return Error;
            if (State == TcpState.Closed) return 0;
            return -Syscalls.Errno.EAGAIN;   // nothing yet (or still connecting)
        }

        /// <summary>Bytes taken into the send buffer (sent as the window allows), or -EAGAIN (full), -EPIPE (closed for sending), the error.</summary>
        public long Send(byte* source, int length)
        {
            if (Error != 0) return Error;
            if (State == TcpState.SynSent || State == TcpState.SynReceived) return -Syscalls.Errno.EAGAIN;
            if (_finQueued || !(State == TcpState.Established || State == TcpState.CloseWait)) return -Syscalls.Errno.EPIPE;
            if (SendBuffer.Free == 0) return -Syscalls.Errno.EAGAIN;
            int n = SendBuffer.Write(source, length);
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
            Tcp.ReleaseIfDone(this);
        }

        /// <summary>Sends a RST (when synchronized) and drops the connection with <paramref name="error"/> for the app.</summary>
        public void Abort(long error)
        {
            if (State == TcpState.SynReceived || State == TcpState.Established || State == TcpState.FinWait1
                || State == TcpState.FinWait2 || State == TcpState.CloseWait || State == TcpState.Closing || State == TcpState.LastAck)
                Tcp.SendSegment(this, _sendNext, TcpSegment.Rst | TcpSegment.Ack, 0, 0, false);
            EnterClosed(error);
        }

        /// <summary>Readiness for poll/epoll (Files.PollBits values).</summary>
        public uint Poll()
        {
            uint bits = 0;
            if (ReceiveBuffer.Count > 0 || _finReceived || Error != 0) bits |= Files.PollBits.Readable;
            if ((State == TcpState.Established || State == TcpState.CloseWait) && !_finQueued && SendBuffer.Free > 0) bits |= Files.PollBits.Writable;
            if (_finReceived) bits |= Files.PollBits.ReadHangUp;
            if (Error != 0) bits |= Files.PollBits.Error;
            if (State == TcpState.Closed || (_finReceived && _finQueued)) bits |= Files.PollBits.HangUp;
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
            _sendWindow = syn.Window;
            _windowUpdateSequence = syn.Sequence;
            SendSyn(true);
        }

        private void SendSyn(bool withAck)
        {
            _sendNext = _iss + 1;
            if (TcpSegment.After(_sendNext, _sendMaximum)) _sendMaximum = _sendNext;
            Tcp.SendSegment(this, _iss, withAck ? (byte)(TcpSegment.Syn | TcpSegment.Ack) : TcpSegment.Syn, 0, 0, true);
            _retransmitDeadline = Time.Clock.MonotonicNanoseconds + _rto;
        }

        private void TakePeerMss(ref TcpSegment segment)
        {
            int mss = segment.MaximumSegmentSize != 0 ? segment.MaximumSegmentSize : 536;
            _peerMss = mss < OurMss ? mss : OurMss;
            if (_peerMss < 64) _peerMss = 64;
        }

        // ---- input --------------------------------------------------------------------------------------------

        /// <summary>
        /// Processes a segment for this connection (RFC 793 3.9, "SEGMENT ARRIVES"). True when the connection kept
        /// <paramref name="packet"/> (out-of-order data); else the caller frees it.
        /// </summary>
        internal bool Input(ref TcpSegment segment, Packet packet)
        {
            SegmentsReceived++;
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
                SendAck();
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
                    Tcp.SendSegment(this, _iss, TcpSegment.Syn | TcpSegment.Ack, 0, 0, true);
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
                    Tcp.SendReset(LocalAddress, LocalPort, RemoteAddress, RemotePort, segment.Acknowledgment, 0, false);
                    return false;
                }
                State = TcpState.Established;
                _windowUpdateSequence = segment.Sequence - 1;   // let the window below be taken
                Tcp.Established(this);
            }
            if (!ProcessAcknowledgment(ref segment)) return false;

            // 5. Data.
            bool canReceive = State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2;
            uint sequence = segment.Sequence;
            if (segment.DataLength > 0 && canReceive)
            {
                TakeData(sequence, segment.Data, segment.DataLength);
                _ackPending = true;
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
            int n = ReceiveBuffer.Write(data + skip, length - skip);
            _receiveNext += (uint)n;
            if (n > 0) Notify();
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
            if (TcpSegment.After(ack, _sendMaximum))
            {
                SendAck();   // acknowledges something we never sent
                return false;
            }
            ulong now = Time.Clock.MonotonicNanoseconds;
            if (TcpSegment.After(ack, _sendUnacknowledged))
            {
                if (TcpSegment.After(ack, _dataStart))
                {
                    int acked = (int)(ack - _dataStart);
                    if (acked > SendBuffer.Count) acked = SendBuffer.Count;
                    SendBuffer.Discard(acked);
                    _dataStart += (uint)acked;
                }
                _sendUnacknowledged = ack;
                if (TcpSegment.Before(_sendNext, ack)) _sendNext = ack;
                if (_timingRtt && TcpSegment.AfterOrAt(ack, _rttSequence))
                {
                    UpdateRtt(now - _rttStart);
                    _timingRtt = false;
                }
                _retries = 0;
                _duplicateAcks = 0;
                _retransmitDeadline = _sendUnacknowledged == _sendMaximum ? 0 : now + _rto;
                Notify();   // room in the send buffer
            }
            else if (ack == _sendUnacknowledged && segment.DataLength == 0 && segment.Window == _sendWindow
                     && _sendUnacknowledged != _sendMaximum && !segment.Has(TcpSegment.Fin))
            {
                // Duplicate ACK: the third one means a segment was lost; resend from the oldest.
                if (++_duplicateAcks == 3)
                {
                    Retransmissions++;
                    GoBack();
                }
            }

            if (TcpSegment.Before(_windowUpdateSequence, segment.Sequence)
                || (_windowUpdateSequence == segment.Sequence && TcpSegment.BeforeOrAt(_windowUpdateAcknowledgment, ack)))
            {
                _sendWindow = segment.Window;
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
            if (State == TcpState.TimeWait && segment.Has(TcpSegment.Fin)) _ackPending = true;
            return true;
        }

        private void InputSynSent(ref TcpSegment segment)
        {
            bool ackAcceptable = segment.Has(TcpSegment.Ack)
                && TcpSegment.After(segment.Acknowledgment, _iss) && TcpSegment.BeforeOrAt(segment.Acknowledgment, _sendMaximum);
            if (segment.Has(TcpSegment.Ack) && !ackAcceptable)
            {
                if (!segment.Has(TcpSegment.Rst)) Tcp.SendReset(LocalAddress, LocalPort, RemoteAddress, RemotePort, segment.Acknowledgment, 0, false);
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
                Tcp.SendSegment(this, _iss, TcpSegment.Syn | TcpSegment.Ack, 0, 0, true);
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
                    int usable = (int)(_sendUnacknowledged + _sendWindow - _sendNext);
                    if (usable < 0) usable = 0;
                    int n = unsent < usable ? unsent : usable;
                    if (n > mss) n = mss;
                    bool fin = _finQueued && n == unsent;
                    if (n == 0 && !fin)
                    {
                        // Data waits for a window: probe the shut window on a timer.
                        if (unsent > 0 && _sendWindow == 0 && _retransmitDeadline == 0 && _persistDeadline == 0)
                            _persistDeadline = Time.Clock.MonotonicNanoseconds + _rto;
                        break;
                    }
                    byte flags = TcpSegment.Ack;
                    if (n > 0 && n == unsent) flags |= TcpSegment.Psh;
                    if (fin) flags |= TcpSegment.Fin;
                    if (!Tcp.SendSegment(this, _sendNext, flags, inFlight, n, false)) break;   // no packet: the poll retries
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
            if (Tcp.SendSegment(this, _sendNext, TcpSegment.Ack, 0, 0, false)) _ackPending = false;
        }

        /// <summary>Called by Tcp.SendSegment for every segment it built: the ACK and window it carries.</summary>
        internal uint AcknowledgmentToSend(out ushort window)
        {
            int w = AdvertisableWindow();
            _lastAdvertisedWindow = w;
            _ackPending = false;
            SegmentsSent++;
            window = (ushort)w;
            return _receiveNext;
        }

        private int AdvertisableWindow()
        {
            int free = ReceiveBuffer.Free;
            return free > MaximumWindow ? MaximumWindow : free;
        }

        // ---- timers -------------------------------------------------------------------------------------------

        /// <summary>Retransmission, zero-window probe and TIME_WAIT timers; any pending output. Called by Tcp's poll.</summary>
        internal void Tick(ulong now)
        {
            if (_timeWaitDeadline != 0 && now >= _timeWaitDeadline)
            {
                EnterClosed(0);
                return;
            }
            if (_retransmitDeadline != 0 && now >= _retransmitDeadline) OnRetransmitTimeout(now);
            else if (_persistDeadline != 0 && now >= _persistDeadline)
            {
                // Zero-window probe: an old sequence number makes the peer answer with its current window.
                Tcp.SendSegment(this, _sendUnacknowledged - 1, TcpSegment.Ack, 0, 0, false);
                _rto = _rto * 2 > MaximumRto ? MaximumRto : _rto * 2;
                _persistDeadline = now + _rto;
            }
            if (State != TcpState.Closed) Output();
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
            if (State == TcpState.SynSent) { SendSyn(false); return; }
            if (State == TcpState.SynReceived)
            {
                Tcp.SendSegment(this, _iss, TcpSegment.Syn | TcpSegment.Ack, 0, 0, true);
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
            _timeWaitDeadline = Time.Clock.MonotonicNanoseconds + TimeWaitNanoseconds;
        }

        private void EnterClosed(long error)
        {
            if (error != 0 && Error == 0) Error = error;
            State = TcpState.Closed;
            _retransmitDeadline = _persistDeadline = _timeWaitDeadline = 0;
            DropOutOfOrder();
            Notify();
            Tcp.Closed(this);
        }

        internal void Notify()
        {
            Waiters.WakeAll();
            Files.FileEvents.Changed(Owner);
        }
    }
}
