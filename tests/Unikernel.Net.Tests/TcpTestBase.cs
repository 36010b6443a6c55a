using System;
using System.Collections.Generic;
using System.Linq;
using Kernel.Net;
using Kernel.Net.Tcp;

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
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 16, out long error);
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
        if (c.ReceiveBuffer.Count == 0) return Array.Empty<byte>();
        max = Math.Min(max, c.ReceiveBuffer.Count);
        var buffer = new byte[max];
        long n;
        fixed (byte* p = buffer) n = c.Receive(p, max);
        return n <= 0 ? Array.Empty<byte>() : buffer[..(int)n];
    }

    /// <summary>The peer as a receiver of the stack's data: ACKs every segment (with SACK blocks when asked), keeps what arrives.</summary>
    protected sealed class ReceivingPeer
    {
        public uint Next;
        public bool Sack;
        public ushort WindowField = 65535;
        public readonly List<byte> Received = new();
        private readonly List<WireSegment> _outOfOrder = new();
        private readonly uint _stackIss;
        public int AcksSent;

        public ReceivingPeer(uint next) => Next = next;

        public IEnumerable<WireSegment> OnSegment(WireSegment s)
        {
            if (s.Data.Length == 0 && !s.Has(WireSegment.Fin)) yield break;
            if (s.Sequence == Next || (TcpBefore(s.Sequence, Next) && TcpBefore(Next, s.End)))
            {
                Take(s);
                bool progress = true;
                while (progress)
                {
                    progress = false;
                    foreach (var o in _outOfOrder.ToList())
                    {
                        if (TcpBefore(Next, o.Sequence)) continue;
                        _outOfOrder.Remove(o);
                        if (TcpBefore(Next, o.End)) Take(o);
                        progress = true;
                    }
                }
            }
            else if (TcpBefore(Next, s.Sequence) && !_outOfOrder.Any(o => o.Sequence == s.Sequence)) _outOfOrder.Add(s);
            var ack = new WireSegment
            {
                SourcePort = s.DestinationPort, DestinationPort = s.SourcePort, Flags = WireSegment.Ack,
                Sequence = s.Acknowledgment, Acknowledgment = Next, Window = WindowField,
            };
            if (Sack)
            {
                var ranges = new List<(uint Left, uint Right)>();
                foreach (var o in _outOfOrder.OrderBy(o => o.Sequence - Next))
                    if (ranges.Count > 0 && !TcpBefore(ranges[^1].Right, o.Sequence)) ranges[^1] = (ranges[^1].Left, TcpBefore(ranges[^1].Right, o.End) ? o.End : ranges[^1].Right);
                    else ranges.Add((o.Sequence, o.End));
                ack.Sack.AddRange(ranges.Take(3));
            }
            AcksSent++;
            yield return ack;
        }

        private void Take(WireSegment s)
        {
            int skip = (int)(Next - s.Sequence);
            Received.AddRange(s.Data.Skip(skip));
            Next = s.Sequence + (uint)s.Data.Length + (s.Has(WireSegment.Fin) ? 1u : 0u);
        }
    }

    protected static bool TcpBefore(uint a, uint b) => (int)(a - b) < 0;

    protected static byte[] Pattern(int length, int seed = 0)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 7 + seed + (i >> 8));
        return data;
    }
}
