using Kernel.Memory;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Kernel.Logs
{
    // Ships records as RFC 5424 messages (SyslogFormat) to a syslog collector:
    // - udp:// (RFC 5426): one message per datagram, cut to fit one unfragmented datagram. UDP says nothing about
    //   delivery, so while the collector is down its lines are lost -- the transport's nature, not the buffer's; use
    //   tcp:// where that matters.
    // - tcp:// (RFC 6587 3.4.1, octet counting: "LEN SP MSG"). TCP's acknowledgment only says the collector's host has
    //   the bytes, not that the collector read them: a collector that stops (or is restarted) drops what sat unread in
    //   its socket, and a NAT in between (QEMU's user networking) acknowledges before the collector even sees the bytes.
    //   RFC 6587 has no application-level acknowledgment (RELP adds one). So a record stays in the buffer for
    //   ResendWindow after TCP acknowledged it (unless the buffer needs the room first), and when the connection fails or the collector hangs up, everything from
    //   the oldest such record on is sent again, in order, on the next connection: nothing is lost, and the lines sent
    //   twice carry the same meta sequenceId (SyslogFormat), so they can be told apart.
    internal sealed unsafe class SyslogSink
    {
        public const ulong ResendWindow = 2_000_000_000;
        private const int ScratchSize = 600 + LogTap.MaxLine;
        private const int InFlightLimit = 4096;   // records handed to TCP, acknowledged within ResendWindow or not yet
        private const int DatagramsPerPump = 64;  // leaves packets in the pool for the app

        private readonly LogTarget _target;
        private readonly bool _tcp;
        private readonly CollectorConnection _connection;
        private readonly UdpSocket _udp;
        private readonly byte* _scratch;
        private ulong _settled;            // every record before this position is delivered for good
        private ulong _acknowledged;       // every record before this position is acknowledged by TCP
        private ulong _sendFrom;           // the next record to hand to TCP
        public ulong Shipped, Resent;

        // Records handed to TCP, oldest first: the connection's byte count after each, the buffer position after it, and
        // when TCP acknowledged it (0: not yet).
        private readonly ulong* _inFlightBytes, _inFlightEnd, _inFlightAcknowledgedAt;
        private int _inFlightHead, _inFlightCount, _inFlightAcknowledged;
        private ulong _handedBytes;
        private int _pendingLength, _pendingOffset;
        private ulong _pendingEnd;

        public SyslogSink(LogTarget target, string label)
        {
            _target = target;
            _tcp = target.Scheme == LogTarget.Tcp;
            _connection = _tcp ? new CollectorConnection(label, target) : null;
            _udp = _tcp ? null : new UdpSocket();
            _scratch = (byte*)KernelMemory.AllocateZeroed(ScratchSize);
            _inFlightBytes = (ulong*)KernelMemory.AllocateZeroed(InFlightLimit * 8);
            _inFlightEnd = (ulong*)KernelMemory.AllocateZeroed(InFlightLimit * 8);
            _inFlightAcknowledgedAt = (ulong*)KernelMemory.AllocateZeroed(InFlightLimit * 8);
        }

        public bool IsValid => _scratch != null && _inFlightBytes != null && _inFlightEnd != null && _inFlightAcknowledgedAt != null;

        /// <summary>The oldest record this sink may still send (again).</summary>
        public ulong Oldest => _settled;
        /// <summary>The oldest record not yet acknowledged: what must not be discarded.</summary>
        public ulong Needed => _acknowledged;

        /// <summary>The buffer needed the room: acknowledged records before <paramref name="position"/> will not be sent again.</summary>
        public void Forget(ulong position)
        {
            while (_inFlightAcknowledged > 0 && _inFlightEnd[_inFlightHead] <= position)
            {
                _settled = _inFlightEnd[_inFlightHead];
                _inFlightHead = (_inFlightHead + 1) % InFlightLimit;
                _inFlightCount--;
                _inFlightAcknowledged--;
            }
            if (_settled < position) _settled = position;
        }

        /// <summary>Everything is acknowledged (at shutdown nothing comes after, so the resend window does not matter).</summary>
        public bool Done => _acknowledged == LogBuffer.End;

        public void Pump(ulong now)
        {
            if (_tcp) PumpTcp(now); else PumpUdp();
        }

        private void PumpUdp()
        {
            IpAddress destination = _target.Address;
            int capacity = Ip.MaximumPayload(destination) - Udp.HeaderSize;
            for (int i = 0; i < DatagramsPerPump && _settled < LogBuffer.End; i++)
            {
                int length = SyslogFormat.Write(_scratch, capacity, LogBuffer.At(_settled));
                if (Udp.Send(_udp, destination, _target.Port, _scratch, length) < 0) return;   // no packet now: next poll
                _settled = _acknowledged = LogBuffer.Next(_settled);
                Shipped++;
            }
        }

        private void PumpTcp(ulong now)
        {
            // Acknowledgments first, also those that came just before a reset (the ring outlives the connection's end
            // while we hold it).
            if (_connection.Tcp != null) CountAcknowledged(_connection.Tcp, now);
            Settle(now);
            TcpConnection c = _connection.Ready(now);
            if (c == null) { Rewind(); return; }
            if (c.Error != 0 || c.FinReceived)
            {
                // A collector never half-closes on purpose: a FIN means it is going away. Reconnect and resend.
                _connection.Fail(now, c.Error);
                Rewind();
                return;
            }
            while (true)
            {
                if (_pendingLength == 0)
                {
                    if (_sendFrom >= LogBuffer.End || _inFlightCount == InFlightLimit) return;
                    Frame(_sendFrom);
                    _pendingEnd = LogBuffer.Next(_sendFrom);
                    _sendFrom = _pendingEnd;
                }
                long sent = c.Send(_scratch + _pendingOffset, _pendingLength - _pendingOffset);
                if (sent <= 0) return;   // the send ring is full: the rest after the next acknowledgment
                _pendingOffset += (int)sent;
                _handedBytes += (ulong)sent;
                if (_pendingOffset < _pendingLength) return;
                int slot = (_inFlightHead + _inFlightCount) % InFlightLimit;
                _inFlightBytes[slot] = _handedBytes;
                _inFlightEnd[slot] = _pendingEnd;
                _inFlightAcknowledgedAt[slot] = 0;
                _inFlightCount++;
                _pendingLength = _pendingOffset = 0;
            }
        }

        // "LEN SP MSG" (RFC 6587 3.4.1) into the scratch.
        private void Frame(ulong position)
        {
            byte* message = _scratch + 8;
            int length = SyslogFormat.Write(message, ScratchSize - 8, LogBuffer.At(position));
            byte* digits = stackalloc byte[8];
            int count = LogBuffer.Decimal(digits, 0, (ulong)length);
            digits[count++] = (byte)' ';
            int start = 8 - count;
            for (int i = 0; i < count; i++) _scratch[start + i] = digits[i];
            if (start > 0) for (int i = 0; i < count + length; i++) _scratch[i] = _scratch[start + i];
            _pendingLength = count + length;
            _pendingOffset = 0;
        }

        // Bytes the peer acknowledged = bytes handed to TCP minus what its send ring still holds.
        private void CountAcknowledged(TcpConnection c, ulong now)
        {
            ulong acknowledgedBytes = _handedBytes - (ulong)c.SendBuffer.Count;
            while (_inFlightAcknowledged < _inFlightCount)
            {
                int slot = (_inFlightHead + _inFlightAcknowledged) % InFlightLimit;
                if (_inFlightBytes[slot] > acknowledgedBytes) break;
                _inFlightAcknowledgedAt[slot] = now;
                _acknowledged = _inFlightEnd[slot];
                _inFlightAcknowledged++;
                Shipped++;
            }
        }

        // Records acknowledged longer than ResendWindow ago are delivered for good (sooner when the ring is full).
        private void Settle(ulong now)
        {
            while (_inFlightAcknowledged > 0)
            {
                ulong at = _inFlightAcknowledgedAt[_inFlightHead];
                if (now - at < ResendWindow && _inFlightCount < InFlightLimit) return;
                _settled = _inFlightEnd[_inFlightHead];
                _inFlightHead = (_inFlightHead + 1) % InFlightLimit;
                _inFlightCount--;
                _inFlightAcknowledged--;
            }
        }

        // Everything not settled goes again, in order, on the next connection.
        private void Rewind()
        {
            for (ulong p = _settled; p < _acknowledged; p = LogBuffer.Next(p)) { Resent++; Shipped--; }
            _sendFrom = _settled;
            _acknowledged = _settled;
            _inFlightHead = _inFlightCount = _inFlightAcknowledged = 0;
            _handedBytes = 0;
            _pendingLength = _pendingOffset = 0;
        }
    }
}
