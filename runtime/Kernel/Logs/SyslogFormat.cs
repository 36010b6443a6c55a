using Kernel.Time;

namespace Kernel.Logs
{
    // One shipped line as an RFC 5424 syslog message:
    //   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [origin software="NAME" swVersion="VERSION"][meta sequenceId="N"] MSG
    // PRI: the app's lines are facility user (1), the kernel's facility kern (0). Severity follows Docker's syslog
    // driver, the precedent people know: stdout info (6), stderr err (3); the kernel's lines info (6) -- its
    // failures end the machine and are never shipped. HOSTNAME is the instance id, APP-NAME the image's app name,
    // PROCID the app's pid (1; "-" for the kernel), MSGID the stream (stdout, stderr, kernel). The version travels
    // in the IANA-registered "origin" element (RFC 5424 7.2), so no private enterprise number is needed, and each line's
    // number in "meta" sequenceId (7.3.1): after a reconnect the TCP sink sends the last lines again (SyslogSink says
    // why), and the sequence tells a collector (or a person) which ones it already has. MSG is the
    // line's bytes as written (MSG-ANY: no BOM is claimed, the app's bytes need not be UTF-8). TIMESTAMP is UTC with
    // microseconds, or "-" when the machine has no real-time clock (RFC 5424 6.2.3.1).
    internal static unsafe class SyslogFormat
    {
        public const int FacilityKern = 0, FacilityUser = 1;
        public const int SeverityError = 3, SeverityInfo = 6;
        private const int MaxAppName = 48, MaxVersion = 32;

        public static int Priority(int stream) => stream switch
        {
            LogBuffer.Stderr => FacilityUser * 8 + SeverityError,
            LogBuffer.Kernel => FacilityKern * 8 + SeverityInfo,
            _ => FacilityUser * 8 + SeverityInfo,
        };

        /// <summary>The message for <paramref name="record"/> in at most <paramref name="capacity"/> bytes (the text is cut to fit); its length.</summary>
        public static int Write(byte* destination, int capacity, byte* record)
        {
            byte* header = stackalloc byte[512];
            int n = 0;
            header[n++] = (byte)'<';
            n = LogBuffer.Decimal(header, n, (ulong)Priority(LogBuffer.Stream(record)));
            n = LogBuffer.Copy(header, n, ">1 ");
            n = Timestamp(header, n, LogBuffer.Time(record));
            header[n++] = (byte)' ';
            n = Token(header, n, LogIdentity.Instance, LogIdentity.InstanceLength, 255);
            header[n++] = (byte)' ';
            n = Token(header, n, LogIdentity.Name, LogIdentity.NameLength, MaxAppName);
            n = LogBuffer.Copy(header, n, LogBuffer.Stream(record) == LogBuffer.Kernel ? " - " : " 1 ");
            n = LogBuffer.Copy(header, n, StreamName(LogBuffer.Stream(record)));
            header[n++] = (byte)' ';
            if (LogIdentity.NameLength > 0)
            {
                n = LogBuffer.Copy(header, n, "[origin software=\"");
                n = ParamValue(header, n, LogIdentity.Name, LogIdentity.NameLength, MaxAppName);
                n = LogBuffer.Copy(header, n, "\" swVersion=\"");
                n = ParamValue(header, n, LogIdentity.Version, LogIdentity.VersionLength, MaxVersion);
                n = LogBuffer.Copy(header, n, "\"]");
            }
            n = LogBuffer.Copy(header, n, "[meta sequenceId=\"");
            n = LogBuffer.Decimal(header, n, LogBuffer.Sequence(record));
            n = LogBuffer.Copy(header, n, "\"] ");

            if (n > capacity) n = capacity;
            for (int i = 0; i < n; i++) destination[i] = header[i];
            int text = LogBuffer.TextLength(record);
            if (text > capacity - n) text = capacity - n;
            byte* source = LogBuffer.Text(record);
            for (int i = 0; i < text; i++) destination[n + i] = source[i];
            return n + text;
        }

        public static string StreamName(int stream) => stream switch
        {
            LogBuffer.Stderr => "stderr",
            LogBuffer.Kernel => "kernel",
            _ => "stdout",
        };

        // 2026-12-07T03:14:37.123456Z
        private static int Timestamp(byte* destination, int at, ulong realtime)
        {
            if (!Clock.HasWallClock) { destination[at++] = (byte)'-'; return at; }
            char* iso = stackalloc char[32];
            int length = CivilTime.FormatIso8601((long)(realtime / Clock.NanosecondsPerSecond), iso);
            for (int i = 0; i < length - 1; i++) destination[at++] = (byte)iso[i];   // without its 'Z'
            destination[at++] = (byte)'.';
            ulong micro = realtime % Clock.NanosecondsPerSecond / 1000;
            for (ulong scale = 100000; scale > 0; scale /= 10) destination[at++] = (byte)('0' + (int)(micro / scale % 10));
            destination[at++] = (byte)'Z';
            return at;
        }

        // A header field: PRINTUSASCII (33-126), at most max bytes, "-" when empty.
        private static int Token(byte* destination, int at, byte* text, int length, int max)
        {
            if (text == null || length == 0) { destination[at++] = (byte)'-'; return at; }
            if (length > max) length = max;
            for (int i = 0; i < length; i++) destination[at++] = text[i] > 32 && text[i] < 127 ? text[i] : (byte)'_';
            return at;
        }

        // A PARAM-VALUE: '"', '\' and ']' escaped with a backslash (RFC 5424 6.3.3).
        private static int ParamValue(byte* destination, int at, byte* text, int length, int max)
        {
            if (length > max) length = max;
            for (int i = 0; i < length; i++)
            {
                byte b = text[i];
                if (b == '"' || b == '\\' || b == ']') destination[at++] = (byte)'\\';
                destination[at++] = b >= 32 && b < 127 ? b : (byte)'_';
            }
            return at;
        }
    }
}
