using System.Linq;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// The receiving side: window scaling (RFC 7323), SACK blocks (RFC 2018) and delayed ACKs (RFC 1122, RFC 5681).
public sealed class TcpReceiverTests : TcpTestBase
{
    private const ulong Ms = SimulatedLink.Millisecond;

    [Fact]
    public void WindowScaleIsOfferedBackOnlyWhenThePeerOffersIt()
    {
        TcpConnection scaled = OpenPassive(out var synAck, s => s.WindowScale = 7);
        Assert.Equal(TcpConnection.OurWindowShift, synAck.WindowScale);
        Assert.Equal(65535, synAck.Window);   // never scaled on a SYN
        Assert.True(scaled.WindowScaling);
        Link.Dispose();

        using var link = new SimulatedLink(2);
        TcpConnection plain = OpenPassiveOn(link, out var plainSynAck);
        Assert.Equal(-1, plainSynAck.WindowScale);
        Assert.False(plain.WindowScaling);
    }

    private TcpConnection OpenPassiveOn(SimulatedLink link, out WireSegment synAck)
    {
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 4, out _);
        var syn = FromPeer(WireSegment.Syn, PeerIss, 0);
        syn.Mss = 1460;
        link.Inject(syn);
        synAck = link.Sent[^1];
        link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, synAck.Sequence + 1));
        return listener.Accept();
    }

    [Fact]
    public void WindowsAreScaledBothWays()
    {
        TcpConnection c = OpenPassive(out var synAck, s => s.WindowScale = 4);
        // The peer's ACK of our SYN-ACK said 65535 << 4.
        Assert.Equal(65535u << 4, c.SendWindow);
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, synAck.Sequence + 1, Pattern(1000), window: 100));
        Assert.Equal(1600u, c.SendWindow);
        Link.Run(50 * Ms);
        var ack = Last;
        Assert.Equal(PeerIss + 1001, ack.Acknowledgment);
        Assert.Equal((65536 - 1000) >> TcpConnection.OurWindowShift, ack.Window);
    }

    // Feeds the connection full segments as fast as its window allows, the app reading everything every 5 ms.
    private int Stream(TcpConnection c, WireSegment synAck, int segments, out int largestWindow)
    {
        uint next = PeerIss + 1;
        largestWindow = 0;
        int received = 0;
        for (int round = 0; round < 400 && segments > 0; round++)
        {
            var latest = Link.Sent.Last(s => s.Has(WireSegment.Ack));
            int shift = c.WindowScaling && !latest.Has(WireSegment.Syn) ? TcpConnection.OurWindowShift : 0;
            long edge = latest.Acknowledgment + ((long)latest.Window << shift);
            largestWindow = System.Math.Max(largestWindow, latest.Window << shift);
            while (segments > 0 && next + 1460 <= edge)
            {
                Link.Inject(FromPeer(WireSegment.Ack, next, synAck.Sequence + 1, Pattern(1460)));
                next += 1460;
                segments--;
            }
            Link.Run(5 * Ms);
            received += Read(c).Length;
        }
        Link.Run(50 * Ms);
        received += Read(c).Length;
        var last = Link.Sent.Last(s => s.Has(WireSegment.Ack));
        largestWindow = System.Math.Max(largestWindow, last.Window << (c.WindowScaling ? TcpConnection.OurWindowShift : 0));
        return received;
    }

    [Fact]
    public void TheReceiveBufferGrowsWhenTheWindowIsWhatLimits()
    {
        TcpConnection c = OpenPassive(out var synAck, s => s.WindowScale = 7);
        long grownBefore = TcpProtocol.BufferGrowthBytes;
        Assert.Equal(400 * 1460, Stream(c, synAck, 400, out int largest));
        Assert.True(c.ReceiveBuffer.Capacity > TcpConnection.BufferSize, $"capacity {c.ReceiveBuffer.Capacity}");
        Assert.True(largest > 65535, $"largest window {largest}");
        Assert.True(TcpProtocol.BufferGrowthBytes > grownBefore);
    }

    [Fact]
    public void WithoutWindowScalingTheBufferStaysAt64KiB()
    {
        TcpConnection c = OpenPassive(out var synAck);
        Assert.Equal(400 * 1460, Stream(c, synAck, 400, out int largest));
        Assert.Equal(TcpConnection.BufferSize, c.ReceiveBuffer.Capacity);
        Assert.True(largest <= 65535);
    }

    [Fact]
    public void OutOfOrderDataIsAcknowledgedAtOnceWithSackBlocksLatestFirst()
    {
        TcpConnection c = OpenPassive(out var synAck, s => s.SackPermitted = true);
        Assert.True(synAck.SackPermitted);
        uint ours = synAck.Sequence + 1;
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1 + 1000, ours, Pattern(500)));
        var first = Link.Sent.Skip(before).Single();
        Assert.Equal(PeerIss + 1, first.Acknowledgment);
        Assert.Equal(new[] { (PeerIss + 1001, PeerIss + 1501) }, first.Sack.ToArray());
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1 + 3000, ours, Pattern(500)));
        Assert.Equal(new[] { (PeerIss + 3001, PeerIss + 3501), (PeerIss + 1001, PeerIss + 1501) }, Last.Sack.ToArray());
        // Touching blocks merge; the gap filled, the ACK covers both and there is nothing left to SACK.
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1 + 1500, ours, Pattern(500)));
        Assert.Equal(new[] { (PeerIss + 1001, PeerIss + 2001), (PeerIss + 3001, PeerIss + 3501) }, Last.Sack.ToArray());
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, ours, Pattern(1000)));
        Assert.Equal(PeerIss + 2001, Last.Acknowledgment);
        Assert.Equal(new[] { (PeerIss + 3001, PeerIss + 3501) }, Last.Sack.ToArray());
    }

    [Fact]
    public void NoSackBlocksUnlessThePeerPermittedThem()
    {
        TcpConnection c = OpenPassive(out var synAck);
        Assert.False(synAck.SackPermitted);
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1 + 1000, synAck.Sequence + 1, Pattern(500)));
        Assert.Equal(PeerIss + 1, Last.Acknowledgment);
        Assert.Empty(Last.Sack);
    }

    [Fact]
    public void ASingleSegmentIsAcknowledgedAfterTheDelayedAckTime()
    {
        TcpConnection c = OpenPassive(out var synAck);
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Ack | WireSegment.Psh, PeerIss + 1, synAck.Sequence + 1, Pattern(100)));
        Link.Run(TcpConnection.DelayedAckNanoseconds - Ms);
        Assert.Equal(before, Link.Sent.Count);
        Link.Run(2 * Ms);
        var ack = Link.Sent.Skip(before).Single();
        Assert.Equal(PeerIss + 101, ack.Acknowledgment);
    }

    [Fact]
    public void EverySecondFullSegmentIsAcknowledgedAtOnce()
    {
        TcpConnection c = OpenPassive(out var synAck);
        int before = Link.Sent.Count;
        for (int i = 0; i < 6; i++)
            Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1 + (uint)(i * 1460), synAck.Sequence + 1, Pattern(1460)));
        var acks = Link.Sent.Skip(before).ToList();
        Assert.Equal(new[] { PeerIss + 1 + 2920, PeerIss + 1 + 5840, PeerIss + 1 + 8760 }, acks.Select(a => a.Acknowledgment).ToArray());
    }

    [Fact]
    public void AReplyCarriesTheAcknowledgmentInsteadOfAPureAck()
    {
        TcpConnection c = OpenPassive(out var synAck);
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Ack | WireSegment.Psh, PeerIss + 1, synAck.Sequence + 1, Pattern(100)));
        Link.Run(5 * Ms);
        Assert.Equal(Pattern(100), Read(c));
        Write(c, Pattern(200));
        Link.Run(100 * Ms);
        var sent = Link.Sent.Skip(before).ToList();
        Assert.Single(sent);
        Assert.Equal(200, sent[0].Data.Length);
        Assert.Equal(PeerIss + 101, sent[0].Acknowledgment);
    }
}
