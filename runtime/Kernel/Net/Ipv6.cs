using Kernel.Net.Tcp;

namespace Kernel.Net
{
    // IPv6 (RFC 8200): the fixed 40-byte header; of the extension headers, hop-by-hop and destination options
    // and a finished routing header are skipped, fragments are dropped (IPv6 routers never fragment, and we
    // send no more than the link's 1500 bytes). Received packets to one of our addresses, to all nodes
    // (ff02::1) or to our solicited-node groups go to TCP, UDP or ICMPv6. Output builds the header in front
    // of a payload written at PayloadOffset; ::1 and our own addresses go through the loopback queue,
    // link-local and on-link destinations straight to their neighbour, the rest to the router (Ndp).
    // Addresses: link-local from the MAC when the card comes up (Start), global from uk.net.ip6 or SLAAC.
    internal static unsafe class Ipv6
    {
        public const int HeaderSize = 40;
        public const int PayloadOffset = Ethernet.HeaderSize + HeaderSize;
        public const int MaximumPayload = 1500 - HeaderSize;
        public const byte ProtocolIcmp6 = 58;
        private const byte HopByHop = 0, Routing = 43, Fragment = 44, DestinationOptions = 60, NoNextHeader = 59;
        public const byte DefaultHopLimit = 64;

        /// <summary>Our link-local address (fe80::/64 from the MAC), :: without a card.</summary>
        public static IpAddress LinkLocal;
        /// <summary>Our global address (static or SLAAC), :: while there is none.</summary>
        public static IpAddress Global;
        /// <summary>The default router (static, or the first that advertised itself), :: for none.</summary>
        public static IpAddress Router;
        /// <summary>The upper 64 bits of the on-link /64 prefix (a router's or uk.net.ip6's), 0 for none.</summary>
        public static ulong OnLinkPrefix;
        public static ulong Received, Sent, Dropped;

        public static bool IsOurs(IpAddress address)
            => address == IpAddress.Loopback6 || !address.IsAny && (address == LinkLocal || address == Global);

        public static IpAddress SourceFor(IpAddress destination)
        {
            if (destination == IpAddress.Loopback6) return destination;
            if (IsOurs(destination)) return destination;
            return destination.IsLinkLocal || Global.IsAny ? LinkLocal : Global;
        }

        /// <summary>The card is up: our link-local address, then ask the routers for theirs (SLAAC).</summary>
        public static void Start(ulong mac)
        {
            LinkLocal = Ndp.LinkLocalFor(mac);
            Ndp.SendRouterSolicitation();
        }

        /// <summary>Has the boot log shown the addresses (later changes are shown as they come)?</summary>
        public static bool Reported;

        /// <summary>A "net: ipv6 ..." line: our addresses and router so far.</summary>
        public static void ReportAddresses()
        {
            Reported = true;
            Console.KernelConsole.Prefix();
            Console.KernelConsole.Write("net: ipv6 ");
            Ipv6Text.Write(LinkLocal);
            if (!Global.IsAny)
            {
                Console.KernelConsole.Write(" ");
                Ipv6Text.Write(Global);
            }
            if (!Router.IsAny)
            {
                Console.KernelConsole.Write(" router ");
                Ipv6Text.Write(Router);
            }
            Console.KernelConsole.WriteLine();
        }

        /// <summary>Can a packet to <paramref name="destination"/> leave (or loop back)?</summary>
        public static bool Reachable(IpAddress destination)
            => IsOurs(destination) || !LinkLocal.IsAny && (destination.IsLinkLocal || destination.IsMulticast || IsOnLink(destination) || !Router.IsAny);

        private static bool IsOnLink(IpAddress address) => OnLinkPrefix != 0 && address.High == OnLinkPrefix;

        private static bool IsOurGroup(IpAddress address)
            => address == Ndp.AllNodes || !LinkLocal.IsAny && address == Ndp.SolicitedNode(LinkLocal) || !Global.IsAny && address == Ndp.SolicitedNode(Global);

        /// <summary>A received packet (<paramref name="fromWire"/>: off the card, not the loopback queue); takes it.</summary>
        public static void Input(Packet packet, bool fromWire)
        {
            byte* ip = packet.Frame + Ethernet.HeaderSize;
            int available = packet.FrameLength - Ethernet.HeaderSize;
            if (available < HeaderSize || (ip[0] >> 4) != 6) { Drop(packet, DropReason.IpHeader); return; }
            int payloadLength = NetBytes.Read16(ip + 4);
            if (HeaderSize + payloadLength > available) { Drop(packet, DropReason.IpLength); return; }
            IpAddress source = IpAddress.Read(ip + 8);
            IpAddress destination = IpAddress.Read(ip + 24);
            if (!IsOurs(destination) && !IsOurGroup(destination)) { Drop(packet, DropReason.IpAddress); return; }
            // RFC 4291 2.5.3: ::1 never comes off a wire.
            if (fromWire && (destination.IsLoopback || source.IsLoopback)) { Drop(packet, DropReason.IpAddress); return; }
            int hopLimit = ip[7];
            byte next = ip[6];
            int offset = Ethernet.HeaderSize + HeaderSize;
            int end = offset + payloadLength;
            while (next == HopByHop || next == DestinationOptions || next == Routing)
            {
                if (end - offset < 8) { Drop(packet, DropReason.IpLength); return; }
                byte* extension = packet.Frame + offset;
                if (next == Routing && extension[3] != 0) { Drop(packet, DropReason.IpProtocol); return; }   // segments left: we route nothing
                int length = (extension[1] + 1) * 8;
                if (length > end - offset) { Drop(packet, DropReason.IpLength); return; }
                next = extension[0];
                offset += length;
            }
            if (next == Fragment) { Drop(packet, DropReason.IpFragment); return; }
            Received++;
            switch (next)
            {
                case Ipv4.ProtocolTcp: TcpProtocol.Input(packet, offset, end - offset, source, destination); break;
                case Ipv4.ProtocolUdp: Udp.Input(packet, offset, end - offset, source, destination); break;
                case ProtocolIcmp6: Icmpv6.Input(packet, offset, end - offset, source, destination, hopLimit); break;
                case NoNextHeader: PacketPool.Free(packet); break;
                default: Drop(packet, DropReason.IpProtocol); break;
            }
        }

        /// <summary>Sends <paramref name="payloadLength"/> bytes already at Frame + PayloadOffset; takes the packet.</summary>
        public static void Output(Packet packet, byte protocol, IpAddress source, IpAddress destination, int payloadLength)
            => Output(packet, protocol, source, destination, payloadLength, DefaultHopLimit);

        public static void Output(Packet packet, byte protocol, IpAddress source, IpAddress destination, int payloadLength, byte hopLimit)
        {
            if (source.IsAny) source = SourceFor(destination);
            byte* ip = packet.Frame + Ethernet.HeaderSize;
            ip[0] = 0x60;
            ip[1] = 0;
            ip[2] = 0;
            ip[3] = 0;
            NetBytes.Write16(ip + 4, (ushort)payloadLength);
            ip[6] = protocol;
            ip[7] = hopLimit;
            source.Write(ip + 8);
            destination.Write(ip + 24);
            Sent++;
            if (IsOurs(destination))
            {
                packet.FrameLength = Ethernet.HeaderSize + HeaderSize + payloadLength;
                NetBytes.WriteMac(packet.Frame, NetworkStack.MacAddress);
                NetBytes.Write16(packet.Frame + 12, Ethernet.TypeIpv6);
                NetworkStack.Loopback(packet);
                return;
            }
            IpAddress nextHop = destination.IsLinkLocal || destination.IsMulticast || IsOnLink(destination) ? destination : Router;
            if (nextHop.IsAny || NetworkStack.MacAddress == 0) { Drop(packet, DropReason.IpAddress); return; }   // no route
            Neighbours.Output(packet, nextHop, HeaderSize + payloadLength);
        }

        private static void Drop(Packet packet, DropReason reason)
        {
            Dropped++;
            NetCounters.Drop(reason);
            PacketPool.Free(packet);
        }
    }
}
