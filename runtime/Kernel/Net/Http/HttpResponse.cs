namespace Kernel.Net.Http
{
    internal enum HttpResponseState
    {
        /// <summary>More bytes are needed.</summary>
        Incomplete,
        /// <summary>The whole response is there: Status, the headers and the body are set.</summary>
        Complete,
        /// <summary>Not an HTTP/1.x response, or a framing error (a bad length, a bad chunk).</summary>
        Malformed,
    }

    // An HTTP/1.1 response (RFC 9112) read into one buffer: the status line, the header section, and the body, framed by
    // Content-Length, by chunked transfer coding (decoded in place once complete) or by the end of the stream. Pure
    // byte-level code, so it runs in the host unit tests too.
    internal unsafe struct HttpResponse
    {
        public int Status;
        public byte* Body;
        public int BodyLength;

        private byte* _data;
        private int _headEnd;   // just past the empty line that ends the header section

        /// <summary>
        /// Looks at the <paramref name="length"/> bytes read so far (<paramref name="ended"/>: the peer's stream has ended
        /// after them); fills the response when it is complete.
        /// </summary>
        public HttpResponseState Parse(byte* data, int length, bool ended)
        {
            _data = data;
            _headEnd = 0;
            for (int i = 0; i + 3 < length; i++)
                if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') { _headEnd = i + 4; break; }
            if (_headEnd == 0) return ended || !StartsLikeHttp(data, length) ? HttpResponseState.Malformed : HttpResponseState.Incomplete;
            if (!StartsLikeHttp(data, _headEnd) || _headEnd < 12 || data[8] != ' ') return HttpResponseState.Malformed;
            Status = 0;
            for (int i = 9; i < 12; i++)
            {
                if (data[i] < '0' || data[i] > '9') return HttpResponseState.Malformed;
                Status = Status * 10 + data[i] - '0';
            }

            int valueLength;
            byte* coding = Header("Transfer-Encoding", out valueLength);
            if (coding != null)
            {
                if (!EqualsIgnoringCase(coding, valueLength, "chunked")) return HttpResponseState.Malformed;
                return Dechunk(length);
            }
            byte* contentLength = Header("Content-Length", out valueLength);
            if (contentLength != null)
            {
                long declared = 0;
                if (valueLength == 0 || valueLength > 9) return HttpResponseState.Malformed;
                for (int i = 0; i < valueLength; i++)
                {
                    if (contentLength[i] < '0' || contentLength[i] > '9') return HttpResponseState.Malformed;
                    declared = declared * 10 + contentLength[i] - '0';
                }
                if (length - _headEnd < declared) return ended ? HttpResponseState.Malformed : HttpResponseState.Incomplete;
                Body = data + _headEnd;
                BodyLength = (int)declared;
                return HttpResponseState.Complete;
            }
            if (!ended) return HttpResponseState.Incomplete;
            Body = data + _headEnd;
            BodyLength = length - _headEnd;
            return HttpResponseState.Complete;
        }

        /// <summary>The value of the first header named <paramref name="name"/> (case-insensitive), trimmed; null when absent.</summary>
        public byte* Header(string name, out int length)
        {
            length = 0;
            int line = 0;
            while (line < _headEnd && _data[line] != '\n') line++;
            line++;   // past the status line
            while (line < _headEnd - 2)
            {
                int end = line;
                while (end < _headEnd && _data[end] != '\r' && _data[end] != '\n') end++;
                if (end - line > name.Length && _data[line + name.Length] == ':' && EqualsIgnoringCase(_data + line, name.Length, name))
                {
                    int start = line + name.Length + 1;
                    while (start < end && (_data[start] == ' ' || _data[start] == '\t')) start++;
                    int stop = end;
                    while (stop > start && (_data[stop - 1] == ' ' || _data[stop - 1] == '\t')) stop--;
                    length = stop - start;
                    return _data + start;
                }
                if (end < _headEnd && _data[end] == '\r') end++;
                if (end < _headEnd && _data[end] == '\n') end++;
                line = end;
            }
            return null;
        }

        /// <summary>Whether header <paramref name="name"/> is present with exactly <paramref name="value"/> (case-insensitive).</summary>
        public bool HeaderIs(string name, string value)
        {
            int length;
            byte* v = Header(name, out length);
            return v != null && EqualsIgnoringCase(v, length, value);
        }

        // Chunks: hex size [;extensions] CRLF, data, CRLF; a zero size then trailers and an empty line. Checked whole
        // first, then the data moved together in place.
        private HttpResponseState Dechunk(int length)
        {
            int position = _headEnd;
            while (true)
            {
                int size = 0, digits = 0;
                while (position < length && Hex(_data[position]) >= 0)
                {
                    if (++digits > 7) return HttpResponseState.Malformed;
                    size = size * 16 + Hex(_data[position++]);
                }
                int lineEnd = FindLineEnd(position, length);
                if (lineEnd < 0) return HttpResponseState.Incomplete;
                if (digits == 0) return HttpResponseState.Malformed;
                position = lineEnd;
                if (size == 0)
                {
                    // Trailers, then the empty line.
                    while (true)
                    {
                        int end = FindLineEnd(position, length);
                        if (end < 0) return HttpResponseState.Incomplete;
                        bool empty = end - position == 2;
                        position = end;
                        if (empty) break;
                    }
                    break;
                }
                if (length - position < size + 2) return HttpResponseState.Incomplete;
                if (_data[position + size] != '\r' || _data[position + size + 1] != '\n') return HttpResponseState.Malformed;
                position += size + 2;
            }
            // Complete: move each chunk's data up behind the previous one.
            int read = _headEnd, written = _headEnd;
            while (true)
            {
                int size = 0;
                while (Hex(_data[read]) >= 0) size = size * 16 + Hex(_data[read++]);
                read = FindLineEnd(read, length);
                if (size == 0) break;
                for (int i = 0; i < size; i++) _data[written + i] = _data[read + i];
                written += size;
                read += size + 2;
            }
            Body = _data + _headEnd;
            BodyLength = written - _headEnd;
            return HttpResponseState.Complete;
        }

        // Just past the CRLF that ends the line at or after position; -1 when it has not arrived.
        private int FindLineEnd(int position, int length)
        {
            for (int i = position; i + 1 < length; i++)
                if (_data[i] == '\r' && _data[i + 1] == '\n') return i + 2;
            return -1;
        }

        private static int Hex(byte c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private static bool StartsLikeHttp(byte* data, int length)
        {
            const string prefix = "HTTP/1.";
            for (int i = 0; i < prefix.Length && i < length; i++)
                if (data[i] != prefix[i]) return false;
            return true;
        }

        private static bool EqualsIgnoringCase(byte* text, int length, string expected)
        {
            if (length != expected.Length) return false;
            for (int i = 0; i < length; i++)
            {
                byte a = text[i], b = (byte)expected[i];
                if (a >= 'A' && a <= 'Z') a += 32;
                if (b >= 'A' && b <= 'Z') b += 32;
                if (a != b) return false;
            }
            return true;
        }
    }
}
