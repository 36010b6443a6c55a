using System;
using System.Linq;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// IPv6 in the stack without a wire: the address type TCP and UDP key on (IPv4 as ::ffff:a.b.c.d, 0 as ::),
// the v6 pseudo header, and TCP and UDP over ::1 through the loopback queue, kept apart from IPv4's 127.0.0.1
// on the same ports.
public sealed unsafe class Ipv6LoopbackTests : TcpTestBase
{
    private const ushort Port = 7070;

    [Fact]
    public void Ipv4AddressesAreMappedAndZeroIsTheWildcard()
    {
        IpAddress mapped = 0x7F000001u;
        Assert.True(mapped.IsV4);
        Assert.Equal(0x7F000001u, mapped.V4);
        Assert.Equal(0x0000_FFFF_7F00_0001UL, mapped.Low);
        Assert.True(mapped.IsLoopback);
        IpAddress any = 0u;
        Assert.True(any.IsAny);
        Assert.False(any.IsV4);
        Assert.True(IpAddress.Loopback6.IsLoopback);
        Assert.False(IpAddress.Loopback6.IsV4);
        Assert.True(mapped != IpAddress.Loopback6);

        byte[] linkLocal = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56];
        IpAddress read;
        fixed (byte* p = linkLocal) read = IpAddress.Read(p);
        Assert.True(read.IsLinkLocal);
        Assert.Equal(0xfe80_0000_0000_0000UL, read.High);
        var written = new byte[16];
        fixed (byte* p = written) read.Write(p);
        Assert.Equal(linkLocal, written);
    }

    [Fact]
    public void TheIpv6PseudoHeaderSumsAddressesLengthAndNextHeader()
    {
        var source = new IpAddress(0xfe80_0000_0000_0000UL, 0x5054_00ff_fe12_3456UL);
        var destination = new IpAddress(0xff02_0000_0000_0000UL, 0x0000_0001_ff12_3456UL);
        // By hand: the 16-bit words of both addresses, the upper-layer length (32) and the next header (58).
        ulong expected = 0xfe80 + 0x5054 + 0x00ff + 0xfe12 + 0x3456 + 0xff02 + 0x0001 + 0xff12 + 0x3456 + 32 + 58;
        Assert.Equal(expected, Checksum.PseudoHeader6(source, destination, 58, 32));
    }

    [Fact]
    public void TcpOverTheIpv6LoopbackIsItsOwnConnectionBesideIpv4s()
    {
        TcpListener six = TcpProtocol.Listen(IpAddress.Loopback6, Port, 4, out long error, IpVersions.V6);
        Assert.NotNull(six);
        TcpListener four = TcpProtocol.Listen(0x7F000001u, Port, 4, out error, IpVersions.V4);
        Assert.NotNull(four);   // the same port: the versions do not meet
        Assert.Null(TcpProtocol.Listen(0, Port, 4, out error, IpVersions.Both));

        TcpConnection client = TcpProtocol.Connect(default, 0, IpAddress.Loopback6, Port, out error);
        Assert.NotNull(client);
        Link.RunUntil(() => client.State == TcpState.Established, 100 * SimulatedLink.Millisecond);
        TcpConnection server = six.Accept();
        Assert.NotNull(server);
        Assert.Null(four.Accept());
        Assert.Equal(IpAddress.Loopback6, server.RemoteAddress);
        Assert.Equal(IpAddress.Loopback6, client.LocalAddress);
        Assert.Equal(client.LocalPort, server.RemotePort);
        Assert.Equal(1440, client.Mss);   // 1500 - 40 - 20

        var payload = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal(payload.Length, Write(client, payload));
        var received = new System.Collections.Generic.List<byte>();
        Link.RunUntil(() => { received.AddRange(Read(server)); return received.Count == payload.Length; }, 1000 * SimulatedLink.Millisecond);
        Assert.Equal(payload, received.ToArray());
        Assert.Empty(Link.Sent);   // nothing left for the card

        TcpConnection fromFour = TcpProtocol.Connect(default, 0, 0x7F000001u, Port, out error);
        Link.RunUntil(() => fromFour.State == TcpState.Established, 100 * SimulatedLink.Millisecond);
        Assert.Null(six.Accept());
        Assert.NotNull(four.Accept());
        six.Close();
        four.Close();
    }

    [Fact]
    public void UdpOverTheIpv6LoopbackNamesTheSenderAndChecksTheChecksum()
    {
        var a = new UdpSocket { Versions = IpVersions.V6 };
        var b = new UdpSocket { Versions = IpVersions.Both };
        Assert.Equal(0, Udp.Bind(a, IpAddress.Loopback6, 0, false));
        Assert.Equal(0, Udp.Bind(b, default, Port, false));
        var data = new byte[] { 1, 2, 3, 4, 5 };
        fixed (byte* p = data) Assert.Equal(5, Udp.Send(a, IpAddress.Loopback6, Port, p, data.Length));
        NetworkStack.Flush();
        Packet datagram = b.Dequeue();
        Assert.NotNull(datagram);
        Assert.Equal(IpAddress.Loopback6, datagram.PeerAddress);
        Assert.Equal(a.LocalPort, datagram.PeerPort);
        Assert.Equal(5, datagram.DataLength);
        PacketPool.Free(datagram);

        var big = new byte[Udp.MaximumPayload];   // fits IPv4, not IPv6's larger header
        fixed (byte* p = big) Assert.Equal(-Kernel.LinuxAbi.Errno.EMSGSIZE, Udp.Send(a, IpAddress.Loopback6, Port, p, big.Length));
        a.Close();
        b.Close();
    }
}
