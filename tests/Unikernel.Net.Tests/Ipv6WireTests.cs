using System;
using System.Linq;
using System.Text;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// IPv6 on the simulated Ethernet link: the router solicitation at start, SLAAC from a router advertisement,
// neighbour solicitations answered and asked, echo, a TCP handshake over IPv6 with the v6 pseudo header, and
// the address text forms.
public sealed unsafe class Ipv6WireTests : TcpTestBase
{
    private static readonly IpAddress Router = new(0xfe80_0000_0000_0000UL, 2);
    private static readonly IpAddress Peer = new(0xfec0_0000_0000_0000UL, 0x100);
    private static readonly IpAddress OurLinkLocal = new(0xfe80_0000_0000_0000UL, 0x5054_00ff_fe12_3456UL);   // from 52:54:00:12:34:56
    private static readonly IpAddress OurGlobal = new(0xfec0_0000_0000_0000UL, 0x5054_00ff_fe12_3456UL);
    private const ulong RouterMac = 0x5254_0012_3502, PeerMac = SimulatedLink.PeerMac;

    public Ipv6WireTests()
    {
        Ipv6.Global = default;
        Ipv6.Router = default;
        Ipv6.OnLinkPrefix = 0;
        for (int i = 0; i < NeighbourCache.Size; i++)   // neighbours an earlier test taught the (static) table
            if (!NeighbourCache.At(i).Address.IsAny && !NeighbourCache.At(i).Address.IsV4) NeighbourCache.Forget(NeighbourCache.At(i));
        Ipv6.Start(NetworkStack.HostMac);
    }

    public override void Dispose()
    {
        Ipv6.LinkLocal = default;
        Ipv6.Global = default;
        Ipv6.Router = default;
        Ipv6.OnLinkPrefix = 0;
        base.Dispose();
    }

    [Fact]
    public void StartAsksTheRoutersFromTheLinkLocalAddress()
    {
        Assert.Equal(OurLinkLocal, Ipv6.LinkLocal);
        byte[] rs = Link.Frames.Last();
        Assert.Equal(0x3333_0000_0002UL, Mac(rs, 0));
        AssertIcmp(rs, OurLinkLocal, new IpAddress(0xff02_0000_0000_0000UL, 2), 133);
        Assert.Equal(255, rs[14 + 7]);
    }

    [Fact]
    public void ARouterAdvertisementGivesAnAddressInItsPrefixAndTheDefaultRoute()
    {
        Link.InjectFrame(RouterAdvertisement());
        Assert.Equal(OurGlobal, Ipv6.Global);
        Assert.Equal(Router, Ipv6.Router);
        Assert.True(Neighbours.TryLookup(Router, out ulong mac));
        Assert.Equal(RouterMac, mac);

        // An advertisement that went through a router (hop limit under 255) counts for nothing (RFC 4861 6.1.2).
        Ipv6.Global = default;
        byte[] forwarded = RouterAdvertisement();
        forwarded[14 + 7] = 254;
        Link.InjectFrame(forwarded);
        Assert.True(Ipv6.Global.IsAny);
    }

    [Fact]
    public void ASolicitationForOurAddressIsAnsweredAndItsSenderLearnt()
    {
        Link.InjectFrame(RouterAdvertisement());
        int before = Link.Frames.Count;
        Link.InjectFrame(Icmp(PeerMac, Ndp.SolicitedNode(OurGlobal), Peer, Ndp.SolicitedNode(OurGlobal), 255, Solicitation(OurGlobal, PeerMac)));
        byte[] na = Link.Frames.Skip(before).Single();
        Assert.Equal(PeerMac, Mac(na, 0));
        AssertIcmp(na, OurGlobal, Peer, 136);
        Assert.Equal(0x60, na[54 + 4]);   // solicited, override
        Assert.Equal(OurGlobal, Address(na, 54 + 8));
        Assert.Equal(2, na[54 + 24]);
        Assert.Equal(NetworkStack.HostMac, Mac(na, 54 + 26));
        Assert.True(Neighbours.TryLookup(Peer, out ulong mac));
        Assert.Equal(PeerMac, mac);

        // A solicitation for someone else's address goes unanswered.
        before = Link.Frames.Count;
        Link.InjectFrame(Icmp(PeerMac, Ndp.SolicitedNode(OurGlobal), Peer, Ndp.SolicitedNode(OurGlobal), 255, Solicitation(new IpAddress(0xfec0_0000_0000_0000UL, 0x5054_00ff_fe00_0001UL), PeerMac)));
        Assert.Equal(before, Link.Frames.Count);
    }

    [Fact]
    public void AnEchoRequestIsAnsweredWithItsData()
    {
        Link.InjectFrame(RouterAdvertisement());
        LearnPeer();
        byte[] echo = [128, 0, 0, 0, 0x12, 0x34, 0, 7, .. Encoding.ASCII.GetBytes("ping6 payload")];
        int before = Link.Frames.Count;
        Link.InjectFrame(Icmp(PeerMac, NetworkStack.HostMac, Peer, OurGlobal, 64, echo));
        byte[] reply = Link.Frames.Skip(before).Single();
        AssertIcmp(reply, OurGlobal, Peer, 129);
        Assert.Equal(echo[4..], reply[(54 + 4)..(54 + echo.Length)]);
    }

    [Fact]
    public void AnUnknownNeighbourIsSolicitedAndTheWaitingDatagramLeavesOnTheAnswer()
    {
        Link.InjectFrame(RouterAdvertisement());
        var socket = new UdpSocket { Versions = IpVersions.V6 };
        var data = Encoding.ASCII.GetBytes("over the wire");
        int before = Link.Frames.Count;
        fixed (byte* p = data) Assert.Equal(data.Length, Udp.Send(socket, Peer, 9999, p, data.Length));
        byte[] ns = Link.Frames.Skip(before).Single();
        Assert.Equal(0x3333_ff00_0100UL, Mac(ns, 0));
        AssertIcmp(ns, OurGlobal, Ndp.SolicitedNode(Peer), 135);
        Assert.Equal(Peer, Address(ns, 54 + 8));

        before = Link.Frames.Count;
        byte[] na = new byte[32];
        na[0] = 136;
        na[4] = 0x60;
        fixed (byte* p = na) Peer.Write(p + 8);
        na[24] = 2;
        na[25] = 1;
        WireSegment.WriteMac(na, 26, PeerMac);
        Link.InjectFrame(Icmp(PeerMac, NetworkStack.HostMac, Peer, OurGlobal, 255, na));
        byte[] datagram = Link.Frames.Skip(before).Single();
        Assert.Equal(PeerMac, Mac(datagram, 0));
        Assert.Equal(0x86DD, WireSegment.Read16(datagram, 12));
        Assert.Equal(17, datagram[14 + 6]);
        Assert.Equal(0, TransportChecksum(datagram));
        Assert.Equal(data, datagram[(54 + 8)..(54 + 8 + data.Length)]);
        socket.Close();
    }

    [Fact]
    public void ASynOverIpv6IsAnsweredWithAnMssForIpv6()
    {
        Link.InjectFrame(RouterAdvertisement());
        LearnPeer();
        TcpListener listener = TcpProtocol.Listen(default, ServerPort, 4, out _, IpVersions.Both);
        byte[] syn = new byte[24];
        WireSegment.Write16(syn, 0, PeerPort);
        WireSegment.Write16(syn, 2, ServerPort);
        WireSegment.Write32(syn, 4, PeerIss);
        syn[12] = 6 << 4;
        syn[13] = 0x02;
        WireSegment.Write16(syn, 14, 65535);
        syn[20] = 2; syn[21] = 4; WireSegment.Write16(syn, 22, 1440);
        int before = Link.Frames.Count;
        Link.InjectFrame(Packet6(PeerMac, NetworkStack.HostMac, Peer, OurGlobal, 6, 64, syn));
        byte[] synAck = Link.Frames.Skip(before).Single();
        Assert.Equal(6, synAck[14 + 6]);
        Assert.Equal(0, TransportChecksum(synAck));
        Assert.Equal(0x12, synAck[54 + 13]);
        Assert.Equal(PeerIss + 1, WireSegment.Read32(synAck, 54 + 8));
        Assert.Equal(1440, WireSegment.Read16(synAck, 54 + 22));
        listener.Close();
    }

    [Fact]
    public void ADatagramToAClosedPortIsAnsweredWithPortUnreachableAndLoopbackNeverComesOffTheWire()
    {
        Link.InjectFrame(RouterAdvertisement());
        LearnPeer();
        byte[] datagram = new byte[8 + 5];
        WireSegment.Write16(datagram, 0, 5353);
        WireSegment.Write16(datagram, 2, 9);
        WireSegment.Write16(datagram, 4, (ushort)datagram.Length);
        byte[] frame = Packet6(PeerMac, NetworkStack.HostMac, Peer, OurGlobal, 17, 64, datagram);
        int before = Link.Frames.Count;
        Link.InjectFrame(frame);
        byte[] unreachable = Link.Frames.Skip(before).Single();
        AssertIcmp(unreachable, OurGlobal, Peer, 1);
        Assert.Equal(4, unreachable[54 + 1]);
        Assert.Equal(frame[14..], unreachable[(54 + 8)..]);   // the whole invoking packet, from its IPv6 header

        ulong dropped = NetCounters.Dropped(DropReason.IpAddress);
        before = Link.Frames.Count;
        Link.InjectFrame(Packet6(PeerMac, NetworkStack.HostMac, Peer, IpAddress.Loopback6, 17, 64, datagram));
        Assert.Equal(before, Link.Frames.Count);
        Assert.Equal(dropped + 1, NetCounters.Dropped(DropReason.IpAddress));
    }

    [Theory]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("FE80::5054:FF:FE12:3456", "fe80::5054:ff:fe12:3456")]
    [InlineData("fec0:0:0:0:0:0:0:2", "fec0::2")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6")]
    [InlineData("1::", "1::")]
    [InlineData("1:0:2::", "1:0:2::")]
    public void AddressesParseAndFormatCanonically(string text, string canonical)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        IpAddress address;
        fixed (byte* p = bytes) Assert.True(Ipv6Text.TryParse(p, bytes.Length, out address));
        char* output = stackalloc char[40];
        int length = Ipv6Text.Format(address, output);
        Assert.Equal(canonical, new string(output, 0, length));
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("12345::")]
    [InlineData("1:")]
    [InlineData("g::")]
    public void NonAddressesAreRejected(string text)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        fixed (byte* p = bytes) Assert.False(Ipv6Text.TryParse(p, bytes.Length, out _));
    }

    private void LearnPeer()
        => Link.InjectFrame(Icmp(PeerMac, Ndp.SolicitedNode(OurGlobal), Peer, Ndp.SolicitedNode(OurGlobal), 255, Solicitation(OurGlobal, PeerMac)));

    private static byte[] RouterAdvertisement()
    {
        var ra = new byte[16 + 8 + 32];
        ra[0] = 134;
        ra[4] = 64;
        WireSegment.Write16(ra, 6, 1800);   // router lifetime
        ra[16] = 1; ra[17] = 1; WireSegment.WriteMac(ra, 18, RouterMac);
        int p = 24;
        ra[p] = 3; ra[p + 1] = 4; ra[p + 2] = 64; ra[p + 3] = 0xC0;   // on-link, autonomous
        WireSegment.Write32(ra, p + 4, 86400);
        WireSegment.Write32(ra, p + 8, 14400);
        fixed (byte* b = ra) new IpAddress(0xfec0_0000_0000_0000UL, 0).Write(b + p + 16);
        return Icmp(RouterMac, 0x3333_0000_0001UL, Router, Ndp.AllNodes, 255, ra);
    }

    private static byte[] Solicitation(IpAddress target, ulong senderMac)
    {
        var ns = new byte[32];
        ns[0] = 135;
        fixed (byte* p = ns) target.Write(p + 8);
        ns[24] = 1; ns[25] = 1;
        WireSegment.WriteMac(ns, 26, senderMac);
        return ns;
    }

    private static byte[] Icmp(ulong sourceMac, IpAddress destinationGroup, IpAddress source, IpAddress destination, byte hopLimit, byte[] message)
        => Icmp(sourceMac, 0x3333_0000_0000UL | (destinationGroup.Low & 0xFFFF_FFFF), source, destination, hopLimit, message);

    private static byte[] Icmp(ulong sourceMac, ulong destinationMac, IpAddress source, IpAddress destination, byte hopLimit, byte[] message)
        => Packet6(sourceMac, destinationMac, source, destination, 58, hopLimit, message);

    // An IPv6 frame carrying an ICMPv6, UDP or TCP message, its checksum filled in.
    private static byte[] Packet6(ulong sourceMac, ulong destinationMac, IpAddress source, IpAddress destination, byte next, byte hopLimit, byte[] payload)
    {
        var f = new byte[54 + payload.Length];
        WireSegment.WriteMac(f, 0, destinationMac);
        WireSegment.WriteMac(f, 6, sourceMac);
        WireSegment.Write16(f, 12, 0x86DD);
        f[14] = 0x60;
        WireSegment.Write16(f, 18, (ushort)payload.Length);
        f[20] = next;
        f[21] = hopLimit;
        fixed (byte* p = f)
        {
            source.Write(p + 22);
            destination.Write(p + 38);
        }
        payload.CopyTo(f, 54);
        int at = next == 58 ? 2 : next == 17 ? 6 : 16;
        WireSegment.Write16(f, 54 + at, 0);
        WireSegment.Write16(f, 54 + at, WireSegment.Checksum(f, 54, payload.Length, Checksum.PseudoHeader6(source, destination, next, payload.Length)));
        return f;
    }

    private static void AssertIcmp(byte[] frame, IpAddress source, IpAddress destination, byte type)
    {
        Assert.Equal(0x86DD, WireSegment.Read16(frame, 12));
        Assert.Equal(0x60, frame[14] & 0xF0);
        Assert.Equal(58, frame[14 + 6]);
        Assert.Equal(source, Address(frame, 22));
        Assert.Equal(destination, Address(frame, 38));
        Assert.Equal(type, frame[54]);
        Assert.Equal(0, TransportChecksum(frame));
    }

    // The transport checksum over the frame's message and the v6 pseudo header: 0 when it is right.
    private static int TransportChecksum(byte[] frame)
    {
        int length = WireSegment.Read16(frame, 18);
        return WireSegment.Checksum(frame, 54, length, Checksum.PseudoHeader6(Address(frame, 22), Address(frame, 38), frame[20], length));
    }

    private static IpAddress Address(byte[] frame, int offset)
    {
        fixed (byte* p = frame) return IpAddress.Read(p + offset);
    }

    private static ulong Mac(byte[] frame, int offset)
    {
        ulong mac = 0;
        for (int i = 0; i < 6; i++) mac = (mac << 8) | frame[offset + i];
        return mac;
    }
}
