using Kernel.Net.Tcp;

namespace Kernel.Net;

// The host build's NetworkStack: the same surface the protocol code calls, with the device replaced by a
// sink the tests install (SimulatedLink) and the loopback queue delivered on Flush/Poll as in the kernel.
internal static class NetworkStack
{
    public const ulong HostMac = 0x5254_0012_3456;
    public static ulong MacAddress => HostMac;
    public static bool IsUp => true;
    /// <summary>No card object on the host (the drop counters' exit line and /proc/net/drops read it).</summary>
    public static NetworkDevice Device => null;
    public static ulong DroppedByTest;
    /// <summary>No card, so no interrupt (the exit line's interrupt count reads these).</summary>
    public static int InterruptLine => -1;
    public static ulong Interrupts => 0;
    /// <summary>The simulated link checks every checksum, so senders always compute them (the card's offload is a guest matter).</summary>
    public static bool ChecksumOffloadTo(IpAddress destination) => false;

    /// <summary>Where transmitted frames go (a copy of the frame; the packet goes back to the pool).</summary>
    public static System.Action<byte[]> Wire;

    private static Packet s_loopbackHead, s_loopbackTail;

    public static unsafe void Transmit(Packet packet)
    {
        var frame = new byte[packet.FrameLength];
        for (int i = 0; i < frame.Length; i++) frame[i] = packet.Frame[i];
        PacketPool.Free(packet);
        Wire?.Invoke(frame);
    }

    public static void Loopback(Packet packet)
    {
        packet.Next = null;
        if (s_loopbackTail == null) s_loopbackHead = packet; else s_loopbackTail.Next = packet;
        s_loopbackTail = packet;
    }

    public static unsafe void Flush()
    {
        while (s_loopbackHead != null)
        {
            Packet p = s_loopbackHead;
            s_loopbackHead = p.Next;
            if (s_loopbackHead == null) s_loopbackTail = null;
            p.Next = null;
            if (NetBytes.Read16(p.Frame + 12) == Ethernet.TypeIpv6) Ipv6.Input(p, fromWire: false); else Ipv4.Input(p);
        }
    }

    /// <summary>The kernel's poll minus the device: loopback, then the protocol timers at the virtual time.</summary>
    public static void Poll()
    {
        Flush();
        ulong now = Time.Clock.MonotonicNanoseconds;
        Neighbours.Tick(now);
        TcpProtocol.Tick(now);
        Flush();
    }
}
