using System.Linq;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// The stack's behaviour before this work's features, pinned down on the wire: handshakes, data, close, resets.
public sealed class TcpBasicsTests : TcpTestBase
{
    [Fact]
    public void PassiveOpenAnswersWithMssAndCarriesDataBothWays()
    {
        TcpConnection c = OpenPassive(out var synAck);
        Assert.Equal(1460, synAck.Mss);
        uint ours = synAck.Sequence + 1;
        Link.Inject(FromPeer(WireSegment.Ack | WireSegment.Psh, PeerIss + 1, ours, Pattern(100)));
        Assert.Equal(Pattern(100), Read(c));
        Assert.Equal(5, Write(c, Pattern(5, 3)));
        var data = Link.Sent.Last(s => s.Data.Length > 0);
        Assert.Equal(ours, data.Sequence);
        Assert.Equal(PeerIss + 101, data.Acknowledgment);
        Assert.Equal(Pattern(5, 3), data.Data);
    }

    [Fact]
    public void SegmentToAClosedPortGetsAReset()
    {
        Link.Inject(FromPeer(WireSegment.Syn, 77, 0));
        var rst = Last;
        Assert.True(rst.Has(WireSegment.Rst) && rst.Has(WireSegment.Ack));
        Assert.Equal(78u, rst.Acknowledgment);
    }

    [Fact]
    public void RetransmitsWithExponentialBackoff()
    {
        TcpConnection c = OpenPassive(out var synAck);
        int before = Link.Sent.Count;
        Write(c, Pattern(10));
        Link.Run(10_000 * SimulatedLink.Millisecond);
        var copies = Link.Sent.Skip(before).Where(s => s.Data.Length == 10).ToList();
        Assert.True(copies.Count >= 4, string.Join("\n", copies));
        for (int i = 2; i < copies.Count; i++)
            Assert.True(copies[i].Time - copies[i - 1].Time >= 2 * (copies[i - 1].Time - copies[i - 2].Time) - SimulatedLink.Millisecond * 2);
    }
}
