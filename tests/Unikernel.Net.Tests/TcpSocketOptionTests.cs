using System.Linq;
using Kernel.Net;
using Kernel.Net.Sockets;

namespace Unikernel.Net.Tests;

// TCP_NODELAY and keep-alive through the socket layer (setsockopt/getsockopt's SocketOptions on a TcpSocketFile), as
// .NET and Kestrel set them: the options must change what goes on the wire.
public sealed unsafe class TcpSocketOptionTests : TcpTestBase
{
    private const ulong Ms = SimulatedLink.Millisecond, Second = 1000 * Ms;

    private SocketFile Accepted(out WireSegment synAck)
    {
        var server = new TcpSocketFile(SocketAddress.FamilyInet, 0);
        Assert.Equal(0, server.Bind(0, ServerPort));
        Assert.Equal(0, server.Listen(8));
        var syn = FromPeer(WireSegment.Syn, PeerIss, 0);
        syn.Mss = 1460;
        Link.Inject(syn);
        synAck = Last;
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, synAck.Sequence + 1));
        Assert.Equal(0, server.Accept(0, out SocketFile accepted));
        return accepted;
    }

    private static long Send(SocketFile socket, byte[] data)
    {
        fixed (byte* p = data) return socket.Send(p, data.Length, 0, false, 0, 0);
    }

    [Fact]
    public void NagleHoldsASmallWriteWhileDataIsInFlight()
    {
        var socket = Accepted(out var synAck);
        Assert.Equal(0, SocketOptions.Get(socket, SocketOptions.LevelTcp, SocketOptions.TcpNoDelay, out int noDelay));
        Assert.Equal(0, noDelay);
        int before = Link.Sent.Count;
        Send(socket, Pattern(10));
        Send(socket, Pattern(10, 1));
        Send(socket, Pattern(10, 2));
        Assert.Single(Link.Sent.Skip(before));   // the first write went; the others wait for its ACK
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, synAck.Sequence + 11));
        var coalesced = Link.Sent.Skip(before + 1).Single();
        Assert.Equal(20, coalesced.Data.Length);
    }

    [Fact]
    public void TcpNoDelaySendsEveryWriteAtOnce()
    {
        var socket = Accepted(out _);
        Assert.Equal(0, SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpNoDelay, 1));
        int before = Link.Sent.Count;
        Send(socket, Pattern(10));
        Send(socket, Pattern(10, 1));
        Send(socket, Pattern(10, 2));
        Assert.Equal(new[] { 10, 10, 10 }, Link.Sent.Skip(before).Select(s => s.Data.Length).ToArray());
    }

    [Fact]
    public void SettingTcpNoDelayPushesWhatNagleHeld()
    {
        var socket = Accepted(out _);
        int before = Link.Sent.Count;
        Send(socket, Pattern(10));
        Send(socket, Pattern(10, 1));
        Assert.Single(Link.Sent.Skip(before));
        SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpNoDelay, 1);
        Assert.Equal(2, Link.Sent.Skip(before).Count());
    }

    [Fact]
    public void KeepAliveDefaultsAndLimitsAreLinuxs()
    {
        var socket = new TcpSocketFile(SocketAddress.FamilyInet, 0);
        SocketOptions.Get(socket, SocketOptions.LevelSocket, SocketOptions.KeepAlive, out int on);
        SocketOptions.Get(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepIdle, out int idle);
        SocketOptions.Get(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepInterval, out int interval);
        SocketOptions.Get(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepCount, out int count);
        Assert.Equal((0, 7200, 75, 9), (on, idle, interval, count));
        Assert.True(SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepIdle, 0) < 0);
        Assert.True(SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepIdle, 32768) < 0);
        Assert.True(SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepInterval, 32768) < 0);
        Assert.True(SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepCount, 128) < 0);
        Assert.Equal(0, SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepCount, 127));
    }

    private SocketFile KeepAliveSocket(out WireSegment synAck)
    {
        var socket = Accepted(out synAck);
        Assert.Equal(0, SocketOptions.Set(socket, SocketOptions.LevelSocket, SocketOptions.KeepAlive, 1));
        Assert.Equal(0, SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepIdle, 10));
        Assert.Equal(0, SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepInterval, 5));
        Assert.Equal(0, SocketOptions.Set(socket, SocketOptions.LevelTcp, SocketOptions.TcpKeepCount, 3));
        return socket;
    }

    [Fact]
    public void UnansweredKeepAliveProbesResetTheConnection()
    {
        var socket = KeepAliveSocket(out var synAck);
        ulong opened = SimulatedLink.Now;
        int before = Link.Sent.Count;
        Link.Run(10 * Second - 10 * Ms);
        Assert.Equal(before, Link.Sent.Count);
        Link.Run(26 * Second);
        var sent = Link.Sent.Skip(before).ToList();
        Assert.Equal(4, sent.Count);
        // Probes one byte before the peer's acknowledgment at idle, idle + interval, idle + 2 intervals; then a RST.
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(synAck.Sequence, sent[i].Sequence);
            Assert.Equal(0, sent[i].Data.Length);
            Assert.InRange(sent[i].Time - opened, (10 + 5 * (ulong)i) * Second, (10 + 5 * (ulong)i) * Second + 10 * Ms);
        }
        Assert.True(sent[3].Has(WireSegment.Rst));
        Assert.InRange(sent[3].Time - opened, 25 * Second, 25 * Second + 10 * Ms);
        Assert.Equal(110, SocketOptions.Get(socket, SocketOptions.LevelSocket, SocketOptions.Error, out int error) == 0 ? error : -1);
    }

    [Fact]
    public void AnsweredProbesKeepTheConnection()
    {
        var socket = KeepAliveSocket(out var synAck);
        Link.Peer = probe => new[] { FromPeer(WireSegment.Ack, PeerIss + 1, probe.Sequence + 1) };
        Link.Run(120 * Second);
        Assert.True(Link.Sent.Count(s => s.Data.Length == 0 && !s.Has(WireSegment.Rst)) >= 10);
        Assert.DoesNotContain(Link.Sent, s => s.Has(WireSegment.Rst));
        Assert.Equal(0, SocketOptions.Get(socket, SocketOptions.LevelSocket, SocketOptions.Error, out int error));
        Assert.Equal(0, error);
    }

    [Fact]
    public void WithoutKeepAliveAnIdleConnectionSendsNothing()
    {
        Accepted(out _);
        int before = Link.Sent.Count;
        Link.Run(3 * 3600 * Second, 1000 * Ms);
        Assert.Equal(before, Link.Sent.Count);
    }
}
