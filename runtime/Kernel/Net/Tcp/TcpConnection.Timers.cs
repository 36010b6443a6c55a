using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Net.Tcp
{
    // The connection's timers, driven by TcpProtocol's poll through Tick (monotonic ns deadlines, 0 = off): retransmission
    // (RFC 6298 estimator, exponential backoff, go-back-N), zero-window probes (persist), keep-alive probes, the delayed
    // ACK, and TIME_WAIT (2 MSL), which a new SYN beyond the old sequence space may end early.
    internal sealed unsafe partial class TcpConnection
    {
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
                Abort(-Errno.ETIMEDOUT);
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
                Abort(-Errno.ETIMEDOUT);
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
    }
}
