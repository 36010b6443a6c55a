namespace Kernel.Net.Tcp
{
    // Output and options (lwIP's tcp_out): what this connection puts on the wire. Output sends what the peer's window and
    // the congestion window allow of the send buffer, holding a small segment back while data is in flight (Nagle, RFC 896)
    // unless NoDelay, then the FIN; every segment takes its ACK and window from AcknowledgmentToSend. WriteOptions writes
    // the TCP options: MSS, SACK-permitted and window scale on SYNs, SACK blocks on the ACKs sent while data waits out of
    // order. TcpProtocol.SendSegment builds the segment around them.
    internal sealed unsafe partial class TcpConnection
    {
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
                NetBytes.Write16(options + n, (ushort)Mss);
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
    }
}
