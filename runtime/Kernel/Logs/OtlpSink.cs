using Kernel.Console;
using Kernel.Memory;
using Kernel.Net.Tcp;

namespace Kernel.Logs
{
    // Ships records as OTLP/HTTP logs (OtlpJson) to http://ADDRESS:PORT/v1/logs (or the path the option gives): one
    // POST per batch, each on its own connection ("Connection: close": a request every BatchInterval at most, so a
    // kept-alive connection would save little and cost an idle-timeout dance with the collector). A batch leaves
    // the buffer when the collector answers 2xx. Per the OTLP specification's failure rules, 429, 502, 503, 504 and a
    // failed connection are retried (the same records, after the backoff); any other answer means the collector will
    // never take the batch: it is dropped, counted and reported.
    internal sealed unsafe class OtlpSink
    {
        public const ulong BatchInterval = 200_000_000;
        private const ulong ResponseTimeout = 10_000_000_000;
        private const int BodyCapacity = 64 * 1024;
        private const int MaxRecordsPerBatch = 512;
        private const int HeaderCapacity = 512, ResponseCapacity = 256;

        private const int Idle = 0, Sending = 1, Awaiting = 2;

        private readonly LogTarget _target;
        private readonly CollectorConnection _connection;
        private readonly byte* _body, _header, _response;
        private int _state, _bodyLength, _headerLength, _offset, _responseLength;
        private ulong _acknowledged, _batchEnd, _lastRequest, _requestStarted, _notBefore;
        private int _batchRecords;
        public ulong Shipped, Rejected;

        public OtlpSink(LogTarget target, string label)
        {
            _target = target;
            _connection = new CollectorConnection(label, target);
            _body = (byte*)KernelMemory.AllocateZeroed(BodyCapacity);
            _header = (byte*)KernelMemory.AllocateZeroed(HeaderCapacity);
            _response = (byte*)KernelMemory.AllocateZeroed(ResponseCapacity);
        }

        public bool IsValid => _body != null && _header != null && _response != null;
        public ulong Oldest => _acknowledged;
        public bool Done => _acknowledged == LogBuffer.End;

        public void Pump(ulong now, bool flushing)
        {
            if (_state == Idle)
            {
                if (_acknowledged == LogBuffer.End || now < _notBefore) return;
                if (!flushing && now - _lastRequest < BatchInterval) return;
            }
            TcpConnection c = _connection.Ready(now);
            if (c == null) { _state = Idle; return; }
            if (_state == Idle) { Build(); _state = Sending; _offset = 0; _responseLength = 0; _requestStarted = now; }
            if (c.Error != 0 || (c.FinReceived && _state == Sending) || now - _requestStarted > ResponseTimeout)
            {
                Retry(now, c.Error);
                return;
            }
            if (_state == Sending && !Send(c)) return;
            _state = Awaiting;
            Receive(now, c);
        }

        private void Build()
        {
            _bodyLength = OtlpJson.Write(_body, BodyCapacity, _acknowledged, LogBuffer.End, MaxRecordsPerBatch, out _batchEnd);
            _batchRecords = 0;
            for (ulong p = _acknowledged; p < _batchEnd; p = LogBuffer.Next(p)) _batchRecords++;
            int n = LogBuffer.Copy(_header, 0, "POST ");
            if (_target.PathLength > 0)
                fixed (byte* path = _target.Path) for (int i = 0; i < _target.PathLength; i++) _header[n++] = path[i];
            else n = LogBuffer.Copy(_header, n, "/v1/logs");
            n = LogBuffer.Copy(_header, n, " HTTP/1.1\r\nHost: ");
            n = Address(_header, n, _target.Address);
            _header[n++] = (byte)':';
            n = LogBuffer.Decimal(_header, n, _target.Port);
            n = LogBuffer.Copy(_header, n, "\r\nContent-Type: application/json\r\nContent-Length: ");
            n = LogBuffer.Decimal(_header, n, (ulong)_bodyLength);
            n = LogBuffer.Copy(_header, n, "\r\nConnection: close\r\n\r\n");
            _headerLength = n;
        }

        // The header, then the body, as far as TCP's send ring takes them; true when all is handed over.
        private bool Send(TcpConnection c)
        {
            while (_offset < _headerLength + _bodyLength)
            {
                long sent = _offset < _headerLength
                    ? c.Send(_header + _offset, _headerLength - _offset)
                    : c.Send(_body + (_offset - _headerLength), _bodyLength - (_offset - _headerLength));
                if (sent <= 0) return false;
                _offset += (int)sent;
            }
            return true;
        }

        // The status line "HTTP/1.1 NNN ..." decides; the rest of the answer is not needed.
        private void Receive(ulong now, TcpConnection c)
        {
            while (_responseLength < ResponseCapacity)
            {
                long n = c.Receive(_response + _responseLength, ResponseCapacity - _responseLength);
                if (n <= 0) break;
                _responseLength += (int)n;
            }
            int status = Status();
            if (status < 0) { Retry(now, 0); return; }   // not HTTP: as if the connection had failed
            if (status == 0)
            {
                if (c.FinReceived || _responseLength == ResponseCapacity) Retry(now, 0);   // no answer: try again
                return;
            }
            _connection.Close();
            _state = Idle;
            _lastRequest = now;
            if (status >= 200 && status < 300)
            {
                _acknowledged = _batchEnd;
                Shipped += (ulong)_batchRecords;
                return;
            }
            if (status == 429 || status == 502 || status == 503 || status == 504) { _notBefore = now + CollectorConnection.RetryLast; return; }
            Rejected += (ulong)_batchRecords;
            _acknowledged = _batchEnd;
            KernelConsole.Prefix();
            KernelConsole.Write("log: otlp: the collector answered HTTP ");
            KernelConsole.WriteDecimal((ulong)status);
            KernelConsole.Write(", ");
            KernelConsole.WriteDecimal((ulong)_batchRecords);
            KernelConsole.WriteLine(" lines dropped");
        }

        // The status code once the status line is complete, 0 before, -1 when the line is no HTTP status line.
        private int Status()
        {
            int end = 0;
            while (end + 1 < _responseLength && !(_response[end] == '\r' && _response[end + 1] == '\n')) end++;
            if (end + 1 >= _responseLength) return 0;
            if (end < 12 || _response[0] != 'H' || _response[1] != 'T' || _response[2] != 'T' || _response[3] != 'P' || _response[8] != ' ') return -1;
            int status = 0;
            for (int i = 9; i < 12; i++)
            {
                if (_response[i] < '0' || _response[i] > '9') return -1;
                status = status * 10 + (_response[i] - '0');
            }
            return status;
        }

        private void Retry(ulong now, long error)
        {
            _connection.Fail(now, error);
            _state = Idle;
        }

        private static int Address(byte* destination, int n, uint address)
        {
            for (int shift = 24; shift >= 0; shift -= 8)
            {
                n = LogBuffer.Decimal(destination, n, (address >> shift) & 0xFF);
                if (shift > 0) destination[n++] = (byte)'.';
            }
            return n;
        }
    }
}
