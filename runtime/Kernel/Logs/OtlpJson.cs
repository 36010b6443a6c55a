namespace Kernel.Logs
{
    // A batch of shipped lines as an OTLP/HTTP logs request, JSON encoding (OTLP specification, "JSON Protobuf
    // Encoding": lowerCamelCase field names, 64-bit integers as decimal strings, enums as numbers):
    //   {"resourceLogs":[{"resource":{"attributes":[service.name, service.version, service.instance.id]},
    //     "scopeLogs":[{"scope":{"name":"uk"},"logRecords":[{"timeUnixNano":"...","observedTimeUnixNano":"...",
    //     "severityNumber":9,"severityText":"INFO","body":{"stringValue":"..."},
    //     "attributes":[{"key":"log.iostream","value":{"stringValue":"stdout"}}]}, ...]}]}]}
    // Severity as in SyslogFormat: stdout INFO (9), stderr ERROR (17), kernel INFO (9). log.iostream is the
    // semantic-conventions attribute for a process's stream; the kernel's lines carry unikernel.source=kernel instead.
    // JSON strings must be UTF-8: bytes that do not form valid UTF-8 become U+FFFD, control bytes \u00XX.
    internal static unsafe class OtlpJson
    {
        public const int SeverityInfo = 9, SeverityError = 17;
        // The most one record can take: its text with every byte escaped as \u00XX, plus the fixed fields.
        public const int MaxRecordSize = LogTap.MaxLine * 6 + 512;

        /// <summary>
        /// The request body for the records from <paramref name="from"/> on, as many as fit in <paramref name="capacity"/>
        /// bytes (at least one: capacity must exceed MaxRecordSize + the envelope); <paramref name="to"/> is where the batch ends.
        /// </summary>
        public static int Write(byte* body, int capacity, ulong from, ulong end, int maxRecords, out ulong to)
        {
            int n = 0;
            n = LogBuffer.Copy(body, n, "{\"resourceLogs\":[{\"resource\":{\"attributes\":[");
            n = Attribute(body, n, "service.name", LogIdentity.Name, LogIdentity.NameLength);
            body[n++] = (byte)',';
            n = Attribute(body, n, "service.version", LogIdentity.Version, LogIdentity.VersionLength);
            body[n++] = (byte)',';
            n = Attribute(body, n, "service.instance.id", LogIdentity.Instance, LogIdentity.InstanceLength);
            n = LogBuffer.Copy(body, n, "]},\"scopeLogs\":[{\"scope\":{\"name\":\"uk\"},\"logRecords\":[");
            const int closing = 8;   // ]}]}]}
            ulong position = from;
            int records = 0;
            while (position < end && records < maxRecords && n + MaxRecordSize + closing <= capacity)
            {
                if (records > 0) body[n++] = (byte)',';
                n = Record(body, n, LogBuffer.At(position));
                position = LogBuffer.Next(position);
                records++;
            }
            n = LogBuffer.Copy(body, n, "]}]}]}");
            to = position;
            return n;
        }

        private static int Record(byte* body, int n, byte* record)
        {
            int stream = LogBuffer.Stream(record);
            ulong time = LogBuffer.Time(record);
            n = LogBuffer.Copy(body, n, "{\"timeUnixNano\":\"");
            n = LogBuffer.Decimal(body, n, time);
            n = LogBuffer.Copy(body, n, "\",\"observedTimeUnixNano\":\"");
            n = LogBuffer.Decimal(body, n, time);
            n = LogBuffer.Copy(body, n, "\",\"severityNumber\":");
            n = LogBuffer.Decimal(body, n, (ulong)(stream == LogBuffer.Stderr ? SeverityError : SeverityInfo));
            n = LogBuffer.Copy(body, n, stream == LogBuffer.Stderr ? ",\"severityText\":\"ERROR\"" : ",\"severityText\":\"INFO\"");
            n = LogBuffer.Copy(body, n, ",\"body\":{\"stringValue\":\"");
            n = JsonString(body, n, LogBuffer.Text(record), LogBuffer.TextLength(record));
            n = LogBuffer.Copy(body, n, "\"},\"attributes\":[{\"key\":\"");
            n = LogBuffer.Copy(body, n, stream == LogBuffer.Kernel ? "unikernel.source" : "log.iostream");
            n = LogBuffer.Copy(body, n, "\",\"value\":{\"stringValue\":\"");
            n = LogBuffer.Copy(body, n, SyslogFormat.StreamName(stream));
            n = LogBuffer.Copy(body, n, "\"}}]}");
            return n;
        }

        private static int Attribute(byte* body, int n, string key, byte* value, int length)
        {
            n = LogBuffer.Copy(body, n, "{\"key\":\"");
            n = LogBuffer.Copy(body, n, key);
            n = LogBuffer.Copy(body, n, "\",\"value\":{\"stringValue\":\"");
            if (value != null) n = JsonString(body, n, value, length < 256 ? length : 256);
            n = LogBuffer.Copy(body, n, "\"}}");
            return n;
        }

        /// <summary>The bytes as the inside of a JSON string (RFC 8259 7): escapes, and U+FFFD for what is not UTF-8.</summary>
        public static int JsonString(byte* body, int n, byte* text, int length)
        {
            for (int i = 0; i < length;)
            {
                byte b = text[i];
                if (b < 0x80)
                {
                    if (b == '"' || b == '\\') { body[n++] = (byte)'\\'; body[n++] = b; }
                    else if (b == '\n') { body[n++] = (byte)'\\'; body[n++] = (byte)'n'; }
                    else if (b == '\t') { body[n++] = (byte)'\\'; body[n++] = (byte)'t'; }
                    else if (b < 0x20 || b == 0x7F)
                    {
                        n = LogBuffer.Copy(body, n, "\\u00");
                        body[n++] = Hex(b >> 4);
                        body[n++] = Hex(b & 0xF);
                    }
                    else body[n++] = b;
                    i++;
                    continue;
                }
                int sequence = Utf8SequenceLength(text + i, length - i);
                if (sequence == 0)
                {
                    n = LogBuffer.Copy(body, n, "\\ufffd");
                    i++;
                    continue;
                }
                for (int k = 0; k < sequence; k++) body[n++] = text[i + k];
                i += sequence;
            }
            return n;
        }

        // The length of the well-formed UTF-8 sequence at text (RFC 3629 4: no overlong forms, no surrogates, at most
        // U+10FFFF), or 0.
        private static int Utf8SequenceLength(byte* text, int available)
        {
            byte b = text[0];
            int length;
            uint lowest;
            uint value;
            if (b >= 0xC2 && b <= 0xDF) { length = 2; lowest = 0x80; value = (uint)(b & 0x1F); }
            else if (b >= 0xE0 && b <= 0xEF) { length = 3; lowest = 0x800; value = (uint)(b & 0x0F); }
            else if (b >= 0xF0 && b <= 0xF4) { length = 4; lowest = 0x10000; value = (uint)(b & 0x07); }
            else return 0;
            if (available < length) return 0;
            for (int k = 1; k < length; k++)
            {
                if ((text[k] & 0xC0) != 0x80) return 0;
                value = (value << 6) | (uint)(text[k] & 0x3F);
            }
            if (value < lowest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
            return length;
        }

        private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
