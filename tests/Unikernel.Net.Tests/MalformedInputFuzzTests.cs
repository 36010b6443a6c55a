using System;
using System.Collections.Generic;
using System.Linq;
using Kernel.Net;
using Kernel.Net.Tcp;

namespace Unikernel.Net.Tests;

// Random mutations of valid frames (fixed seeds, bounded counts) fed to the stack's input path, with the checksums
// repaired half the time so the mutations reach past them into the TCP state machine and the option parser. The stack
// must not throw, must give every packet back to the pool, and a clean connection afterwards must work end to end.
public sealed class MalformedInputFuzzTests : TcpTestBase
{
    private const ulong Ms = SimulatedLink.Millisecond;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MutatedFramesNeitherThrowNorLeakNorBreakTheNextConnection(int seed)
    {
        var random = new Random(seed);
        TcpConnection target = OpenPassive(out var synAck, s => { s.SackPermitted = true; s.WindowScale = 5; });
        uint ours = synAck.Sequence + 1;
        Write(target, Pattern(3000));   // data in flight, so ACKs and SACK blocks have something to act on
        var seeds = SeedFrames(ours);
        ulong segmentsBefore = TcpProtocol.SegmentsReceived;
        for (int i = 0; i < 3000; i++)
        {
            byte[] frame = Mutate(seeds[random.Next(seeds.Count)], random);
            Link.InjectFrame(frame);
            if (i % 100 == 0)
            {
                Link.Run((ulong)random.Next(1, 400) * Ms, 10 * Ms);   // timers fire on whatever state the fuzz left
                if (target.State == TcpState.Established) Read(target);
            }
        }
        // Not a vacuous fuzz: a tenth or more of the mutated frames (about 15% with these seeds) passed the checks into TCP.
        Assert.True(TcpProtocol.SegmentsReceived - segmentsBefore > 300, $"{TcpProtocol.SegmentsReceived - segmentsBefore} segments reached TCP");
        Link.Run(2000 * Ms, 10 * Ms);
        if (target.State != TcpState.Closed) target.Abort(0);
        TcpProtocol.Listen(0, ServerPort, 4, out _)?.Close();

        CleanExchange((ushort)(PeerPort + 1));
    }

    // A fresh connection on another port: handshake, data both ways, orderly close from both sides.
    private void CleanExchange(ushort port)
    {
        TcpListener listener = TcpProtocol.Listen(0, 9090, 4, out long error);
        Assert.NotNull(listener);
        var syn = new WireSegment { SourcePort = port, DestinationPort = 9090, Flags = WireSegment.Syn, Sequence = 500, Window = 65535, Mss = 1460 };
        int before = Link.Sent.Count;
        Link.Inject(syn);
        var synAck = Link.Sent.Skip(before).Single(s => s.DestinationPort == port);
        uint ours = synAck.Sequence + 1;
        Link.Inject(new WireSegment { SourcePort = port, DestinationPort = 9090, Flags = WireSegment.Ack, Sequence = 501, Acknowledgment = ours, Window = 65535 });
        TcpConnection c = listener.Accept();
        Assert.NotNull(c);
        Link.Inject(new WireSegment { SourcePort = port, DestinationPort = 9090, Flags = WireSegment.Ack | WireSegment.Psh, Sequence = 501, Acknowledgment = ours, Window = 65535, Data = Pattern(700) });
        Assert.Equal(Pattern(700), Read(c));
        c.NoDelay = true;
        Write(c, Pattern(300, 9));
        var reply = Link.Sent.Last(s => s.DestinationPort == port);
        Assert.Equal(Pattern(300, 9), reply.Data);
        Assert.Equal(1201u, reply.Acknowledgment);
        Link.Inject(new WireSegment { SourcePort = port, DestinationPort = 9090, Flags = WireSegment.Ack | WireSegment.Fin, Sequence = 1201, Acknowledgment = ours + 300, Window = 65535 });
        Assert.Equal(TcpState.CloseWait, c.State);
        c.HeldByApp = true;
        c.Close();
        var fin = Link.Sent.Last(s => s.DestinationPort == port);
        Assert.True(fin.Has(WireSegment.Fin));
        Link.Inject(new WireSegment { SourcePort = port, DestinationPort = 9090, Flags = WireSegment.Ack, Sequence = 1202, Acknowledgment = fin.Sequence + 1, Window = 65535 });
        Assert.Equal(TcpState.Closed, c.State);
        listener.Close();
    }

    private List<byte[]> SeedFrames(uint ours)
    {
        ulong peerMac = SimulatedLink.PeerMac, mac = NetworkStack.HostMac;
        uint peer = SimulatedLink.PeerAddress, stack = SimulatedLink.StackAddress;
        var syn = FromPeer(WireSegment.Syn, 77_000, 0);
        syn.Mss = 1400; syn.SackPermitted = true; syn.WindowScale = 14;
        var sackAck = FromPeer(WireSegment.Ack, PeerIss + 1, ours + 1460, window: 2000);
        sackAck.Sack.Add((ours + 2000, ours + 2500));
        sackAck.Sack.Add((ours + 2600, ours + 2800));
        var frames = new List<byte[]>
        {
            syn.Build(peerMac, mac, peer, stack),
            FromPeer(WireSegment.Ack | WireSegment.Psh, PeerIss + 1, ours, Pattern(200)).Build(peerMac, mac, peer, stack),
            FromPeer(WireSegment.Ack, PeerIss + 1 + 5000, ours, Pattern(100)).Build(peerMac, mac, peer, stack),
            sackAck.Build(peerMac, mac, peer, stack),
            FromPeer(WireSegment.Ack | WireSegment.Fin, PeerIss + 1, ours).Build(peerMac, mac, peer, stack),
            FromPeer(WireSegment.Rst, PeerIss + 1 + 10, 0).Build(peerMac, mac, peer, stack),
            FromPeer(WireSegment.Ack, PeerIss + 1, ours, window: 0).Build(peerMac, mac, peer, stack),
        };
        // ICMP echo request and a UDP datagram reach the other protocols' input paths.
        frames.Add(Ipv4Frame(1, new byte[] { 8, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4 }, fixTransportChecksum: icmp => WireSegment.Write16(icmp, 2, WireSegment.Checksum(icmp, 0, icmp.Length, 0))));
        frames.Add(Ipv4Frame(17, new byte[] { 0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 1, 2, 3, 4 }, null));
        return frames;
    }

    private static byte[] Ipv4Frame(byte protocol, byte[] payload, Action<byte[]> fixTransportChecksum)
    {
        fixTransportChecksum?.Invoke(payload);
        var f = new byte[14 + 20 + payload.Length];
        WireSegment.WriteMac(f, 0, NetworkStack.HostMac);
        WireSegment.WriteMac(f, 6, SimulatedLink.PeerMac);
        WireSegment.Write16(f, 12, 0x0800);
        f[14] = 0x45;
        WireSegment.Write16(f, 16, (ushort)(20 + payload.Length));
        f[22] = 64;
        f[23] = protocol;
        WireSegment.Write32(f, 26, SimulatedLink.PeerAddress);
        WireSegment.Write32(f, 30, SimulatedLink.StackAddress);
        WireSegment.Write16(f, 24, WireSegment.Checksum(f, 14, 20, 0));
        payload.CopyTo(f, 34);
        return f;
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var frame = (byte[])original.Clone();
        int mutations = random.Next(1, 6);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(6))
            {
                case 0: frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: frame[random.Next(frame.Length)] = (byte)random.Next(256); break;
                case 2:
                    // The TCP/IP headers and options, where the parsers are.
                    int at = Math.Min(frame.Length - 1, 14 + random.Next(60));
                    frame[at] = (byte)random.Next(256);
                    break;
                case 3: Array.Resize(ref frame, random.Next(1, frame.Length + 1)); break;
                case 4: Array.Resize(ref frame, Math.Min(Packet.MaximumFrame, frame.Length + random.Next(1, 64))); break;
                case 5:
                    // Header length or total length nibbles, the numbers parsers trust most.
                    if (frame.Length > 46) frame[random.Next(2) == 0 ? 46 : 17] = (byte)random.Next(256);
                    break;
            }
        }
        if (random.Next(2) == 0) RepairChecksums(frame);
        return frame;
    }

    // Recomputes the IPv4 header and TCP/UDP/ICMP checksums over whatever the mutated lengths claim, where they fit.
    private static void RepairChecksums(byte[] f)
    {
        if (f.Length < 34 || WireSegment.Read16(f, 12) != 0x0800) return;
        int headerLength = (f[14] & 0xF) * 4;
        if (headerLength < 20 || 14 + headerLength > f.Length) return;
        f[24] = f[25] = 0;
        WireSegment.Write16(f, 24, WireSegment.Checksum(f, 14, headerLength, 0));
        int total = WireSegment.Read16(f, 16);
        int start = 14 + headerLength, length = total - headerLength;
        if (length < 8 || start + length > f.Length) return;
        uint source = WireSegment.Read32(f, 26), destination = WireSegment.Read32(f, 30);
        ulong pseudo = (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + f[23] + (ulong)length;
        int field = f[23] == 6 ? 16 : f[23] == 17 ? 6 : 2;
        if (f[23] == 1) pseudo = 0;
        if (field + 2 > length) return;
        f[start + field] = f[start + field + 1] = 0;
        WireSegment.Write16(f, start + field, WireSegment.Checksum(f, start, length, pseudo));
    }
}
