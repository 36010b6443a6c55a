namespace Kernel.Net.Tcp
{
    // What the peer acknowledged (RFC 793 3.9, step five): the ACK field frees the send buffer, ends a round-trip sample,
    // restarts the retransmission timer and moves the closing states on once our FIN is acknowledged; the window field
    // updates the send window. SACK blocks (RFC 2018) go into a small scoreboard that fast recovery
    // (TcpConnection.Congestion.cs) resends around.
    internal sealed unsafe partial class TcpConnection
    {
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
    }
}
