using Kernel.LinuxAbi;

namespace Kernel.Net.Tcp
{
    // Input and reassembly (lwIP's tcp_in): a segment for this connection, checked in RFC 793's order -- acceptability,
    // RST, SYN, ACK, data, FIN -- with RFC 5961's rules against blind resets. In-order data goes to the receive buffer and
    // is acknowledged at once or after a delay; data beyond a gap waits in the out-of-order queue, in its packets, until
    // the gap fills. The ACK field is handled in TcpConnection.Acknowledgment.cs.
    internal sealed unsafe partial class TcpConnection
    {
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
                    EnterClosed(State == TcpState.SynReceived ? -Errno.ECONNREFUSED : -Errno.ECONNRESET);
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
            if (length > _receiveMssEstimate) _receiveMssEstimate = length > Mss ? Mss : length;
            _bytesSinceAck += length;
            if (_bytesSinceAck >= 2 * _receiveMssEstimate) _ackPending = true;
            else if (_delayedAckDeadline == 0) _delayedAckDeadline = Time.Clock.MonotonicNanoseconds + DelayedAckNanoseconds;
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
                if (ackAcceptable) EnterClosed(-Errno.ECONNREFUSED);
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
    }
}
