namespace Kernel.Net.Http
{
    // An HTTP/1.1 request without a body (RFC 9112), written into a caller's buffer: the request line, Host, the
    // caller's headers and, for PUT, "Content-Length: 0" (a PUT without a length is refused by servers such as AWS's
    // IMDS). The connection stays open for the next request (PolledHttpClient).
    internal unsafe struct HttpRequestText
    {
        private byte* _buffer;
        private int _capacity, _length;
        private bool _overflow;
        private bool _put;

        public byte* Bytes => _buffer;
        /// <summary>The request's length, or -1 when it did not fit the buffer.</summary>
        public int Length => _overflow ? -1 : _length;

        public HttpRequestText(byte* buffer, int capacity, string method, string path, string host)
        {
            _buffer = buffer;
            _capacity = capacity;
            _length = 0;
            _overflow = false;
            _put = method == "PUT";
            Append(method);
            Append(" ");
            Append(path);
            Append(" HTTP/1.1\r\nHost: ");
            Append(host);
            Append("\r\n");
        }

        public void Header(string name, string value)
        {
            Append(name);
            Append(": ");
            Append(value);
            Append("\r\n");
        }

        public void Header(string name, byte* value, int length)
        {
            Append(name);
            Append(": ");
            for (int i = 0; i < length; i++) AppendByte(value[i]);
            Append("\r\n");
        }

        /// <summary>Ends the header section; the request is then complete.</summary>
        public void End()
        {
            if (_put) Append("Content-Length: 0\r\n");
            Append("\r\n");
        }

        private void Append(string text)
        {
            for (int i = 0; i < text.Length; i++) AppendByte((byte)text[i]);
        }

        private void AppendByte(byte b)
        {
            if (_length == _capacity) { _overflow = true; return; }
            _buffer[_length++] = b;
        }
    }
}
