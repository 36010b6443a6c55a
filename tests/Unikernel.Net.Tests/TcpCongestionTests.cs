using System.Collections.Generic;
using System.Linq;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// NewReno (RFC 5681, RFC 6582) and SACK-driven retransmission (RFC 2018) on the sending side, against a receiving peer
// over a 20 ms round trip, with chosen segments lost on their first transmission.
public sealed class TcpCongestionTests : TcpTestBase
{
    private const int Mss = 1460;
    private const ulong Ms = SimulatedLink.Millisecond;

    private (TcpConnection Connection, ReceivingPeer Peer, uint Start) Open(bool sack, int[] losses = null)
    {
        TcpConnection c = OpenPassive(out var synAck, s => s.SackPermitted = sack);
        uint start = synAck.Sequence + 1;
        var peer = new ReceivingPeer(start) { Sack = sack };
        Link.Peer = peer.OnSegment;
        Link.DelayNanoseconds = 10 * Ms;
        var lost = new HashSet<uint>((losses ?? new int[0]).Select(i => start + (uint)(i * Mss)));
        Link.DropToPeer = (s, _) => s.Data.Length > 0 && lost.Remove(s.Sequence);
        return (c, peer, start);
    }

    private List<WireSegment> Retransmitted(int from)
    {
        var seen = new HashSet<uint>();
        var copies = new List<WireSegment>();
        foreach (var s in Link.Sent.Skip(from).Where(s => s.Data.Length > 0))
            if (!seen.Add(s.Sequence)) copies.Add(s);
        return copies;
    }

    [Fact]
    public void InitialWindowIsTenSegments()
    {
        TcpConnection c = OpenPassive(out _);
        int before = Link.Sent.Count;
        Assert.Equal(60000, Write(c, Pattern(60000)));
        var data = SentSince(before).Where(s => s.Data.Length > 0).ToList();
        Assert.Equal(10, data.Count);
        Assert.Equal(14600, data.Sum(s => s.Data.Length));
        Assert.Equal(14600u, c.CongestionWindow);
    }

    [Fact]
    public void SlowStartDoublesTheWindowEachRoundTripThenDeliversEverything()
    {
        var (c, peer, _) = Open(false);
        var data = Pattern(60000);
        Write(c, data);
        Link.Run(25 * Ms);   // the first flight's ACKs are back
        Assert.Equal(20u * Mss, c.CongestionWindow);
        Assert.True(Link.RunUntil(() => peer.Received.Count == data.Length, 2000 * Ms));
        Assert.Equal(data, peer.Received.ToArray());
        Assert.Empty(Retransmitted(0));
    }

    [Fact]
    public void ThreeDuplicateAcksResendOnlyTheLostSegmentAndHalveTheWindow()
    {
        var (c, peer, start) = Open(false, new[] { 2 });
        int before = Link.Sent.Count;
        var data = Pattern(10 * Mss);
        Write(c, data);
        Assert.True(Link.RunUntil(() => peer.Received.Count == data.Length, 150 * Ms), "recovered without waiting for the timer");
        var copies = Retransmitted(before);
        Assert.Single(copies);
        Assert.Equal(start + 2 * Mss, copies[0].Sequence);
        // The third duplicate ACK came with segments 2..9 outstanding: ssthresh = flight / 2.
        Assert.Equal(8u * Mss / 2, c.SlowStartThreshold);
        Link.Run(30 * Ms);   // the last ACK is back
        Assert.False(c.InRecovery);
    }

    [Fact]
    public void PartialAcknowledgmentResendsTheNextHoleWithoutATimeout()
    {
        var (c, peer, start) = Open(false, new[] { 2, 5 });
        int before = Link.Sent.Count;
        var data = Pattern(10 * Mss);
        Write(c, data);
        Assert.True(Link.RunUntil(() => peer.Received.Count == data.Length, 150 * Ms), "NewReno recovers both losses in one recovery");
        Assert.Equal(new[] { start + 2 * Mss, start + 5 * Mss }, Retransmitted(before).Select(s => s.Sequence).ToArray());
        Assert.Equal(1ul, c.Retransmissions);   // one fast retransmit; the partial ACK's resend is part of it
    }

    [Fact]
    public void SackBlocksLetEveryHoleBeResentInTheFirstRoundTrip()
    {
        var (c, peer, start) = Open(true, new[] { 2, 5, 7 });
        int before = Link.Sent.Count;
        var data = Pattern(10 * Mss);
        Write(c, data);
        bool done = Link.RunUntil(() => peer.Received.Count == data.Length, 150 * Ms);
        var copies = Retransmitted(before);
        Assert.True(done, string.Join("\n", copies));
        Assert.Equal(new[] { start + 2 * Mss, start + 5 * Mss, start + 7 * Mss }, copies.Select(s => s.Sequence).ToArray());
        // Without SACK the second and third hole would each wait a round trip for a partial ACK.
        Assert.True(copies[2].Time - copies[0].Time < 10 * Ms, string.Join("\n", copies));
    }

    [Fact]
    public void RetransmissionTimeoutCollapsesTheWindowToOneSegment()
    {
        var (c, peer, start) = Open(false);
        bool cut = true;
        Link.DropToPeer = (s, _) => cut;
        Write(c, Pattern(10 * Mss));
        Link.Run(900 * Ms);
        Assert.Equal(14600u, c.CongestionWindow);
        Link.Run(200 * Ms);   // the initial 1 s RTO expired
        Assert.Equal((uint)Mss, c.CongestionWindow);
        Assert.Equal(5u * Mss, c.SlowStartThreshold);
        cut = false;
        Assert.True(Link.RunUntil(() => peer.Received.Count == 10 * Mss, 5000 * Ms));
    }

    [Fact]
    public void TheSendBufferGrowsWhenThePeersScaledWindowIsLarger()
    {
        TcpConnection c = OpenPassive(out var synAck, s => s.WindowScale = 7);
        uint start = synAck.Sequence + 1;
        var peer = new ReceivingPeer(start);
        Link.Peer = peer.OnSegment;
        Link.DelayNanoseconds = 10 * Ms;
        var data = Pattern(1 << 20);
        int written = 0;
        uint largestFlight = 0;
        for (int round = 0; round < 3000 && peer.Received.Count < data.Length; round++)
        {
            if (written < data.Length)
            {
                long n = Write(c, data[written..]);
                if (n > 0) written += (int)n;
            }
            Link.Run(1 * Ms);
            uint sentEnd = Link.Sent.Where(s => s.Data.Length > 0).Max(s => s.Sequence + (uint)s.Data.Length - start);
            uint acked = Link.Sent.Count == 0 ? 0 : peer.Next - start;
            largestFlight = System.Math.Max(largestFlight, sentEnd - acked);
        }
        Assert.Equal(data, peer.Received.ToArray());
        Assert.True(c.SendBuffer.Capacity > TcpConnection.BufferSize, $"capacity {c.SendBuffer.Capacity}");
        Assert.True(largestFlight > 65536, $"largest flight {largestFlight}");
    }

    [Fact]
    public void CongestionAvoidanceGrowsBySegmentPerWindow()
    {
        var (c, peer, _) = Open(false, new[] { 2 });
        var data = Pattern(60000);
        Write(c, data);
        Assert.True(Link.RunUntil(() => peer.Received.Count == data.Length, 3000 * Ms));
        uint ssthresh = c.SlowStartThreshold;
        Assert.True(c.CongestionWindow >= ssthresh, $"{c.CongestionWindow} {ssthresh}");
        // Past ssthresh the window grows linearly: far less than doubling over the rest of the transfer.
        Assert.True(c.CongestionWindow < 2 * ssthresh + Mss, $"{c.CongestionWindow} {ssthresh}");
    }
}
