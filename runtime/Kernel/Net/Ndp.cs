namespace Kernel.Net
{
    // Neighbour discovery (RFC 4861) and stateless address autoconfiguration (RFC 4862) on the one link:
    // - solicitations for our addresses are answered (the asker's MAC learnt from its option), advertisements
    //   fill the neighbour table that Neighbours asks through SendSolicitation;
    // - at start a router solicitation goes to all routers (ff02::2); a router advertisement makes its sender
    //   the default router and, for a /64 prefix with the autonomous flag, gives us an address in it with the
    //   interface identifier of our link-local address (modified EUI-64 from the MAC, RFC 4291 2.5.1), unless
    //   uk.net.ip6 set one. Prefixes with the on-link flag are reached directly, everything else via the router.
    // Duplicate address detection is not done: the identifier comes from the card's MAC, unique on the link.
    internal static unsafe class Ndp
    {
        private const byte SourceLinkLayer = 1, TargetLinkLayer = 2, PrefixInformation = 3;
        private const byte Router = 0x80, Solicited = 0x40, Override = 0x20;
        private const byte OnLinkFlag = 0x80, AutonomousFlag = 0x40;
        public static ulong SolicitationsSent, AdvertisementsSent, RouterAdvertisements;

        /// <summary>Handles a checked ND message (the caller frees the packet).</summary>
        public static void Input(Packet packet, int offset, int length, IpAddress source, IpAddress destination, byte type)
        {
            byte* message = packet.Frame + offset;
            ulong now = Time.Clock.MonotonicNanoseconds;
            if (type == Icmpv6.NeighbourSolicitation && length >= 24)
            {
                IpAddress target = IpAddress.Read(message + 8);
                if (!Ipv6.IsOurs(target) || target.IsLoopback) return;
                ulong mac = LinkLayerOption(message + 24, length - 24, SourceLinkLayer);
                if (!source.IsAny && mac != 0) Neighbours.Learn(NeighbourCache.FindOrCreate(source, now), mac, now);
                SendAdvertisement(target, source.IsAny ? AllNodes : source, !source.IsAny);
            }
            else if (type == Icmpv6.NeighbourAdvertisement && length >= 24)
            {
                IpAddress target = IpAddress.Read(message + 8);
                NeighbourEntry entry = NeighbourCache.Find(target);
                ulong mac = LinkLayerOption(message + 24, length - 24, TargetLinkLayer);
                if (mac == 0) mac = NetBytes.ReadMac(packet.Frame + 6);
                if (entry != null) Neighbours.Learn(entry, mac, now);
            }
            else if (type == Icmpv6.RouterAdvertisement && length >= 16 && source.IsLinkLocal)
            {
                RouterAdvertisements++;
                ulong mac = LinkLayerOption(message + 16, length - 16, SourceLinkLayer);
                if (mac != 0) Neighbours.Learn(NeighbourCache.FindOrCreate(source, now), mac, now);
                if (NetBytes.Read16(message + 6) != 0 && Ipv6.Router.IsAny) Ipv6.Router = source;
                for (int at = 16; at + 8 <= length; )
                {
                    int optionLength = message[at + 1] * 8;
                    if (optionLength == 0 || at + optionLength > length) break;
                    if (message[at] == PrefixInformation && optionLength == 32) TakePrefix(message + at);
                    at += optionLength;
                }
            }
        }

        /// <summary>Asks the solicited-node group of <paramref name="target"/> for its MAC.</summary>
        public static void SendSolicitation(IpAddress target)
        {
            Packet packet = PacketPool.Allocate();
            if (packet == null) return;
            byte* message = packet.Frame + Ipv6.PayloadOffset;
            message[0] = Icmpv6.NeighbourSolicitation;
            message[1] = 0;
            *(uint*)(message + 4) = 0;
            target.Write(message + 8);
            WriteLinkLayerOption(message + 24, SourceLinkLayer);
            SolicitationsSent++;
            Icmpv6.Send(packet, Ipv6.SourceFor(target), SolicitedNode(target), 32, 255);
        }

        /// <summary>Asks all routers (ff02::2) to advertise now rather than at their next interval.</summary>
        public static void SendRouterSolicitation()
        {
            Packet packet = PacketPool.Allocate();
            if (packet == null) return;
            byte* message = packet.Frame + Ipv6.PayloadOffset;
            message[0] = Icmpv6.RouterSolicitation;
            message[1] = 0;
            *(uint*)(message + 4) = 0;
            WriteLinkLayerOption(message + 8, SourceLinkLayer);
            Icmpv6.Send(packet, Ipv6.LinkLocal, new IpAddress(0xFF02_0000_0000_0000UL, 2), 16, 255);
        }

        /// <summary>ff02::1:ffXX:XXXX, the group a solicitation for <paramref name="address"/> goes to.</summary>
        public static IpAddress SolicitedNode(IpAddress address) => new IpAddress(0xFF02_0000_0000_0000UL, 0x0000_0001_FF00_0000UL | (address.Low & 0xFF_FFFFUL));

        public static IpAddress AllNodes => new IpAddress(0xFF02_0000_0000_0000UL, 1);

        /// <summary>Our link-local address: fe80::/64 and the modified EUI-64 of <paramref name="mac"/>.</summary>
        public static IpAddress LinkLocalFor(ulong mac) => new IpAddress(0xFE80_0000_0000_0000UL, InterfaceIdentifier(mac));

        public static ulong InterfaceIdentifier(ulong mac)
        {
            ulong upper = (mac >> 24) ^ 0x02_0000UL;   // the first three bytes, universal/local bit flipped
            return (upper << 40) | (0xFFFEUL << 24) | (mac & 0xFF_FFFFUL);
        }

        private static void TakePrefix(byte* option)
        {
            int prefixLength = option[2];
            byte flags = option[3];
            uint validLifetime = NetBytes.Read32(option + 4);
            IpAddress prefix = IpAddress.Read(option + 16);
            if (prefixLength != 64 || validLifetime == 0 || prefix.IsLinkLocal) return;
            if ((flags & OnLinkFlag) != 0) Ipv6.OnLinkPrefix = prefix.High;
            if ((flags & AutonomousFlag) != 0 && Ipv6.Global.IsAny)
            {
                Ipv6.Global = new IpAddress(prefix.High, Ipv6.LinkLocal.Low);
                if (Ipv6.Reported) Ipv6.ReportAddresses();
            }
        }

        private static void SendAdvertisement(IpAddress target, IpAddress destination, bool solicited)
        {
            Packet packet = PacketPool.Allocate();
            if (packet == null) return;
            byte* message = packet.Frame + Ipv6.PayloadOffset;
            message[0] = Icmpv6.NeighbourAdvertisement;
            message[1] = 0;
            *(uint*)(message + 4) = 0;
            message[4] = (byte)(Override | (solicited ? Solicited : 0));
            target.Write(message + 8);
            WriteLinkLayerOption(message + 24, TargetLinkLayer);
            AdvertisementsSent++;
            Icmpv6.Send(packet, target, destination, 32, 255);
        }

        private static void WriteLinkLayerOption(byte* option, byte type)
        {
            option[0] = type;
            option[1] = 1;
            NetBytes.WriteMac(option + 2, NetworkStack.MacAddress);
        }

        /// <summary>The MAC in the first option of <paramref name="type"/>, or 0.</summary>
        private static ulong LinkLayerOption(byte* options, int length, byte type)
        {
            for (int at = 0; at + 8 <= length; )
            {
                int optionLength = options[at + 1] * 8;
                if (optionLength == 0 || at + optionLength > length) return 0;
                if (options[at] == type) return NetBytes.ReadMac(options + at + 2);
                at += optionLength;
            }
            return 0;
        }
    }
}
