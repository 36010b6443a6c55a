namespace Kernel.Net.Dhcp
{
    // The BOOTP/DHCP message format (RFC 2131 section 2, options from RFC 2132 and RFC 3397): building a
    // client's request and reading a server's reply. A message is the fixed 236-byte BOOTP header, the magic
    // cookie, then code-length-value options up to End. Option overload (52) is not followed: servers use
    // it only when options do not fit in 312 bytes, and what a client asks for here fits.
    internal static unsafe class DhcpMessage
    {
        public const ushort ServerPort = 67, ClientPort = 68;
        public const int OptionsOffset = 240;
        /// <summary>What a request takes at most: the header, the options and a host name of up to 64 bytes.</summary>
        public const int MaximumRequest = OptionsOffset + 128;

        public const byte Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6, Release = 7;

        public const byte OptionPad = 0, OptionSubnetMask = 1, OptionRouter = 3, OptionDnsServers = 6, OptionHostName = 12,
                          OptionDomainName = 15, OptionRequestedAddress = 50, OptionLeaseTime = 51, OptionMessageType = 53,
                          OptionServerIdentifier = 54, OptionParameterRequests = 55, OptionMaximumSize = 57,
                          OptionRenewalTime = 58, OptionRebindingTime = 59, OptionClientIdentifier = 61,
                          OptionDomainSearch = 119, OptionEnd = 255;

        private const byte BootRequest = 1, BootReply = 2;
        private const uint MagicCookie = 0x6382_5363;
        private const ushort BroadcastFlag = 0x8000;

        /// <summary>
        /// Writes a client message of <paramref name="type"/> at <paramref name="m"/> (MaximumRequest bytes) and returns its
        /// length. <paramref name="requested"/> and <paramref name="server"/> are sent as options when not 0; <paramref name="clientAddress"/>
        /// is ciaddr (set only while renewing or rebinding, when we can take unicast replies). The broadcast flag is set
        /// otherwise: without an address the IP layer takes only broadcast datagrams.
        /// </summary>
        public static int WriteRequest(byte* m, byte type, uint transaction, ushort seconds, uint clientAddress,
                                       uint requested, uint server, ulong mac, byte* hostName, int hostNameLength)
        {
            for (int i = 0; i < MaximumRequest; i++) m[i] = 0;
            m[0] = BootRequest;
            m[1] = 1;   // Ethernet
            m[2] = 6;   // its address length
            NetBytes.Write32(m + 4, transaction);
            NetBytes.Write16(m + 8, seconds);
            NetBytes.Write16(m + 10, clientAddress == 0 ? BroadcastFlag : (ushort)0);
            NetBytes.Write32(m + 12, clientAddress);
            NetBytes.WriteMac(m + 28, mac);
            NetBytes.Write32(m + 236, MagicCookie);

            byte* o = m + OptionsOffset;
            *o++ = OptionMessageType; *o++ = 1; *o++ = type;
            // The client identifier is the hardware address, as most clients send it, so a server that keys leases
            // on it gives the same address after a reboot.
            *o++ = OptionClientIdentifier; *o++ = 7; *o++ = 1; NetBytes.WriteMac(o, mac); o += 6;
            if (requested != 0) { *o++ = OptionRequestedAddress; *o++ = 4; NetBytes.Write32(o, requested); o += 4; }
            if (server != 0) { *o++ = OptionServerIdentifier; *o++ = 4; NetBytes.Write32(o, server); o += 4; }
            if (type != Release)
            {
                *o++ = OptionMaximumSize; *o++ = 2; NetBytes.Write16(o, 576); o += 2;
                *o++ = OptionParameterRequests; *o++ = 9;
                *o++ = OptionSubnetMask; *o++ = OptionRouter; *o++ = OptionDnsServers; *o++ = OptionHostName;
                *o++ = OptionDomainName; *o++ = OptionLeaseTime; *o++ = OptionRenewalTime; *o++ = OptionRebindingTime;
                *o++ = OptionDomainSearch;
                int room = (int)(m + MaximumRequest - 1 - o) - 2;
                if (hostNameLength > 0 && hostNameLength <= room)
                {
                    *o++ = OptionHostName; *o++ = (byte)hostNameLength;
                    for (int i = 0; i < hostNameLength; i++) *o++ = hostName[i];
                }
            }
            *o++ = OptionEnd;
            int length = (int)(o - m);
            return length < 300 ? 300 : length;   // BOOTP relays and old servers expect at least the 300-byte BOOTP size
        }

        /// <summary>Is this a reply to us (BOOTREPLY, our transaction and hardware address, the cookie)? Its DHCP type, or 0.</summary>
        public static byte ReplyType(byte* m, int length, uint transaction, ulong mac)
        {
            if (length < OptionsOffset + 3 || m[0] != BootReply || m[1] != 1 || m[2] != 6) return 0;
            if (NetBytes.Read32(m + 4) != transaction || NetBytes.ReadMac(m + 28) != mac) return 0;
            if (NetBytes.Read32(m + 236) != MagicCookie) return 0;
            int typeLength;
            byte* type = FindOption(m, length, OptionMessageType, out typeLength);
            return type != null && typeLength == 1 ? type[0] : (byte)0;
        }

        /// <summary>yiaddr: the address the server offers or confirms.</summary>
        public static uint YourAddress(byte* m) => NetBytes.Read32(m + 16);

        /// <summary>The first instance of option <paramref name="code"/>, or null.</summary>
        public static byte* FindOption(byte* m, int length, byte code, out int optionLength)
        {
            int i = OptionsOffset;
            byte c;
            byte* value;
            while (NextOption(m, length, ref i, out c, out value, out optionLength))
                if (c == code) return value;
            optionLength = 0;
            return null;
        }

        // Steps over one option of the options field (RFC 2132 2: pads, then code, length, value) from offset `i`;
        // false at the end option, the end of the message, or an option that runs past it.
        private static bool NextOption(byte* m, int length, ref int i, out byte code, out byte* value, out int valueLength)
        {
            code = 0;
            value = null;
            valueLength = 0;
            while (i < length && m[i] == OptionPad) i++;
            if (i + 1 >= length || m[i] == OptionEnd) return false;
            int n = m[i + 1];
            if (i + 2 + n > length) return false;
            code = m[i];
            value = m + i + 2;
            valueLength = n;
            i += 2 + n;
            return true;
        }

        /// <summary>A 4-byte option as a host-order value, or <paramref name="otherwise"/>.</summary>
        public static uint Option32(byte* m, int length, byte code, uint otherwise)
        {
            int n;
            byte* value = FindOption(m, length, code, out n);
            return value != null && n >= 4 ? NetBytes.Read32(value) : otherwise;
        }

        /// <summary>
        /// Every instance of option <paramref name="code"/> concatenated (RFC 3396: long options are split) into
        /// <paramref name="output"/>; the length (at most <paramref name="capacity"/>).
        /// </summary>
        public static int ConcatenatedOption(byte* m, int length, byte code, byte* output, int capacity)
        {
            int total = 0, i = OptionsOffset, n;
            byte c;
            byte* value;
            while (NextOption(m, length, ref i, out c, out value, out n))
                if (c == code)
                    for (int k = 0; k < n && total < capacity; k++) output[total++] = value[k];
            return total;
        }

        /// <summary>
        /// Decodes a domain search list (RFC 3397: DNS names, RFC 1035 compression with offsets into the list itself)
        /// into "a.example b.example"; the length written, at most <paramref name="capacity"/> (names that do not fit are left out).
        /// </summary>
        public static int DecodeSearchList(byte* list, int length, byte* output, int capacity)
        {
            int written = 0;
            int position = 0;
            while (position < length)
            {
                int start = written;
                if (written > 0) { if (written >= capacity) break; output[written++] = (byte)' '; }
                int nameStart = written;
                int p = position, next = -1, jumps = 0;
                bool ok = true;
                while (true)
                {
                    if (p >= length) { ok = false; break; }
                    int label = list[p];
                    if (label == 0) { p++; break; }
                    if ((label & 0xC0) == 0xC0)
                    {
                        if (p + 1 >= length || ++jumps > 16) { ok = false; break; }
                        if (next < 0) next = p + 2;
                        p = ((label & 0x3F) << 8) | list[p + 1];
                        continue;
                    }
                    if ((label & 0xC0) != 0 || p + 1 + label > length) { ok = false; break; }
                    if (written > nameStart) { if (written >= capacity) { ok = false; break; } output[written++] = (byte)'.'; }
                    if (written + label > capacity) { ok = false; break; }
                    for (int k = 0; k < label; k++) output[written++] = list[p + 1 + k];
                    p += 1 + label;
                }
                position = next >= 0 ? next : p;
                if (!ok) { written = start; break; }   // malformed or too long: keep the names before it
                if (written == nameStart) written = start;   // an empty name
            }
            return written;
        }
    }
}
