using System.Linq;
using Kernel.LinuxAbi;
using Kernel.Net.Tcp;
using Kernel.Net;

namespace Unikernel.Net.Tests;

// Orderly close into TIME_WAIT (its length, a retransmitted FIN, reuse of the pair by a new SYN) and RST handling
// (RFC 793 with RFC 5961's exact-match rule and challenge ACKs).
public sealed class TcpCloseTests : TcpTestBase
{
    private const ulong Ms = SimulatedLink.Millisecond, Second = 1000 * Ms;

    // We close first: FIN, the peer's ACK and FIN, our ACK -- TIME_WAIT.
    private TcpConnection CloseFirst(out WireSegment synAck)
    {
        TcpConnection c = OpenPassive(out synAck);
        uint ours = synAck.Sequence + 1;
        c.HeldByApp = true;
        c.ShutdownSend();
        Assert.True(Last.Has(WireSegment.Fin));
        Link.Inject(FromPeer(WireSegment.Ack | WireSegment.Fin, PeerIss + 1, ours + 1));
        Assert.Equal(TcpState.TimeWait, c.State);
        Assert.Equal(PeerIss + 2, Last.Acknowledgment);
        return c;
    }

    [Fact]
    public void TimeWaitLastsSixtySecondsAndDoesNotCountAsLive()
    {
        TcpConnection c = CloseFirst(out _);
        Assert.Equal(0, TcpProtocol.LiveConnections);
        Link.Run(59 * Second, 100 * Ms);
        Assert.Equal(TcpState.TimeWait, c.State);
        Link.Run(2 * Second, 100 * Ms);
        Assert.Equal(TcpState.Closed, c.State);
    }

    [Fact]
    public void ARetransmittedFinIsAcknowledgedAndRestartsTimeWait()
    {
        TcpConnection c = CloseFirst(out var synAck);
        Link.Run(50 * Second, 100 * Ms);
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Ack | WireSegment.Fin, PeerIss + 1, synAck.Sequence + 2));
        Assert.Equal(PeerIss + 2, Link.Sent.Skip(before).Single().Acknowledgment);
        Link.Run(50 * Second, 100 * Ms);
        Assert.Equal(TcpState.TimeWait, c.State);
    }

    [Fact]
    public void ANewSynBeyondTheOldSequenceReusesTheTimeWaitPair()
    {
        TcpConnection old = CloseFirst(out _);
        var syn = FromPeer(WireSegment.Syn, PeerIss + 100_000, 0);
        syn.Mss = 1460;
        int before = Link.Sent.Count;
        Link.Inject(syn);
        var synAck = Link.Sent.Skip(before).Single();
        Assert.True(synAck.Has(WireSegment.Syn) && synAck.Has(WireSegment.Ack));
        Assert.Equal(PeerIss + 100_001, synAck.Acknowledgment);
    }

    [Fact]
    public void AnOldSynDoesNotReopenTheTimeWaitPair()
    {
        TcpConnection old = CloseFirst(out _);
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Syn, PeerIss - 5000, 0));
        Assert.DoesNotContain(Link.Sent.Skip(before), s => s.Has(WireSegment.Syn));
        Assert.Equal(TcpState.TimeWait, old.State);
    }

    [Fact]
    public void TimeWaitConnectionsAreRecycledWhenConnectionsRunOut()
    {
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 4096, out _);
        for (int i = 0; i < TcpProtocol.ConnectionLimit + 8; i++)
        {
            ushort port = (ushort)(20000 + i);
            var syn = new WireSegment { SourcePort = port, DestinationPort = ServerPort, Flags = WireSegment.Syn, Sequence = 100, Window = 65535, Mss = 1460 };
            int before = Link.Sent.Count;
            Link.Inject(syn);
            var synAck = Link.Sent.Skip(before).SingleOrDefault(s => s.Has(WireSegment.Syn));
            Assert.True(synAck != null, $"connection {i} refused");
            Link.Inject(new WireSegment { SourcePort = port, DestinationPort = ServerPort, Flags = WireSegment.Ack, Sequence = 101, Acknowledgment = synAck.Sequence + 1, Window = 65535 });
            TcpConnection c = listener.Accept();
            c.HeldByApp = false;   // as if the app closed it: the object is the protocol's alone
            c.ShutdownSend();
            Link.Inject(new WireSegment { SourcePort = port, DestinationPort = ServerPort, Flags = WireSegment.Ack | WireSegment.Fin, Sequence = 101, Acknowledgment = synAck.Sequence + 2, Window = 65535 });
            Assert.Equal(TcpState.TimeWait, c.State);
        }
        Assert.Equal(0, TcpProtocol.LiveConnections);
    }

    [Fact]
    public void ARstAtTheNextSequenceNumberResetsTheConnection()
    {
        TcpConnection c = OpenPassive(out var synAck);
        Link.Inject(FromPeer(WireSegment.Rst, PeerIss + 1, 0));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(-Errno.ECONNRESET, c.Error);
    }

    [Fact]
    public void AnInWindowRstElsewhereGetsAChallengeAck()
    {
        TcpConnection c = OpenPassive(out var synAck);
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Rst, PeerIss + 1 + 5000, 0));
        Assert.Equal(TcpState.Established, c.State);
        var challenge = Link.Sent.Skip(before).Single();
        Assert.Equal(PeerIss + 1, challenge.Acknowledgment);
        Assert.False(challenge.Has(WireSegment.Rst));
    }

    [Fact]
    public void ARstOutsideTheWindowIsIgnored()
    {
        TcpConnection c = OpenPassive(out var synAck);
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Rst, PeerIss + 1 + 1_000_000, 0));
        Link.Inject(FromPeer(WireSegment.Rst, PeerIss - 10, 0));
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(before, Link.Sent.Count);
    }

    [Fact]
    public void ASynOnAnEstablishedConnectionGetsAChallengeAck()
    {
        TcpConnection c = OpenPassive(out var synAck);
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Syn, PeerIss + 1 + 10, 0));
        Assert.Equal(TcpState.Established, c.State);
        var challenge = Link.Sent.Skip(before).Single();
        Assert.False(challenge.Has(WireSegment.Rst) || challenge.Has(WireSegment.Syn));
        Assert.Equal(PeerIss + 1, challenge.Acknowledgment);
    }

    [Fact]
    public void AnAckForDataNeverSentOrLongGoneIsChallenged()
    {
        TcpConnection c = OpenPassive(out var synAck);
        uint ours = synAck.Sequence + 1;
        int before = Link.Sent.Count;
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, ours + 100, Pattern(10)));
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, ours - 200_000, Pattern(10)));
        Assert.Equal(0, c.ReceiveBuffer.Count);   // both dropped, data and all
        Assert.Equal(2, Link.Sent.Skip(before).Count(s => s.Acknowledgment == PeerIss + 1));
    }

    [Fact]
    public void AbortiveCloseWithUnreadDataSendsRst()
    {
        TcpConnection c = OpenPassive(out var synAck);
        Link.Inject(FromPeer(WireSegment.Ack | WireSegment.Psh, PeerIss + 1, synAck.Sequence + 1, Pattern(10)));
        c.HeldByApp = true;
        c.Close();
        Assert.True(Last.Has(WireSegment.Rst));
        Assert.Equal(synAck.Sequence + 1, Last.Sequence);
    }

    [Fact]
    public void InitialSequenceNumbersDifferPerPairAndAreNotSequential()
    {
        uint a = TcpProtocol.InitialSequenceNumber(SimulatedLink.StackAddress, 80, SimulatedLink.PeerAddress, 1000);
        uint b = TcpProtocol.InitialSequenceNumber(SimulatedLink.StackAddress, 80, SimulatedLink.PeerAddress, 1001);
        Assert.True(System.Math.Abs((int)(a - b)) > 1_000_000, $"{a} {b}");
        // For one pair it moves with the 4 us clock (RFC 6528), so a later incarnation starts beyond an earlier one.
        Link.Run(1000 * Ms);
        uint a2 = TcpProtocol.InitialSequenceNumber(SimulatedLink.StackAddress, 80, SimulatedLink.PeerAddress, 1000);
        Assert.Equal(250_000u, a2 - a);
    }
}
