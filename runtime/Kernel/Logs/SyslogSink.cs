using Kernel.Memory;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Kernel.Logs
{
    // Ships records as RFC 5424 messages (SyslogFormat) to a syslog collector:
    // - udp:// (RFC 5426): one message per datagram, cut to fit one unfragmented datagram. UDP says nothing about
    //   delivery, so while the collector is down its lines are lost -- the transport's nature, not the buffer's; use
    //   tcp:// where that matters.
    // - tcp:// (RFC 6587 3.4.1, octet counting: "LEN SP MSG"). A record leaves the buffer only once TCP has the
    //   collector's acknowledgment for its last byte; when the connection fails or the collector hangs up, everything
    //   after the last acknowledged record is sent again on the next connection, so nothing acknowledged is lost and the
    //   order is kept. (What a collector acknowledged but never processed, e.g. read but unwritten when it was killed,
    //   is beyond what syslog over TCP can know: RFC 6587 has no application-level acknowledgment; RELP adds one.)
    internal sealed unsafe class SyslogSink
    {
        private const int ScratchSize = 512 + LogTap.MaxLine + 16;
        private const int InFlightLimit = 1024;   // records handed to TCP and not yet acknowledged
        private const int DatagramsPerPump = 64;  // leaves packets in the pool for the app

        private readonly LogTarget _target;
        private readonly bool _tcp;
        private readonly CollectorConnection _connection;
        private readonly UdpSocket _udp;
        private readonly byte* _scratch;
        private ulong _acknowledged;       // every record before this position is delivered
        private ulong _sendFrom;           // the next record to hand to TCP
        public ulong Shipped;

        // Records handed to TCP: the connection's byte count after each and the buffer position after it.
        private readonly ulong* _inFlightBytes, _inFlightEnd;
        private int _inFlightHead, _inFlightCount;
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
        }

        public bool IsValid => _scratch != null && _inFlightBytes != null && _inFlightEnd != null;

        /// <summary>The oldest record this sink still needs.</summary>
        public ulong Oldest => _acknowledged;
        public bool Done => _acknowledged == LogBuffer.End;

        public void Pump(ulong now)
        {
            if (_tcp) PumpTcp(now); else PumpUdp();
        }

        private void PumpUdp()
        {
            IpAddress destination = _target.Address;
            int capacity = Ip.MaximumPayload(destination) - Udp.HeaderSize;
            for (int i = 0; i < DatagramsPerPump && _acknowledged < LogBuffer.End; i++)
            {
                int length = SyslogFormat.Write(_scratch, capacity, LogBuffer.At(_acknowledged));
                if (Udp.Send(_udp, destination, _target.Port, _scratch, length) < 0) return;   // no packet now: next poll
                _acknowledged = LogBuffer.Next(_acknowledged);
                Shipped++;
            }
        }

        private void PumpTcp(ulong now)
        {
            // Acknowledgments first, also those that came just before a reset (the ring outlives the connection's end
            // while we hold it): what the collector has is never sent twice.
            if (_connection.Tcp != null) CountAcknowledged(_connection.Tcp);
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
        private void CountAcknowledged(TcpConnection c)
        {
            ulong acknowledgedBytes = _handedBytes - (ulong)c.SendBuffer.Count;
            while (_inFlightCount > 0 && _inFlightBytes[_inFlightHead] <= acknowledgedBytes)
            {
                _acknowledged = _inFlightEnd[_inFlightHead];
                _inFlightHead = (_inFlightHead + 1) % InFlightLimit;
                _inFlightCount--;
                Shipped++;
            }
        }

        // Everything not acknowledged goes again, in order, on the next connection.
        private void Rewind()
        {
            _sendFrom = _acknowledged;
            _inFlightHead = _inFlightCount = 0;
            _handedBytes = 0;
            _pendingLength = _pendingOffset = 0;
        }
    }
}
