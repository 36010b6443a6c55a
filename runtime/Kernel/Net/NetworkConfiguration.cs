using Kernel.Boot;

namespace Kernel.Net
{
    // The interface's IPv4 configuration: static, by default what QEMU's user networking (slirp) hands out
    // by DHCP -- 10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3 -- and overridable with kernel options:
    // uk.net.ip=A.B.C.D[/prefix], uk.net.gateway=A.B.C.D, uk.net.dns=A.B.C.D. Addresses are host-order uints.
    internal static unsafe class NetworkConfiguration
    {
        public static uint Address = Make(10, 0, 2, 15);
        public static int PrefixLength = 24;
        public static uint Gateway = Make(10, 0, 2, 2);
        public static uint Dns = Make(10, 0, 2, 3);

        public static uint Netmask => PrefixLength == 0 ? 0 : 0xFFFF_FFFFu << (32 - PrefixLength);
        public static uint Broadcast => Address | ~Netmask;

        public static bool IsOnLink(uint address) => (address & Netmask) == (Address & Netmask);

        public static uint Make(int a, int b, int c, int d) => ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | (uint)d;

        /// <summary>Reads the uk.net.* options; null, or what is wrong with one.</summary>
        public static string Load()
        {
            int length, prefix;
            uint value;
            byte* text = BootCommandLine.Option("uk.net.ip", out length);
            if (text != null)
            {
                if (!TryParse(text, length, out value, out prefix, true)) return "uk.net.ip is not A.B.C.D[/prefix]";
                Address = value;
                if (prefix >= 0) PrefixLength = prefix;
            }
            text = BootCommandLine.Option("uk.net.gateway", out length);
            if (text != null)
            {
                if (!TryParse(text, length, out value, out prefix, false)) return "uk.net.gateway is not A.B.C.D";
                Gateway = value;
            }
            text = BootCommandLine.Option("uk.net.dns", out length);
            if (text != null)
            {
                if (!TryParse(text, length, out value, out prefix, false)) return "uk.net.dns is not A.B.C.D";
                Dns = value;
            }
            return null;
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
