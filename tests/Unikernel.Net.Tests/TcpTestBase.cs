using System;
using System.Collections.Generic;
using System.Linq;
using Kernel.Net;

namespace Unikernel.Net.Tests;

// What the TCP tests share: a fresh link per test, the peer's side of handshakes, and the app's calls on a
// connection with managed arrays. Every test ends by checking that the packet pool is whole again.
public abstract unsafe class TcpTestBase : IDisposable
{
    protected const ushort ServerPort = 8080, PeerPort = 40000;
    protected const uint PeerIss = 1_000_000;
    protected readonly SimulatedLink Link;

    protected TcpTestBase(int seed = 1) => Link = new SimulatedLink(seed);

    public virtual void Dispose()
    {
        Link.Dispose();
        Assert.Equal(PacketPool.Total, PacketPool.FreeCount);
    }

    protected IEnumerable<WireSegment> SentSince(int index) => Link.Sent.Skip(index);
    protected WireSegment Last => Link.Sent[^1];

    protected WireSegment FromPeer(byte flags, uint sequence, uint acknowledgment, byte[] data = null, ushort window = 65535)
        => new WireSegment
        {
            SourcePort = PeerPort, DestinationPort = ServerPort, Flags = flags, Sequence = sequence,
            Acknowledgment = acknowledgment, Window = window, Data = data ?? Array.Empty<byte>(),
        };

    /// <summary>A listener on ServerPort, the peer's SYN (with <paramref name="configure"/>'s options), our SYN-ACK, the peer's ACK; the accepted connection.</summary>
    private protected TcpConnection OpenPassive(out WireSegment synAck, Action<WireSegment> configure = null, ushort window = 65535)
    {
        TcpListener listener = Tcp.Listen(0, ServerPort, 16, out long error);
        Assert.NotNull(listener);
        var syn = FromPeer(WireSegment.Syn, PeerIss, 0, window: window);
        syn.Mss = 1460;
        configure?.Invoke(syn);
        int before = Link.Sent.Count;
        Link.Inject(syn);
        synAck = Link.Sent.Skip(before).Single();
        Assert.True(synAck.Has(WireSegment.Syn) && synAck.Has(WireSegment.Ack), synAck.ToString());
        Assert.Equal(PeerIss + 1, synAck.Acknowledgment);
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, synAck.Sequence + 1, window: window));
        TcpConnection c = listener.Accept();
        Assert.NotNull(c);
        Assert.Equal(TcpState.Established, c.State);
        return c;
    }

    private protected static long Write(TcpConnection c, byte[] data)
    {
        fixed (byte* p = data) return c.Send(p, data.Length);
    }

    private protected static byte[] Read(TcpConnection c, int max = 1 << 20)
    {
        var buffer = new byte[max];
        long n;
        fixed (byte* p = buffer) n = c.Receive(p, max);
        return n <= 0 ? Array.Empty<byte>() : buffer[..(int)n];
    }

    protected static byte[] Pattern(int length, int seed = 0)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 7 + seed + (i >> 8));
        return data;
    }
}
