namespace Kernel.Net.Tcp
{
    // Congestion control, NewReno (RFC 5681, RFC 6582): slow start and congestion avoidance on new acknowledgments; fast
    // retransmit after three duplicate ACKs and fast recovery, resending the holes the SACK scoreboard shows, or without
    // SACK the one each partial ACK reveals. A retransmission timeout's collapse of the window is in TcpConnection.Timers.cs.
    internal sealed unsafe partial class TcpConnection
    {
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
    }
}
