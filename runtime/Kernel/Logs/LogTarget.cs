using Kernel.Net;

namespace Kernel.Logs
{
    // A collector's address as a kernel option gives it: SCHEME://IPV4:PORT[/PATH]. Only literal IPv4 addresses: the
    // shipper starts before the app and needs no resolver (a name would need DNS at boot; the address is what a
    // deployment hands out anyway). Parsing fails with a one-line reason naming the part that is wrong.
    internal unsafe struct LogTarget
    {
        public const int MaxPath = 128;

        public int Scheme;
        public uint Address;
        public ushort Port;
        public fixed byte Path[MaxPath];
        public int PathLength;

        public const int Udp = 1, Tcp = 2, Http = 3;

        public static string Parse(byte* text, int length, out LogTarget target)
        {
            target = default;
            int at;
            if (StartsWith(text, length, "udp://")) { target.Scheme = Udp; at = 6; }
            else if (StartsWith(text, length, "tcp://")) { target.Scheme = Tcp; at = 6; }
            else if (StartsWith(text, length, "http://")) { target.Scheme = Http; at = 7; }
            else return "the scheme is not udp://, tcp:// or http://";

            int colon = at;
            while (colon < length && text[colon] != ':' && text[colon] != '/') colon++;
            if (colon == length || text[colon] != ':') return "no :PORT after the address";
            if (!NetworkConfiguration.TryParse(text + at, colon - at, out uint address, out _, false) || address == 0)
                return "the address is not an IPv4 address (a.b.c.d)";
            int portEnd = colon + 1;
            uint port = 0;
            while (portEnd < length && text[portEnd] >= '0' && text[portEnd] <= '9' && port <= 65535)
                port = port * 10 + (uint)(text[portEnd++] - '0');
            if (portEnd == colon + 1 || port == 0 || port > 65535) return "the port is not a number from 1 to 65535";
            if (portEnd < length && text[portEnd] != '/') return "unexpected text after the port";
            if (portEnd < length && target.Scheme != Http) return "a path is only for http://";
            int pathLength = length - portEnd;
            if (pathLength > MaxPath) return "the path is too long";
            for (int i = 0; i < pathLength; i++)
            {
                byte b = text[portEnd + i];
                if (b <= 0x20 || b >= 0x7F) return "the path has a space or a non-printable byte";
                target.Path[i] = b;
            }
            target.PathLength = pathLength;
            target.Address = address;
            target.Port = (ushort)port;
            return null;
        }

        private static bool StartsWith(byte* text, int length, string prefix)
        {
            if (length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++) if (text[i] != prefix[i]) return false;
            return true;
        }
    }
}
