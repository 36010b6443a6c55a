using Kernel.Console;

namespace Kernel.Net
{
    // IPv6 addresses as text (RFC 4291 2.2): eight groups of up to four hex digits, one run of zero groups
    // shortened to "::"; written in RFC 5952's canonical form (lower case, the longest zero run of two or
    // more groups shortened, the first of equals). The boot log and uk.net.ip6 / uk.net.gateway6 use them.
    internal static unsafe class Ipv6Text
    {
        /// <summary>Parses <paramref name="length"/> bytes of <paramref name="text"/>; false if it is not an IPv6 address.</summary>
        public static bool TryParse(byte* text, int length, out IpAddress address)
        {
            address = default;
            ushort* groups = stackalloc ushort[8];
            int count = 0, gap = -1, i = 0;
            if (length >= 2 && text[0] == ':' && text[1] == ':') { gap = 0; i = 2; }
            else if (length >= 1 && text[0] == ':') return false;
            while (i < length)
            {
                if (count == 8) return false;
                int value = 0, digits = 0;
                while (i < length && digits < 5 && Hex(text[i]) >= 0) { value = value * 16 + Hex(text[i]); i++; digits++; }
                if (digits == 0 || digits > 4) return false;
                groups[count++] = (ushort)value;
                if (i == length) break;
                if (text[i] != ':') return false;
                i++;
                if (i < length && text[i] == ':')
                {
                    if (gap >= 0) return false;
                    gap = count;
                    i++;
                }
                else if (i == length) return false;   // a trailing single colon
            }
            if (gap < 0 ? count != 8 : count > 7) return false;
            ushort* full = stackalloc ushort[8];
            for (int g = 0; g < 8; g++) full[g] = 0;
            int tail = gap < 0 ? 0 : count - gap;
            for (int g = 0; g < count; g++) full[g < (gap < 0 ? 8 : gap) ? g : 8 - tail + (g - gap)] = groups[g];
            ulong high = 0, low = 0;
            for (int g = 0; g < 4; g++) high = (high << 16) | full[g];
            for (int g = 4; g < 8; g++) low = (low << 16) | full[g];
            address = new IpAddress(high, low);
            return true;
        }

        /// <summary>The canonical text of <paramref name="address"/> to the kernel console.</summary>
        public static void Write(IpAddress address)
        {
            char* text = stackalloc char[40];
            int length = Format(address, text);
            for (int i = 0; i < length; i++) KernelConsole.Write(text[i]);
        }

        /// <summary>The canonical text into <paramref name="text"/> (room for 39 characters); its length.</summary>
        public static int Format(IpAddress address, char* text)
        {
            ushort* groups = stackalloc ushort[8];
            for (int g = 0; g < 4; g++) groups[g] = (ushort)(address.High >> (48 - 16 * g));
            for (int g = 0; g < 4; g++) groups[4 + g] = (ushort)(address.Low >> (48 - 16 * g));
            int bestStart = -1, bestLength = 1;
            for (int g = 0; g < 8; )
            {
                if (groups[g] != 0) { g++; continue; }
                int start = g;
                while (g < 8 && groups[g] == 0) g++;
                if (g - start > bestLength) { bestStart = start; bestLength = g - start; }
            }
            int n = 0;
            for (int g = 0; g < 8; g++)
            {
                if (g == bestStart)
                {
                    text[n++] = ':';
                    if (g == 0) text[n++] = ':';
                    g += bestLength - 1;
                    continue;
                }
                bool leading = true;
                for (int shift = 12; shift >= 0; shift -= 4)
                {
                    int digit = (groups[g] >> shift) & 0xF;
                    if (digit == 0 && leading && shift > 0) continue;
                    leading = false;
                    text[n++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
                }
                if (g < 7) text[n++] = ':';
            }
            return n;
        }

        private static int Hex(byte c)
            => c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
}
