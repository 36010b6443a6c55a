namespace Kernel.Net
{
    // What the transports (UDP, TCP) need from the IP layer without caring which version carries them: where
    // their header goes in an outgoing packet, the pseudo header of their checksum, the source address for a
    // destination, which addresses are ours, and the output itself.
    internal static unsafe class Ip
    {
        public static int PayloadOffset(IpAddress destination) => destination.IsV4 ? Ipv4.PayloadOffset : Ipv6.PayloadOffset;

        public static int MaximumPayload(IpAddress destination) => destination.IsV4 ? Ipv4.MaximumPayload : Ipv6.MaximumPayload;

        public static ulong PseudoHeader(IpAddress source, IpAddress destination, byte protocol, int length)
            => destination.IsV4 ? Checksum.PseudoHeader(source.V4, destination.V4, protocol, length)
                                : Checksum.PseudoHeader6(source, destination, protocol, length);

        /// <summary>Is <paramref name="address"/> one of ours (loopback included), so a socket may bind it?</summary>
        public static bool IsOurs(IpAddress address)
            => address.IsV4 ? address.V4 == NetworkConfiguration.Address || Ipv4.IsLoopback(address.V4) : Ipv6.IsOurs(address);

        /// <summary>Our address to send to <paramref name="destination"/> from.</summary>
        public static IpAddress SourceFor(IpAddress destination)
        {
            if (destination.IsV4) return Ipv4.IsLoopback(destination.V4) ? destination : (IpAddress)NetworkConfiguration.Address;
            return Ipv6.SourceFor(destination);
        }

        /// <summary>Sends <paramref name="payloadLength"/> bytes already at PayloadOffset(destination); takes the packet.</summary>
        public static void Output(Packet packet, byte protocol, IpAddress source, IpAddress destination, int payloadLength)
        {
            if (destination.IsV4) Ipv4.Output(packet, protocol, source.V4, destination.V4, payloadLength);
            else Ipv6.Output(packet, protocol, source, destination, payloadLength);
        }
    }
}
