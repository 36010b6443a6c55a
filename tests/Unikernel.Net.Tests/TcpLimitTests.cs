using System.Linq;
using System;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// The limits that decide what a flood of connections gets: the connection table (sized from RAM), the ring memory
// budget, and listen backlogs with Linux's accept and SYN queue rules. Each refusal must be silent on the wire (the
// client retries), counted by reason, and over as soon as there is room again.
public sealed unsafe class TcpLimitTests(Xunit.Abstractions.ITestOutputHelper output) : TcpTestBase
{
    private const ulong Ms = SimulatedLink.Millisecond, Second = 1000 * Ms;
    private const ushort FirstClientPort = 30000;

    public override void Dispose()
    {
        base.Dispose();
        TcpProtocol.ConnectionLimit = 0;   // back to the RAM-sized defaults for the other tests
        TcpProtocol.RingMemoryLimit = 0;
    }

    private static WireSegment Syn(ushort port) => new() { SourcePort = port, DestinationPort = ServerPort, Flags = WireSegment.Syn, Sequence = PeerIss, Window = 65535, Mss = 1460 };

    private static WireSegment Ack(ushort port, WireSegment synAck, byte[] data = null) => new()
    {
        SourcePort = port, DestinationPort = ServerPort, Flags = WireSegment.Ack, Sequence = PeerIss + 1,
        Acknowledgment = synAck.Sequence + 1, Window = 65535, Data = data ?? Array.Empty<byte>(),
    };

    /// <summary>Sends the client's SYN; our SYN-ACK, or null when the stack sent nothing (a dropped SYN).</summary>
    private WireSegment SendSyn(ushort port)
    {
        int before = Link.Sent.Count;
        Link.Inject(Syn(port));
        var answers = Link.Sent.Skip(before).Where(s => s.DestinationPort == port).ToList();
        Assert.DoesNotContain(answers, s => s.Has(WireSegment.Rst));
        return answers.SingleOrDefault(s => s.Has(WireSegment.Syn));
    }

    private WireSegment Handshake(ushort port)
    {
        WireSegment synAck = SendSyn(port);
        Assert.True(synAck != null, $"port {port}: no SYN-ACK");
        Link.Inject(Ack(port, synAck));
        return synAck;
    }

    private static string Generated(ContentGenerator generator)
    {
        var o = new TextBuilder();
        generator.Generate(o);
        string text = new string((sbyte*)o.Data, 0, (int)o.Length);
        o.Dispose();
        return text;
    }

    [Fact]
    public void TheTableIsSizedFromRamAndShownInProcSys()
    {
        Assert.Equal(4096, TcpProtocol.ConnectionLimitFor(128UL << 20));
        Assert.Equal(8192, TcpProtocol.ConnectionLimitFor(256UL << 20));
        Assert.Equal(256, TcpProtocol.ConnectionLimitFor(4UL << 20));
        Assert.Equal(65536, TcpProtocol.ConnectionLimitFor(64UL << 30));
        Assert.Equal(4096, TcpProtocol.ConnectionLimit);   // the host shim's 128 MiB
        Assert.Equal("4096\n", Generated(new NetLimitFile(NetLimitFile.TcpMaxConnections)));
        Assert.Equal("4096\n", Generated(new NetLimitFile(NetLimitFile.Somaxconn)));
        Assert.Equal(32L << 20, TcpProtocol.RingMemoryLimit);
    }

    // What the table's size assumes (docs/architecture.md, "Network"): an idle connection is its objects, no ring memory.
    [Fact]
    public void AnIdleConnectionCostsItsObjectsOnly()
    {
        long blocks = Kernel.Memory.KernelMemory.LiveBlocks;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var c = new TcpConnection();
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(blocks, Kernel.Memory.KernelMemory.LiveBlocks);
        Assert.False(c.SendBuffer.HasStorage || c.ReceiveBuffer.HasStorage);
        Assert.InRange(bytes, 1, 1536);
        output.WriteLine($"an idle TcpConnection: {bytes} bytes of objects, no ring blocks");
    }

    [Fact]
    public void AFullTableDropsNewSynsCountsThemAndTakesThemAgainOnceOneCloses()
    {
        TcpProtocol.ConnectionLimit = 8;
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 64, out _);
        var accepted = new TcpConnection[8];
        for (int i = 0; i < 8; i++)
        {
            Handshake((ushort)(FirstClientPort + i));
            accepted[i] = listener.Accept();
            Assert.Equal(TcpState.Established, accepted[i].State);
        }
        ulong dropsBefore = NetCounters.Dropped(DropReason.TcpTableFull);
        ulong refusedBefore = TcpProtocol.RefusedSyns;

        ushort late = FirstClientPort + 100;
        Assert.Null(SendSyn(late));
        Assert.Null(SendSyn(late));   // the client's retry, still no room
        Assert.Equal(dropsBefore + 2, NetCounters.Dropped(DropReason.TcpTableFull));
        Assert.Equal(refusedBefore + 2, TcpProtocol.RefusedSyns);
        Assert.Equal(8, TcpProtocol.TableCount);
        string sockstat = Generated(new SocketStatFile());
        Assert.Contains("TCP: inuse 9 orphan 0 tw 0 alloc 8 mem 0\n", sockstat);   // 8 connections + the listener
        Assert.Contains("TCP-limit: max 8 peak ", sockstat);
        Assert.Contains(" refused " + TcpProtocol.RefusedSyns + " ", sockstat);

        // One connection ends (the peer resets it, the app closes its socket): the retry gets in.
        Link.Inject(new WireSegment { SourcePort = FirstClientPort, DestinationPort = ServerPort, Flags = WireSegment.Rst, Sequence = PeerIss + 1 });
        accepted[0].Close();
        Assert.Equal(7, TcpProtocol.TableCount);
        Handshake(late);
        Assert.NotNull(listener.Accept());
        Assert.Equal(dropsBefore + 2, NetCounters.Dropped(DropReason.TcpTableFull));
    }

    [Fact]
    public void AFullTableRecyclesATimeWaitTheAppNoLongerHoldsButNotOneItHolds()
    {
        TcpProtocol.ConnectionLimit = 2;
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 64, out _);
        Handshake(FirstClientPort);
        TcpConnection held = listener.Accept();
        Handshake(FirstClientPort + 1);
        TcpConnection other = listener.Accept();
        // Both close first and reach TIME_WAIT; the app still holds the first socket.
        foreach (var (c, port) in new[] { (held, FirstClientPort), (other, (ushort)(FirstClientPort + 1)) })
        {
            c.ShutdownSend();
            WireSegment fin = Link.Sent.Last(s => s.DestinationPort == port && s.Has(WireSegment.Fin));
            Link.Inject(new WireSegment { SourcePort = port, DestinationPort = ServerPort, Flags = WireSegment.Ack | WireSegment.Fin, Sequence = PeerIss + 1, Acknowledgment = fin.Sequence + 1, Window = 65535 });
            Assert.Equal(TcpState.TimeWait, c.State);
        }
        other.Close();

        Handshake(FirstClientPort + 2);   // takes the TIME_WAIT of the closed socket
        Assert.Equal(TcpState.TimeWait, held.State);
        Assert.Null(SendSyn(FirstClientPort + 3));   // the held one stays: the table is full
    }

    [Fact]
    public void TheAcceptQueueHoldsBacklogPlusOneEstablishedConnectionsAndDropsSynsBeyond()
    {
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 2, out _);
        for (int i = 0; i < 3; i++) Handshake((ushort)(FirstClientPort + i));
        Assert.Equal(3, listener.AcceptQueueLength);
        ulong before = NetCounters.Dropped(DropReason.TcpAcceptQueueFull);

        Assert.Null(SendSyn(FirstClientPort + 3));
        Assert.Equal(before + 1, NetCounters.Dropped(DropReason.TcpAcceptQueueFull));
        Assert.Equal(1UL, listener.Overflows);

        // The queued connections waited, established, in order; accepting one makes room for the retry.
        Link.Run(5 * Second, 100 * Ms);
        TcpConnection first = listener.Accept();
        Assert.Equal(FirstClientPort, first.RemotePort);
        Assert.Equal(TcpState.Established, first.State);
        Handshake(FirstClientPort + 3);
        Assert.Equal(new ushort[] { FirstClientPort + 1, FirstClientPort + 2, FirstClientPort + 3 },
                     Enumerable.Range(0, 3).Select(_ => listener.Accept().RemotePort).ToArray());
        Assert.Null(listener.Accept());
    }

    [Fact]
    public void TheHandshakesLastAckIsDroppedWhileTheAcceptQueueIsFullAndTakenOnceThereIsRoom()
    {
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 2, out _);
        // Two clients in their handshake, then two more so that the accept queue fills before the last one's ACK.
        WireSegment a = SendSyn(FirstClientPort), b = SendSyn(FirstClientPort + 1);
        Link.Inject(Ack(FirstClientPort, a));
        Link.Inject(Ack(FirstClientPort + 1, b));
        WireSegment c = SendSyn(FirstClientPort + 2), d = SendSyn(FirstClientPort + 3);
        Assert.NotNull(c);
        Assert.NotNull(d);
        Assert.Null(SendSyn(FirstClientPort + 4));   // two in their handshake: the SYN queue is full
        Assert.True(NetCounters.Dropped(DropReason.TcpSynQueueFull) > 0);
        Link.Inject(Ack(FirstClientPort + 2, c));
        Assert.Equal(3, listener.AcceptQueueLength);

        ulong before = NetCounters.Dropped(DropReason.TcpAcceptQueueFull);
        Link.Inject(Ack(FirstClientPort + 3, d, new byte[] { 1, 2, 3 }));
        Assert.Equal(before + 1, NetCounters.Dropped(DropReason.TcpAcceptQueueFull));
        Assert.Equal(3, listener.AcceptQueueLength);
        Assert.Equal(1, listener.PendingCount);

        // Our SYN-ACK comes again (the retransmission timer still runs); once the app accepted, the ACK gets in.
        int sent = Link.Sent.Count;
        Link.Run(1200 * Ms, 10 * Ms);
        Assert.Contains(Link.Sent.Skip(sent), s => s.DestinationPort == FirstClientPort + 3 && s.Has(WireSegment.Syn) && s.Has(WireSegment.Ack));
        Assert.NotNull(listener.Accept());
        Link.Inject(Ack(FirstClientPort + 3, d, new byte[] { 1, 2, 3 }));
        Assert.Equal(3, listener.AcceptQueueLength);
        Assert.Equal(0, listener.PendingCount);
        listener.Accept();
        listener.Accept();
        TcpConnection last = listener.Accept();
        Assert.Equal(FirstClientPort + 3, last.RemotePort);
        Assert.Equal(new byte[] { 1, 2, 3 }, Read(last));
    }

    [Fact]
    public void ListenZeroStillTakesOneConnectionAndBacklogsAreCappedAtSomaxconn()
    {
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 0, out _);
        Handshake(FirstClientPort);
        Assert.Null(SendSyn(FirstClientPort + 1));
        Assert.Equal(1, listener.AcceptQueueLength);
        listener.Backlog = 100_000;
        Assert.Equal(TcpProtocol.MaximumBacklog, listener.Backlog);
        listener.Backlog = -1;
        Assert.Equal(TcpProtocol.MaximumBacklog, listener.Backlog);
    }

    [Fact]
    public void ClosingTheListenerResetsQueuedAndHalfOpenConnections()
    {
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 8, out _);
        Handshake(FirstClientPort);
        Assert.NotNull(SendSyn(FirstClientPort + 1));
        Assert.Equal(2, TcpProtocol.TableCount);
        int sent = Link.Sent.Count;
        listener.Close();
        Assert.Contains(Link.Sent.Skip(sent), s => s.DestinationPort == FirstClientPort && s.Has(WireSegment.Rst));
        Assert.Contains(Link.Sent.Skip(sent), s => s.DestinationPort == FirstClientPort + 1 && s.Has(WireSegment.Rst));
        Assert.Equal(0, TcpProtocol.TableCount);
    }

    [Fact]
    public void AnIdleConnectionHoldsNoRingMemoryAndABusyOneGivesItBackAfterASecond()
    {
        long before = TcpProtocol.RingMemoryBytes;
        TcpConnection c = OpenPassive(out var synAck);
        Assert.False(c.ReceiveBuffer.HasStorage);
        Assert.False(c.SendBuffer.HasStorage);
        Assert.Equal(before, TcpProtocol.RingMemoryBytes);

        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1, synAck.Sequence + 1, Pattern(1000)));
        Assert.True(c.ReceiveBuffer.HasStorage);
        Assert.Equal(before + TcpConnection.BufferSize, TcpProtocol.RingMemoryBytes);
        Assert.Equal(Pattern(1000), Read(c));
        Assert.Equal(1000, Write(c, Pattern(1000, 3)));
        Link.Inject(FromPeer(WireSegment.Ack, PeerIss + 1001, synAck.Sequence + 1001));
        Assert.Equal(before + 2 * TcpConnection.BufferSize, TcpProtocol.RingMemoryBytes);

        Link.Run(500 * Ms, 10 * Ms);
        Assert.True(c.ReceiveBuffer.HasStorage);   // busy a moment ago: kept
        Link.Run(600 * Ms, 10 * Ms);
        Assert.False(c.ReceiveBuffer.HasStorage);
        Assert.False(c.SendBuffer.HasStorage);
        Assert.Equal(before, TcpProtocol.RingMemoryBytes);
    }

    [Fact]
    public void OverTheRingMemoryLimitDataWaitsForThePeersRetryAndSendWaitsForABlock()
    {
        TcpProtocol.RingMemoryLimit = TcpConnection.BufferSize;   // one ring
        TcpListener listener = TcpProtocol.Listen(0, ServerPort, 8, out _);
        var synAckA = Handshake(FirstClientPort);
        TcpConnection a = listener.Accept();
        var synAckB = Handshake(FirstClientPort + 1);
        TcpConnection b = listener.Accept();
        Assert.NotEqual(0u, b.Poll() & PollBits.Writable);

        Link.Inject(Ack(FirstClientPort, synAckA, Pattern(100)));   // a's ring takes the whole budget
        ulong before = NetCounters.Dropped(DropReason.TcpMemory);
        Link.Inject(Ack(FirstClientPort + 1, synAckB, Pattern(200)));
        Assert.Equal(before + 1, NetCounters.Dropped(DropReason.TcpMemory));
        Assert.Equal(0, b.ReceiveBuffer.Count);
        Assert.Equal(PeerIss + 1, Link.Sent.Last(s => s.DestinationPort == FirstClientPort + 1).Acknowledgment);
        // Sending waits as on Linux (sk_stream_wait_memory): EAGAIN, and not writable, rather than an error.
        Assert.Equal(-Kernel.LinuxAbi.Errno.EAGAIN, Write(b, Pattern(10)));
        Assert.Equal(0u, b.Poll() & PollBits.Writable);
        Assert.True(b.WantsRingMemory);

        // a's data is read; under pressure its ring gives the block back at once, which wakes b.
        Assert.Equal(Pattern(100), Read(a));
        Assert.False(a.ReceiveBuffer.HasStorage);
        Assert.False(b.WantsRingMemory);
        Assert.NotEqual(0u, b.Poll() & PollBits.Writable);
        Link.Inject(Ack(FirstClientPort + 1, synAckB, Pattern(200)));   // the peer's retransmission
        Assert.Equal(Pattern(200), Read(b));
        Link.Run(100 * Ms, 10 * Ms);   // the delayed ACK
        Assert.Equal(PeerIss + 201, Link.Sent.Last(s => s.DestinationPort == FirstClientPort + 1).Acknowledgment);
        Assert.Equal(10, Write(b, Pattern(10)));
    }
}
