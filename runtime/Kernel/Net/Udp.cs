using Kernel.LinuxAbi;

namespace Kernel.Net
{
    // UDP (RFC 768): datagrams to a bound port are queued on its socket; the checksum is checked when the
    // sender set one and always set on output. Ports are bound explicitly or picked from the ephemeral
    // range (49152-65535, as IANA and Linux's default ip_local_port_range end). A datagram to a port nobody
    // has bound is answered with ICMP port unreachable, which is what makes a client's recv fail fast.
    internal static unsafe class Udp
    {
        public const int HeaderSize = 8;
        /// <summary>The largest datagram without fragmentation (IPv4's; IPv6's header leaves 20 bytes less).</summary>
        public const int MaximumPayload = Ipv4.MaximumPayload - HeaderSize;
        private const ushort FirstEphemeral = 49152;

        private static UdpSocket s_bound;
        private static ushort s_nextEphemeral = FirstEphemeral;
        public static ulong Received, Sent, NoPort, BadChecksum;

        public static void Input(Packet packet, int offset, int length, IpAddress source, IpAddress destination)
        {
            byte* header = packet.Frame + offset;
            if (length < HeaderSize) { NetCounters.Drop(DropReason.UdpLength); PacketPool.Free(packet); return; }
            int udpLength = NetBytes.Read16(header + 4);
            if (udpLength < HeaderSize || udpLength > length) { NetCounters.Drop(DropReason.UdpLength); PacketPool.Free(packet); return; }
            // IPv6 makes the checksum mandatory (RFC 8200 8.1): a zero one is invalid there.
            if ((NetBytes.Read16(header + 6) != 0 || !destination.IsV4) && !packet.ChecksumVerified)
            {
                ulong sum = Ip.PseudoHeader(source, destination, Ipv4.ProtocolUdp, udpLength);
                if (Checksum.Finish(Checksum.Add(sum, header, udpLength)) != 0)
                {
                    BadChecksum++;
                    NetCounters.Drop(DropReason.UdpChecksum);
                    PacketPool.Free(packet);
                    return;
                }
            }
            ushort sourcePort = NetBytes.Read16(header);
            ushort destinationPort = NetBytes.Read16(header + 2);
            UdpSocket socket = Lookup(destinationPort, destination, source, sourcePort);
            if (socket == null)
            {
                NoPort++;
                NetCounters.Drop(DropReason.UdpNoPort);
                if (destination.IsV4 && Ip.IsOurs(destination))
                    Icmp.SendUnreachable(packet, offset, Icmp.PortUnreachable, source.V4);
                else if (!destination.IsV4 && Ip.IsOurs(destination))
                    Icmpv6.SendPortUnreachable(packet, destination, source);
                PacketPool.Free(packet);
                return;
            }
            Received++;
            packet.DataOffset = Packet.FrameOffset + offset + HeaderSize;
            packet.DataLength = udpLength - HeaderSize;
            packet.PeerAddress = source;
            packet.PeerPort = sourcePort;
            socket.Enqueue(packet);
        }

        /// <summary>Binds <paramref name="socket"/> to <paramref name="port"/> (0: an ephemeral one). 0 or -errno (EADDRINUSE).</summary>
        public static long Bind(UdpSocket socket, IpAddress address, ushort port, bool reuse)
        {
            if (socket.Bound) return -LinuxAbi.Errno.EINVAL;
            if (port == 0)
            {
                for (int attempt = 0; attempt < 16384 && port == 0; attempt++)
                {
                    ushort candidate = s_nextEphemeral;
                    s_nextEphemeral = s_nextEphemeral == 65535 ? FirstEphemeral : (ushort)(s_nextEphemeral + 1);
                    if (!InUse(candidate, address, socket.Versions)) port = candidate;
                }
                if (port == 0) return -Errno.EADDRINUSE;
            }
            else if (!reuse && InUse(port, address, socket.Versions)) return -Errno.EADDRINUSE;
            socket.LocalAddress = address;
            socket.LocalPort = port;
            socket.Bound = true;
            socket.NextBound = s_bound;
            s_bound = socket;
            return 0;
        }

        public static void Unbind(UdpSocket socket)
        {
            if (!socket.Bound) return;
            if (s_bound == socket) s_bound = socket.NextBound;
            else
                for (UdpSocket s = s_bound; s != null; s = s.NextBound)
                    if (s.NextBound == socket) { s.NextBound = socket.NextBound; break; }
            socket.NextBound = null;
            socket.Bound = false;
        }

        /// <summary>Sends one datagram of <paramref name="length"/> bytes; the bytes sent or -errno.</summary>
        public static long Send(UdpSocket socket, IpAddress destination, ushort destinationPort, byte* data, int length)
        {
            if (length < 0 || length > Ip.MaximumPayload(destination) - HeaderSize) return -Errno.EMSGSIZE;
            if (!socket.Bound)
            {
                long bound = Bind(socket, 0, 0, false);
                if (bound < 0) return bound;
            }
            Packet packet = PacketPool.Allocate();
            if (packet == null) return -Errno.ENOBUFS;
            IpAddress source = !socket.LocalAddress.IsAny ? socket.LocalAddress : Ip.SourceFor(destination);
            byte* header = packet.Frame + Ip.PayloadOffset(destination);
            NetBytes.Write16(header, socket.LocalPort);
            NetBytes.Write16(header + 2, destinationPort);
            NetBytes.Write16(header + 4, (ushort)(HeaderSize + length));
            NetBytes.Write16(header + 6, 0);
            if (length > 0) NetBytes.Copy(data, header + HeaderSize, length);
            ulong sum = Ip.PseudoHeader(source, destination, Ipv4.ProtocolUdp, HeaderSize + length);
            ushort checksum = Checksum.Finish(Checksum.Add(sum, header, HeaderSize + length));
            NetBytes.Write16(header + 6, checksum == 0 ? (ushort)0xFFFF : checksum);
            Sent++;
            Ip.Output(packet, Ipv4.ProtocolUdp, source, destination, HeaderSize + length);
            return length;
        }

        private static UdpSocket Lookup(ushort port, IpAddress destination, IpAddress source, ushort sourcePort)
        {
            UdpSocket fallback = null;
            int version = destination.IsV4 ? IpVersions.V4 : IpVersions.V6;
            for (UdpSocket s = s_bound; s != null; s = s.NextBound)
            {
                if (s.LocalPort != port || (s.Versions & version) == 0) continue;
                if (!s.LocalAddress.IsAny && s.LocalAddress != destination && !(destination.IsV4 && destination.IsLoopback && s.LocalAddress.IsV4)) continue;
                if (!s.RemoteAddress.IsAny)
                {
                    if (s.RemoteAddress == source && s.RemotePort == sourcePort) return s;
                    continue;
                }
                if (fallback == null) fallback = s;
            }
            return fallback;
        }

        private static bool InUse(ushort port, IpAddress address, int versions)
        {
            for (UdpSocket s = s_bound; s != null; s = s.NextBound)
                if (s.LocalPort == port && IpVersions.Meet(s.Versions, versions) && (s.LocalAddress.IsAny || address.IsAny || s.LocalAddress == address)) return true;
            return false;
        }
    }
}
