using Kernel.Boot;

namespace Kernel.Net
{
    // The interface's IPv4 configuration and the resolver's (what /etc/resolv.conf, /etc/hosts and
    // /etc/hostname show). By default it comes from DHCP (DhcpClient); uk.net.ip=A.B.C.D[/prefix] makes it
    // static, with QEMU user networking's gateway 10.0.2.2 and DNS 10.0.2.3 unless uk.net.gateway=A.B.C.D
    // and uk.net.dns=A.B.C.D[,A.B.C.D...] say otherwise. uk.net.gateway=, uk.net.dns= and
    // uk.net.search=DOMAIN[,DOMAIN...] given with DHCP win over what the server says, as dhclient's
    // "supersede" does. uk.hostname=NAME names the machine (else DHCP's host name, else "unikernel").
    // Addresses are host-order uints; 0 while DHCP has not bound. IPv6: uk.net.ip6=ADDRESS[/64] gives a static
    // global address (its /64 on-link) and uk.net.gateway6=ADDRESS a default router; otherwise router
    // advertisements configure both (Ndp, SLAAC).
    internal static unsafe class NetworkConfiguration
    {
        /// <summary>musl's resolver reads at most three nameserver lines (MAXNS).</summary>
        public const int MaximumDnsServers = 3;
        /// <summary>Room for the search list and the host name: resolv.conf's search line is limited to 256 characters.</summary>
        public const int NameCapacity = 256;

        public static uint Address = Make(10, 0, 2, 15);
        public static int PrefixLength = 24;
        public static uint Gateway = Make(10, 0, 2, 2);
        public static uint[] DnsServers;
        public static int DnsCount;
        /// <summary>The first DNS server, or 0.</summary>
        public static uint Dns => DnsCount > 0 ? DnsServers[0] : 0;
        /// <summary>Search domains, separated by spaces (resolv.conf's search line).</summary>
        public static byte* Search;
        public static int SearchLength;
        public static byte* HostName;
        public static int HostNameLength;

        /// <summary>Is the address DHCP's to set (no uk.net.ip=, or uk.net.ip=dhcp)?</summary>
        public static bool UsesDhcp;
        // Which values the command line fixed, so DHCP leaves them alone.
        public static bool FixedGateway, FixedDns, FixedSearch, FixedHostName;

        public static uint Netmask => PrefixLength == 0 ? 0 : 0xFFFF_FFFFu << (32 - PrefixLength);
        public static uint Broadcast => Address | ~Netmask;

        public static bool IsOnLink(uint address) => (address & Netmask) == (Address & Netmask);

        public static uint Make(int a, int b, int c, int d) => ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | (uint)d;

        private static bool s_loaded;
        private static string s_problem;

        /// <summary>Reads the uk.net.* and uk.hostname options once; null, or what is wrong with one.</summary>
        public static string Load()
        {
            if (!s_loaded)
            {
                s_loaded = true;
                s_problem = Read();
            }
            return s_problem;
        }

        private static string Read()
        {
            DnsServers = new uint[MaximumDnsServers];
            Search = (byte*)Memory.KernelMemory.AllocateZeroed(NameCapacity);
            HostName = (byte*)Memory.KernelMemory.AllocateZeroed(NameCapacity);
            if (Search == null || HostName == null) return "no memory for the network configuration";
            DnsServers[0] = Make(10, 0, 2, 3);
            DnsCount = 1;
            SetHostName("unikernel");

            int length, prefix;
            uint value;
            byte* text = BootCommandLine.Option("uk.net.ip", out length);
            UsesDhcp = text == null || BootCommandLine.OptionEquals("uk.net.ip", "dhcp");
            if (UsesDhcp)
            {
                Address = 0;
                PrefixLength = 0;
                Gateway = 0;
                DnsCount = 0;
            }
            else
            {
                if (!TryParse(text, length, out value, out prefix, true)) return "uk.net.ip is not A.B.C.D[/prefix] or dhcp";
                Address = value;
                if (prefix >= 0) PrefixLength = prefix;
            }
            text = BootCommandLine.Option("uk.net.gateway", out length);
            if (text != null)
            {
                if (!TryParse(text, length, out value, out prefix, false)) return "uk.net.gateway is not A.B.C.D";
                Gateway = value;
                FixedGateway = true;
            }
            text = BootCommandLine.Option("uk.net.dns", out length);
            if (text != null)
            {
                DnsCount = 0;
                int start = 0;
                for (int i = 0; i <= length; i++)
                {
                    if (i < length && text[i] != ',') continue;
                    if (DnsCount == MaximumDnsServers || !TryParse(text + start, i - start, out value, out prefix, false))
                        return "uk.net.dns is not A.B.C.D[,A.B.C.D[,A.B.C.D]]";
                    DnsServers[DnsCount++] = value;
                    start = i + 1;
                }
                FixedDns = true;
            }
            text = BootCommandLine.Option("uk.net.ip6", out length);
            if (text != null)
            {
                if (length > 3 && text[length - 3] == '/' && text[length - 2] == '6' && text[length - 1] == '4') length -= 3;
                IpAddress global;
                if (!Ipv6Text.TryParse(text, length, out global) || global.IsAny || global.IsMulticast || global.IsV4)
                    return "uk.net.ip6 is not an IPv6 address[/64]";
                Ipv6.Global = global;
                Ipv6.OnLinkPrefix = global.High;
            }
            text = BootCommandLine.Option("uk.net.gateway6", out length);
            if (text != null)
            {
                IpAddress router;
                if (!Ipv6Text.TryParse(text, length, out router) || router.IsAny || router.IsMulticast) return "uk.net.gateway6 is not an IPv6 address";
                Ipv6.Router = router;
            }
            text = BootCommandLine.Option("uk.net.search", out length);
            if (text != null)
            {
                if (length >= NameCapacity) return "uk.net.search is too long";
                for (int i = 0; i < length; i++) Search[i] = text[i] == ',' ? (byte)' ' : text[i];
                SearchLength = length;
                FixedSearch = true;
            }
            text = BootCommandLine.Option("uk.hostname", out length);
            if (text != null)
            {
                if (length == 0 || length > 64) return "uk.hostname is empty or longer than 64 characters";
                SetHostName(text, length);
                FixedHostName = true;
            }
            return null;
        }

        /// <summary>What a DHCP server assigned (DhcpClient, on ACK); the command line's fixed values stay.</summary>
        public static void ApplyLease(uint address, int prefixLength, uint gateway, uint* dns, int dnsCount,
                                      byte* search, int searchLength, byte* hostName, int hostNameLength)
        {
            Address = address;
            PrefixLength = prefixLength;
            if (!FixedGateway) Gateway = gateway;
            if (!FixedDns)
            {
                DnsCount = dnsCount < MaximumDnsServers ? dnsCount : MaximumDnsServers;
                for (int i = 0; i < DnsCount; i++) DnsServers[i] = dns[i];
            }
            if (!FixedSearch && searchLength > 0)
            {
                SearchLength = searchLength < NameCapacity ? searchLength : NameCapacity - 1;
                for (int i = 0; i < SearchLength; i++) Search[i] = search[i];
            }
            if (!FixedHostName && hostNameLength > 0 && hostNameLength <= 64) SetHostName(hostName, hostNameLength);
        }

        /// <summary>The lease ended without renewal: no address until the next one.</summary>
        public static void ClearLease()
        {
            Address = 0;
            PrefixLength = 0;
            if (!FixedGateway) Gateway = 0;
        }

        private static void SetHostName(string name)
        {
            for (int i = 0; i < name.Length; i++) HostName[i] = (byte)name[i];
            HostNameLength = name.Length;
        }

        private static void SetHostName(byte* name, int length)
        {
            // A server may send a fully qualified name or pad with NULs; the node name is the first label.
            int n = 0;
            while (n < length && name[n] != 0 && name[n] != '.') n++;
            if (n == 0) return;
            for (int i = 0; i < n; i++) HostName[i] = name[i];
            HostNameLength = n;
        }

        /// <summary>"A.B.C.D" or (with <paramref name="allowPrefix"/>) "A.B.C.D/N"; prefix -1 when absent.</summary>
        public static bool TryParse(byte* text, int length, out uint address, out int prefix, bool allowPrefix)
        {
            address = 0;
            prefix = -1;
            int i = 0;
            for (int part = 0; part < 4; part++)
            {
                if (part > 0)
                {
                    if (i >= length || text[i] != '.') return false;
                    i++;
                }
                int digits = 0, number = 0;
                while (i < length && text[i] >= '0' && text[i] <= '9' && digits < 3)
                {
                    number = number * 10 + (text[i] - '0');
                    i++;
                    digits++;
                }
                if (digits == 0 || number > 255) return false;
                address = (address << 8) | (uint)number;
            }
            if (i == length) return true;
            if (!allowPrefix || text[i] != '/') return false;
            i++;
            int n = 0, count = 0;
            while (i < length && text[i] >= '0' && text[i] <= '9' && count < 2)
            {
                n = n * 10 + (text[i] - '0');
                i++;
                count++;
            }
            if (count == 0 || i != length || n > 32) return false;
            prefix = n;
            return true;
        }
    }
}
