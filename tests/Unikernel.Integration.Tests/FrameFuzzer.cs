using System.Buffers.Binary;

namespace Unikernel.Integration.Tests;

/// <summary>One way a frame is malformed, each built so that exactly one of the kernel's input checks rejects it.</summary>
internal enum FrameDefect
{
    TcpByteFlip, IpHeaderByteFlip, IpTruncated, IpTotalLengthTooLarge, IpHeaderLengthTooShort,
    TcpDataOffsetBad, TcpBadOption, UdpBadLength, UdpBadChecksum, IcmpBadChecksum, BogusArp, UnknownEtherType,
}

/// <summary>
/// Makes malformed frames for the guest out of the real ones on their way to it (FrameRelay): random byte flips, cuts,
/// impossible IPv4/TCP/UDP lengths, wrong checksums, malformed TCP options, bogus ARP, unknown EtherTypes. Where a
/// defect should reach a deeper check than the one it would trip first, the outer checksums are fixed up, so each
/// defect has exactly one reason the kernel must name when it drops it (<see cref="KernelReason"/>). At most
/// <paramref name="limit"/> frames, each real frame copied with probability <paramref name="rate"/>.
/// </summary>
internal sealed class FrameFuzzer(int limit, double rate)
{
    private const int Eth = 14, IpHeader = 20, TcpHeader = 20;
    private byte[]? _guestMac;

    public Dictionary<FrameDefect, int> Injected { get; } = [];
    public int Total => Injected.Values.Sum();
    public bool Enabled { get; set; } = true;

    /// <summary>The drop reason in the kernel's exit line (runtime/Kernel/Net/NetCounters.cs) for a defect.</summary>
    public static string KernelReason(FrameDefect defect) => defect switch
    {
        FrameDefect.TcpByteFlip => "tcp-checksum",
        FrameDefect.IpHeaderByteFlip => "ip-checksum",
        FrameDefect.IpTruncated or FrameDefect.IpTotalLengthTooLarge or FrameDefect.IpHeaderLengthTooShort => "ip-length",
        FrameDefect.TcpDataOffsetBad => "tcp-header",
        FrameDefect.TcpBadOption => "tcp-options",
        FrameDefect.UdpBadLength => "udp-length",
        FrameDefect.UdpBadChecksum => "udp-checksum",
        FrameDefect.IcmpBadChecksum => "icmp-malformed",
        FrameDefect.BogusArp => "arp-malformed",
        FrameDefect.UnknownEtherType => "ethertype",
        _ => throw new ArgumentOutOfRangeException(nameof(defect)),
    };

    /// <summary>Learns the guest's MAC from the frames it sends.</summary>
    public void Observe(byte[] frame, bool towardGuest)
    {
        if (!towardGuest && frame.Length >= Eth) _guestMac ??= frame[6..12];
    }

    /// <summary>A malformed frame to send the guest before <paramref name="frame"/>, or null.</summary>
    public byte[]? Next(byte[] frame, Random random)
    {
        if (!Enabled || _guestMac == null || Total >= limit || random.NextDouble() >= rate) return null;
        var candidates = new List<FrameDefect> { FrameDefect.BogusArp, FrameDefect.UnknownEtherType };
        bool ipv4 = frame.Length >= Eth + IpHeader && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == 0x0800
                    && frame[Eth] == 0x45 && frame.AsSpan(0, 6).SequenceEqual(_guestMac);
        int total = ipv4 ? BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(Eth + 2)) : 0;
        ipv4 &= total >= IpHeader && Eth + total <= frame.Length;
        if (ipv4)
        {
            candidates.AddRange([FrameDefect.IpHeaderByteFlip, FrameDefect.IpTotalLengthTooLarge, FrameDefect.IpHeaderLengthTooShort,
                                 FrameDefect.UdpBadLength, FrameDefect.UdpBadChecksum, FrameDefect.IcmpBadChecksum]);
            if (Eth + total > 60) candidates.Add(FrameDefect.IpTruncated);   // longer than a padded minimum frame
            if (frame[Eth + 9] == 6 && total >= IpHeader + TcpHeader)
            {
                candidates.AddRange([FrameDefect.TcpByteFlip, FrameDefect.TcpDataOffsetBad]);
                if (total <= 1400) candidates.Add(FrameDefect.TcpBadOption);
            }
        }
        var defect = candidates[random.Next(candidates.Count)];
        byte[] bad = Make(defect, ipv4 ? frame[..(Eth + total)] : frame, random);
        Injected[defect] = Injected.GetValueOrDefault(defect) + 1;
        return bad;
    }

    private byte[] Make(FrameDefect defect, byte[] f, Random random)
    {
        int total = f.Length - Eth;
        switch (defect)
        {
            case FrameDefect.TcpByteFlip:
                f[Eth + IpHeader + random.Next(total - IpHeader)] ^= (byte)random.Next(1, 256);
                return f;
            case FrameDefect.IpHeaderByteFlip:
            {
                // Not version/IHL (byte 0) nor the total length (2-3): those fail the length checks before the checksum.
                int[] offsets = [1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
                f[Eth + offsets[random.Next(offsets.Length)]] ^= (byte)random.Next(1, 256);
                return f;
            }
            case FrameDefect.IpTruncated:
                return f[..random.Next(Math.Max(Eth + IpHeader, 60), f.Length)];
            case FrameDefect.IpTotalLengthTooLarge:
                BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(Eth + 2), (ushort)random.Next(Math.Max(total, 46) + 1, 65536));
                FixIpChecksum(f);
                return f;
            case FrameDefect.IpHeaderLengthTooShort:
                f[Eth] = (byte)(0x40 | random.Next(0, 5));
                FixIpChecksum(f);
                return f;
            case FrameDefect.TcpDataOffsetBad:
            {
                // A header shorter than 20 bytes, or longer than the segment.
                int segment = total - IpHeader, longer = segment / 4 + 1;
                int words = longer <= 15 && random.Next(2) == 0 ? random.Next(longer, 16) : random.Next(0, 5);
                f[Eth + IpHeader + 12] = (byte)((words << 4) | (f[Eth + IpHeader + 12] & 0x0F));
                FixTransportChecksum(f, 16);
                return f;
            }
            case FrameDefect.TcpBadOption:
            {
                // The segment re-made with a 24-byte header whose one option is malformed: a length below 2, or past the header.
                int tcp = Eth + IpHeader, oldHeader = (f[tcp + 12] >> 4) * 4;
                byte[] payload = f[Math.Min(f.Length, tcp + oldHeader)..];
                byte[] g = new byte[tcp + 24 + payload.Length];
                f.AsSpan(0, tcp + TcpHeader).CopyTo(g);
                g[tcp + 12] = (byte)((6 << 4) | (f[tcp + 12] & 0x0F));
                g[tcp + 20] = (byte)random.Next(2, 256);
                int[] lengths = [0, 1, random.Next(5, 256)];
                g[tcp + 21] = (byte)lengths[random.Next(lengths.Length)];
                g[tcp + 22] = (byte)random.Next(256);
                g[tcp + 23] = (byte)random.Next(256);
                payload.CopyTo(g, tcp + 24);
                BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(Eth + 2), (ushort)(g.Length - Eth));
                FixIpChecksum(g);
                FixTransportChecksum(g, 16);
                return g;
            }
            case FrameDefect.UdpBadLength or FrameDefect.UdpBadChecksum or FrameDefect.IcmpBadChecksum:
            {
                // A new datagram from the frame's sender to the guest, in place of the frame's payload.
                int dataLength = random.Next(0, 33);
                byte protocol = defect == FrameDefect.IcmpBadChecksum ? (byte)1 : (byte)17;
                byte[] g = new byte[Math.Max(60, Eth + IpHeader + 8 + dataLength)];
                f.AsSpan(0, Eth + IpHeader).CopyTo(g);
                int ipLength = IpHeader + 8 + dataLength;
                BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(Eth + 2), (ushort)ipLength);
                g[Eth + 9] = protocol;
                int t = Eth + IpHeader;
                random.NextBytes(g.AsSpan(t, 8 + dataLength));
                if (protocol == 17)
                {
                    bool tooShort = random.Next(2) == 0;
                    int udpLength = defect == FrameDefect.UdpBadChecksum ? 8 + dataLength
                                  : tooShort ? random.Next(0, 8) : 8 + dataLength + random.Next(1, 1000);
                    BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(t + 4), (ushort)udpLength);
                    if (defect == FrameDefect.UdpBadChecksum) { FixTransportChecksum(g, 6); Spoil(g, t + 6); }
                }
                else
                {
                    g[t] = 8;   // echo request
                    g[t + 1] = 0;
                    FixTransportChecksum(g, 2);
                    Spoil(g, t + 2);
                }
                FixIpChecksum(g);
                return g;
            }
            case FrameDefect.BogusArp:
            {
                // An ARP request for anyone, with one of the fields the kernel checks wrong.
                byte[] g = new byte[60];
                _guestMac!.CopyTo(g, 0);
                random.NextBytes(g.AsSpan(6, 6));
                g[6] &= 0xFE;
                BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(12), 0x0806);
                random.NextBytes(g.AsSpan(Eth, 28));
                BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(Eth), 1);
                BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(Eth + 2), 0x0800);
                g[Eth + 4] = 6;
                g[Eth + 5] = 4;
                switch (random.Next(4))
                {
                    case 0: BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(Eth), (ushort)random.Next(2, 65536)); break;
                    case 1: BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(Eth + 2), (ushort)(0x0800 ^ random.Next(1, 65536))); break;
                    case 2: g[Eth + 4] = (byte)(6 ^ random.Next(1, 256)); break;
                    default: g[Eth + 5] = (byte)(4 ^ random.Next(1, 256)); break;
                }
                return g;
            }
            case FrameDefect.UnknownEtherType:
            {
                byte[] g = new byte[60];
                _guestMac!.CopyTo(g, 0);
                random.NextBytes(g.AsSpan(6));
                g[6] &= 0xFE;
                ushort type;
                do type = (ushort)random.Next(0x0600, 65536); while (type is 0x0800 or 0x0806);
                BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(12), type);
                return g;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(defect));
    }

    /// <summary>Makes a right checksum wrong: never its ones'-complement twin, never 0 (which means "none" in UDP).</summary>
    private static void Spoil(byte[] g, int at)
    {
        ushort right = BinaryPrimitives.ReadUInt16BigEndian(g.AsSpan(at));
        ushort wrong = (ushort)(right ^ 0x00FF);
        if (wrong == 0 || wrong == 0xFFFF) wrong = (ushort)(right ^ 0x0F00);
        BinaryPrimitives.WriteUInt16BigEndian(g.AsSpan(at), wrong);
    }

    private static void FixIpChecksum(byte[] f)
    {
        f[Eth + 10] = f[Eth + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(Eth + 10), (ushort)~Sum(f.AsSpan(Eth, IpHeader), 0));
    }

    /// <summary>Recomputes a TCP/UDP/ICMP checksum at <paramref name="field"/> in the transport header (pseudo-header for TCP and UDP).</summary>
    private static void FixTransportChecksum(byte[] f, int field)
    {
        int t = Eth + IpHeader;
        int length = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(Eth + 2)) - IpHeader;
        byte protocol = f[Eth + 9];
        f[t + field] = f[t + field + 1] = 0;
        uint sum = 0;
        if (protocol != 1) sum = Sum(f.AsSpan(Eth + 12, 8), (uint)(protocol + length));
        ushort checksum = (ushort)~Sum(f.AsSpan(t, length), sum);
        if (protocol == 17 && checksum == 0) checksum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(t + field), checksum);
    }

    private static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return sum;
    }
}
