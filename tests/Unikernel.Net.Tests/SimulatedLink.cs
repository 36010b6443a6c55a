using System;
using System.Collections.Generic;
using System.Reflection;
using Kernel.Net;
using Kernel.Net.Tcp;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Unikernel.Net.Tests;

// The network under test: our stack (static state, one per process, so tests run one at a time) on one end of
// an Ethernet link, a peer the test scripts on the other, and a virtual clock that moves only in Run/Advance.
// Frames the stack sends are recorded (Sent) and, when a peer is attached, delivered to it after the link's delay,
// unless the loss rule drops them; reordering is extra random delay from a seeded generator. The peer's frames go
// through the same delay/loss, or straight in (Inject) for step-by-step scripts. ARP for the peer is answered here.
public sealed class SimulatedLink : IDisposable
{
    public const uint StackAddress = 0x0A00020F;   // 10.0.2.15, NetworkConfiguration's default
    public const uint PeerAddress = 0x0A000264;    // 10.0.2.100, on link
    public const ulong PeerMac = 0x5254_00AA_BBCC;
    public const ulong Millisecond = 1_000_000;

    private static bool s_started;
    public readonly List<WireSegment> Sent = new();
    /// <summary>Every frame the stack sent, raw (Sent has the TCP/IPv4 ones parsed).</summary>
    public readonly List<byte[]> Frames = new();
    public ulong DelayNanoseconds = Millisecond;
    /// <summary>Extra random delay up to this much per frame: reorders frames closer together than it.</summary>
    public ulong JitterNanoseconds;
    /// <summary>Drops a stack-to-peer segment (its index in Sent) when true.</summary>
    public Func<WireSegment, int, bool> DropToPeer = (_, _) => false;
    public Func<WireSegment, bool> DropToStack = _ => false;
    /// <summary>The peer: gets the segments that survive the link; what it returns goes back to the stack.</summary>
    public Func<WireSegment, IEnumerable<WireSegment>> Peer;
    public readonly Random Random;

    private readonly List<(ulong Due, long Order, bool ToStack, WireSegment Segment)> _inFlight = new();
    private long _order;

    public SimulatedLink(int seed = 1)
    {
        Random = new Random(seed);
        Kernel.Entropy.Random.Seed((ulong)seed * 0x9E3779B97F4A7C15);
        if (!s_started)
        {
            if (!PacketPool.Initialize(512)) throw new InvalidOperationException("packet pool");
            NeighbourCache.Initialize();
            s_started = true;
        }
        NetworkStack.Wire = null;
        ResetStack();
        NetworkStack.Wire = OnWire;
        // The stack learns the peer's MAC from its request, as from any host on the link.
        InjectFrame(ArpFrame(1, PeerMac, PeerAddress, 0, StackAddress, Kernel.Net.Ethernet.Broadcast));
        Sent.Clear();
    }

    public static ulong Now => Kernel.Time.Clock.MonotonicNanoseconds;

    /// <summary>Moves the virtual clock by <paramref name="nanoseconds"/> in steps, delivering frames and running the stack's timers.</summary>
    public void Run(ulong nanoseconds, ulong step = Millisecond)
    {
        ulong end = Now + nanoseconds;
        while (Now < end)
        {
            ulong next = Now + step;
            if (next > end) next = end;
            AnswerArp();
            DeliverDue(next);
            Kernel.Time.Clock.MonotonicNanoseconds = next;
            NetworkStack.Poll();
        }
        DeliverDue(Now);
    }

    /// <summary>Runs until <paramref name="done"/> holds or <paramref name="limit"/> passes; whether it held.</summary>
    public bool RunUntil(Func<bool> done, ulong limit, ulong step = Millisecond)
    {
        ulong end = Now + limit;
        while (!done())
        {
            if (Now >= end) return false;
            Run(step, step);
        }
        return true;
    }

    /// <summary>A segment from the peer, into the stack now (no delay, no loss).</summary>
    public void Inject(WireSegment segment)
    {
        InjectFrame(segment.Build(PeerMac, NetworkStack.HostMac, PeerAddress, StackAddress));
    }

    public unsafe void InjectFrame(byte[] frame)
    {
        Packet p = PacketPool.Allocate();
        if (p == null) throw new InvalidOperationException("packet pool empty: a leak");
        int length = Math.Min(frame.Length, Packet.MaximumFrame);
        for (int i = 0; i < length; i++) p.Frame[i] = frame[i];
        p.FrameLength = length;
        Kernel.Net.Ethernet.Input(p);
        NetworkStack.Flush();
    }

    /// <summary>A segment from the peer through the link (delay, jitter, loss).</summary>
    public void Send(WireSegment segment)
    {
        if (DropToStack(segment)) return;
        Schedule(true, segment);
    }

    private void Schedule(bool toStack, WireSegment segment)
    {
        ulong jitter = JitterNanoseconds == 0 ? 0 : (ulong)(Random.NextDouble() * JitterNanoseconds);
        _inFlight.Add((Now + DelayNanoseconds + jitter, _order++, toStack, segment));
    }

    private void DeliverDue(ulong until)
    {
        while (true)
        {
            int best = -1;
            for (int i = 0; i < _inFlight.Count; i++)
                if (_inFlight[i].Due <= until && (best < 0 || _inFlight[i].Due < _inFlight[best].Due
                    || (_inFlight[i].Due == _inFlight[best].Due && _inFlight[i].Order < _inFlight[best].Order)))
                    best = i;
            if (best < 0) return;
            var item = _inFlight[best];
            _inFlight.RemoveAt(best);
            if (item.Due > Now) Kernel.Time.Clock.MonotonicNanoseconds = item.Due;
            if (item.ToStack) Inject(item.Segment);
            else if (Peer != null)
                foreach (var reply in Peer(item.Segment)) Send(reply);
        }
    }

    private void OnWire(byte[] frame)
    {
        Frames.Add(frame);
        if (WireSegment.Read16(frame, 12) == 0x0806)
        {
            // ARP: the peer answers requests for its address (later, from the stack's next poll).
            if (WireSegment.Read16(frame, 14 + 6) == 1 && WireSegment.Read32(frame, 14 + 24) == PeerAddress)
                _pendingArp.Add(ArpFrame(2, PeerMac, PeerAddress, NetworkStack.HostMac, StackAddress, NetworkStack.HostMac));
            return;
        }
        var segment = WireSegment.Parse(frame);
        if (segment == null) return;
        segment.Time = Now;
        Sent.Add(segment);
        if (Peer != null && !DropToPeer(segment, Sent.Count - 1)) Schedule(false, segment);
    }

    private readonly List<byte[]> _pendingArp = new();

    /// <summary>ARP answers owed to the stack (delivered by Run).</summary>
    public void AnswerArp()
    {
        var pending = _pendingArp.ToArray();
        _pendingArp.Clear();
        foreach (var f in pending) InjectFrame(f);
    }

    private static byte[] ArpFrame(ushort operation, ulong senderMac, uint sender, ulong targetMac, uint target, ulong destination)
    {
        var f = new byte[60];
        WireSegment.WriteMac(f, 0, destination);
        WireSegment.WriteMac(f, 6, senderMac);
        WireSegment.Write16(f, 12, 0x0806);
        WireSegment.Write16(f, 14, 1);
        WireSegment.Write16(f, 16, 0x0800);
        f[18] = 6;
        f[19] = 4;
        WireSegment.Write16(f, 20, operation);
        WireSegment.WriteMac(f, 22, senderMac);
        WireSegment.Write32(f, 28, sender);
        WireSegment.WriteMac(f, 32, targetMac);
        WireSegment.Write32(f, 38, target);
        return f;
    }

    /// <summary>Every connection and listener from an earlier test gone (their packets back in the pool).</summary>
    private static void ResetStack()
    {
        var tcp = typeof(TcpProtocol);
        var flags = BindingFlags.NonPublic | BindingFlags.Static;
        for (var l = (TcpListener)tcp.GetField("s_listeners", flags).GetValue(null); l != null; l = (TcpListener)tcp.GetField("s_listeners", flags).GetValue(null))
            l.Close();
        for (var c = (TcpConnection)tcp.GetField("s_active", flags).GetValue(null); c != null;)
        {
            var next = c.NextActive;   // the abort puts c back in the pool, which unlinks it
            c.HeldByApp = false;
            c.Abort(0);
            TcpProtocol.ReleaseIfDone(c);
            c = next;
        }
        tcp.GetField("s_active", flags).SetValue(null, null);
        tcp.GetField("s_activeCount", flags).SetValue(null, 0);
        NetworkStack.Flush();
    }

    public void Dispose()
    {
        ResetStack();
        AnswerArp();   // the resets may wait for an expired ARP entry
        NetworkStack.Wire = null;
        // Packets for addresses nobody answers for (a fuzzed source address, routed via the gateway) wait in ARP's
        // queue until its retries run out: let them.
        for (int i = 0; i < 8; i++)
        {
            Kernel.Time.Clock.MonotonicNanoseconds += 1_000_000_000;
            Neighbours.Tick(Now);
        }
        _inFlight.Clear();
    }
}
