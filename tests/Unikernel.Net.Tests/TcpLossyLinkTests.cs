using System;
using System.Collections.Generic;
using System.Linq;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// Bulk transfers both ways over a link that loses 3% of the frames in each direction and reorders them (10 ms delay
// plus up to 4 ms of jitter): whatever the recovery path taken, the bytes arrive intact and in order, and the stack
// neither stalls nor leaks packets. Seeds are fixed, so each run takes the same path.
public sealed class TcpLossyLinkTests : TcpTestBase
{
    private const ulong Ms = SimulatedLink.Millisecond;

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    public void SendingOverALossyReorderingLinkDeliversEveryByte(int seed, bool sack)
    {
        TcpConnection c = OpenPassive(out var synAck, s => { s.SackPermitted = sack; s.WindowScale = 6; });
        var peer = new ReceivingPeer(synAck.Sequence + 1) { Sack = sack };
        var random = new Random(seed);
        Link.Peer = peer.OnSegment;
        Link.DelayNanoseconds = 10 * Ms;
        Link.JitterNanoseconds = 4 * Ms;
        Link.DropToPeer = (_, _) => random.NextDouble() < 0.03;
        Link.DropToStack = _ => random.NextDouble() < 0.03;
        var data = Pattern(300_000, seed);
        int written = 0;
        bool done = Link.RunUntil(() =>
        {
            if (written < data.Length && c.SendBuffer.Free > 0)
            {
                long n = Write(c, data[written..System.Math.Min(data.Length, written + c.SendBuffer.Free)]);
                if (n > 0) written += (int)n;
            }
            return peer.Received.Count == data.Length;
        }, 60_000 * Ms);
        Assert.True(done, $"{peer.Received.Count} of {data.Length} bytes after 60 s, {c.Retransmissions} retransmissions");
        Assert.Equal(data, peer.Received.ToArray());
        Assert.True(c.Retransmissions > 0);
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(6, false)]
    public void ReceivingOverALossyReorderingLinkDeliversEveryByteInOrder(int seed, bool sack)
    {
        TcpConnection c = OpenPassive(out var synAck, s => { s.SackPermitted = sack; s.WindowScale = 6; });
        var random = new Random(seed);
        var data = Pattern(300_000, seed);
        var sender = new SendingPeer(data, PeerIss + 1, synAck.Sequence + 1);
        Link.Peer = sender.OnSegment;
        Link.DelayNanoseconds = 10 * Ms;
        Link.JitterNanoseconds = 4 * Ms;
        Link.DropToPeer = (_, _) => random.NextDouble() < 0.03;
        Link.DropToStack = _ => random.NextDouble() < 0.03;
        var received = new List<byte>();
        bool done = Link.RunUntil(() =>
        {
            foreach (var s in sender.Due(SimulatedLink.Now)) Link.Send(s);
            received.AddRange(Read(c));
            return received.Count == data.Length;
        }, 60_000 * Ms);
        Assert.True(done, $"{received.Count} of {data.Length} bytes after 60 s");
        Assert.Equal(data, received.ToArray());
    }

    // The peer as a simple sender: fills the stack's advertised window, resends the oldest unacknowledged segment after
    // three duplicate ACKs or 200 ms without progress.
    private sealed class SendingPeer
    {
        private readonly byte[] _data;
        private readonly uint _start, _ack;
        private uint _acknowledged, _next, _windowEdge;
        private int _duplicates;
        private ulong _progressAt;
        private readonly Queue<WireSegment> _pending = new();

        public SendingPeer(byte[] data, uint start, uint ack)
        {
            _data = data;
            _start = _acknowledged = _next = start;
            _ack = ack;
            _windowEdge = start + 65535;
            _progressAt = SimulatedLink.Now;
        }

        public IEnumerable<WireSegment> OnSegment(WireSegment s)
        {
            if (!s.Has(WireSegment.Ack)) yield break;
            if (TcpBefore(_acknowledged, s.Acknowledgment))
            {
                _acknowledged = s.Acknowledgment;
                _duplicates = 0;
                _progressAt = SimulatedLink.Now;
                if (TcpBefore(_next, _acknowledged)) _next = _acknowledged;
            }
            else if (s.Acknowledgment == _acknowledged && ++_duplicates == 3) _pending.Enqueue(Segment(_acknowledged));
            _windowEdge = s.Acknowledgment + ((uint)s.Window << TcpConnection.OurWindowShift);
        }

        public IEnumerable<WireSegment> Due(ulong now)
        {
            while (_pending.Count > 0) yield return _pending.Dequeue();
            if (_acknowledged != _next && now - _progressAt > 200 * Ms)
            {
                _progressAt = now;
                _next = _acknowledged;   // go back
            }
            while (_next - _start < _data.Length && TcpBefore(_next, _windowEdge))
            {
                var s = Segment(_next);
                _next += (uint)s.Data.Length;
                yield return s;
            }
        }

        private WireSegment Segment(uint sequence)
        {
            int offset = (int)(sequence - _start);
            int length = Math.Min(1460, _data.Length - offset);
            return new WireSegment
            {
                SourcePort = PeerPort, DestinationPort = ServerPort, Flags = WireSegment.Ack, Sequence = sequence,
                Acknowledgment = _ack, Window = 65535, Data = _data[offset..(offset + length)],
            };
        }
    }
}
