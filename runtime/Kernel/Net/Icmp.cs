namespace Kernel.Net
{
    // ICMP (RFC 792), the parts a host needs: it answers echo requests (ping) and sends its own, noting
    // each echo reply for whoever waits on it (the net-ping self-test; an ICMP socket later). Other
    // messages (unreachable, time exceeded) are counted and dropped.
    internal static unsafe class Icmp
    {
        public const byte EchoReply = 0, DestinationUnreachable = 3, EchoRequest = 8;
        public const byte PortUnreachable = 3;
        private const int HeaderSize = 8;

        public static ulong EchoRequestsAnswered, EchoRepliesReceived, OtherMessages;

        /// <summary>The last echo reply: who sent it, its identifier and sequence number, and when it arrived (monotonic ns).</summary>
        public static uint LastReplySource;
        public static ushort LastReplyIdentifier, LastReplySequence;
        public static ulong LastReplyTime;

        public static void Input(Packet packet, int offset, int length, uint source, uint destination)
        {
            byte* message = packet.Frame + offset;
            if (length < HeaderSize || Checksum.Compute(message, length) != 0)
            {
                NetCounters.Drop(DropReason.IcmpMalformed);
                PacketPool.Free(packet);
                return;
            }
            byte type = message[0];
            if (type == EchoRequest && (destination == NetworkConfiguration.Address || Ipv4.IsLoopback(destination)))
            {
                Packet reply = PacketPool.Allocate();
                if (reply != null)
                {
                    byte* output = reply.Frame + Ipv4.PayloadOffset;
                    NetBytes.Copy(message, output, length);
                    output[0] = EchoReply;
                    output[1] = 0;
                    NetBytes.Write16(output + 2, 0);
                    NetBytes.Write16(output + 2, Checksum.Compute(output, length));
                    EchoRequestsAnswered++;
                    Ipv4.Output(reply, Ipv4.ProtocolIcmp, destination, source, length);
                }
            }
            else if (type == EchoReply)
            {
                EchoRepliesReceived++;
                LastReplySource = source;
                LastReplyIdentifier = NetBytes.Read16(message + 4);
                LastReplySequence = NetBytes.Read16(message + 6);
                LastReplyTime = Time.Clock.MonotonicNanoseconds;
            }
            else OtherMessages++;
            PacketPool.Free(packet);
        }

        /// <summary>
        /// Destination unreachable with <paramref name="code"/> about the datagram in <paramref name="original"/> (whose
        /// transport header is at Frame + <paramref name="transportOffset"/>): its IP header and first 8 payload bytes.
        /// The original stays the caller's.
        /// </summary>
        public static void SendUnreachable(Packet original, int transportOffset, byte code, uint destination)
        {
            byte* ip = original.Frame + Ethernet.HeaderSize;
            int quoted = transportOffset - Ethernet.HeaderSize + 8;
            if (original.FrameLength < transportOffset + 8) return;
            Packet packet = PacketPool.Allocate();
            if (packet == null) return;
            byte* message = packet.Frame + Ipv4.PayloadOffset;
            message[0] = DestinationUnreachable;
            message[1] = code;
            NetBytes.Write32(message + 2, 0);
            NetBytes.Write16(message + 6, 0);
            NetBytes.Copy(ip, message + HeaderSize, quoted);
            NetBytes.Write16(message + 2, Checksum.Compute(message, HeaderSize + quoted));
            Ipv4.Output(packet, Ipv4.ProtocolIcmp, 0, destination, HeaderSize + quoted);
        }

        /// <summary>Sends an echo request with <paramref name="dataLength"/> bytes of pattern data; false without a free packet.</summary>
        public static bool SendEchoRequest(uint destination, ushort identifier, ushort sequence, int dataLength)
        {
            if (dataLength < 0 || dataLength > Ipv4.MaximumPayload - HeaderSize) return false;
            Packet packet = PacketPool.Allocate();
            if (packet == null) return false;
            byte* message = packet.Frame + Ipv4.PayloadOffset;
            message[0] = EchoRequest;
            message[1] = 0;
            NetBytes.Write16(message + 2, 0);
            NetBytes.Write16(message + 4, identifier);
            NetBytes.Write16(message + 6, sequence);
            for (int i = 0; i < dataLength; i++) message[HeaderSize + i] = (byte)(i + 0x10);
            NetBytes.Write16(message + 2, Checksum.Compute(message, HeaderSize + dataLength));
            Ipv4.Output(packet, Ipv4.ProtocolIcmp, 0, destination, HeaderSize + dataLength);
            return true;
        }
    }
}
