using Kernel.Console;
using Kernel.Net.Tcp;

namespace Kernel.Net
{
    /// <summary>Why the input path threw a received frame away; the names in <see cref="NetCounters.Name"/> are what the exit line prints.</summary>
    internal enum DropReason
    {
        FrameShort, OtherMac, EtherType,
        ArpMalformed,
        IpHeader, IpLength, IpChecksum, IpFragment, IpAddress, IpProtocol,
        IcmpMalformed,
        UdpLength, UdpChecksum, UdpNoPort,
        TcpChecksum, TcpHeader, TcpOptions,
        // Well-formed, but over a limit (TcpProtocol, TcpListener): refused without a trace on the wire, the peer retries.
        TcpTableFull, TcpSynQueueFull, TcpAcceptQueueFull, TcpMemory,
        Count,
    }

    // Drops are counted per reason, not just in total, so that a malformed frame is visibly rejected for the
    // reason it was malformed: the robustness tests inject frames with known defects and check that the kernel
    // names exactly those. Limits count here too (a SYN dropped because the connection table or a listen queue is
    // full), so a refused client shows up by cause. The app reads them in /proc/net/drops; at exit they are printed
    // with TCP's table figures:
    //   uk: net: received R frames, sent S, dropped D (reason=count, ...)
    //   uk: net: tcp: P passive and A active opens, at most M connections at once (limit L)
    internal static unsafe class NetCounters
    {
        private struct Table { public fixed ulong Counts[(int)DropReason.Count]; }
        private static Table s_drops;

        public static void Drop(DropReason reason)
        {
            fixed (Table* t = &s_drops) t->Counts[(int)reason]++;
        }

        public static ulong Dropped(DropReason reason)
        {
            fixed (Table* t = &s_drops) return t->Counts[(int)reason];
        }

        public static string Name(DropReason reason) => reason switch
        {
            DropReason.FrameShort => "frame-short",
            DropReason.OtherMac => "other-mac",
            DropReason.EtherType => "ethertype",
            DropReason.ArpMalformed => "arp-malformed",
            DropReason.IpHeader => "ip-header",
            DropReason.IpLength => "ip-length",
            DropReason.IpChecksum => "ip-checksum",
            DropReason.IpFragment => "ip-fragment",
            DropReason.IpAddress => "ip-address",
            DropReason.IpProtocol => "ip-protocol",
            DropReason.IcmpMalformed => "icmp-malformed",
            DropReason.UdpLength => "udp-length",
            DropReason.UdpChecksum => "udp-checksum",
            DropReason.UdpNoPort => "udp-no-port",
            DropReason.TcpChecksum => "tcp-checksum",
            DropReason.TcpHeader => "tcp-header",
            DropReason.TcpOptions => "tcp-options",
            DropReason.TcpTableFull => "tcp-table-full",
            DropReason.TcpSynQueueFull => "tcp-syn-queue-full",
            DropReason.TcpAcceptQueueFull => "tcp-accept-queue-full",
            DropReason.TcpMemory => "tcp-memory",
            _ => "?",
        };

        /// <summary>The exit line ("net: received 3 frames, sent 4, dropped 0; 2 card interrupts"); nothing without a card (loopback-only apps would only print zeros).</summary>
        public static void Report()
        {
            NetworkDevice device = NetworkStack.Device;
            if (device == null) return;
            ulong total = NetworkStack.DroppedByTest + device.ReceiveDropped;
            for (int i = 0; i < (int)DropReason.Count; i++) total += Dropped((DropReason)i);
            KernelConsole.Prefix();
            KernelConsole.Write("net: received ");
            KernelConsole.WriteDecimal(device.Received);
            KernelConsole.Write(" frames, sent ");
            KernelConsole.WriteDecimal(device.Transmitted);
            KernelConsole.Write(", dropped ");
            KernelConsole.WriteDecimal(total);
            if (total > 0)
            {
                KernelConsole.Write(" (");
                bool first = true;
                for (int i = 0; i < (int)DropReason.Count; i++) WriteCount(Name((DropReason)i), Dropped((DropReason)i), ref first);
                WriteCount("receive-ring", device.ReceiveDropped, ref first);
                WriteCount("test", NetworkStack.DroppedByTest, ref first);
                KernelConsole.Write(")");
            }
            // Whether the card's interrupt arrived at all (a wrong route degrades to polling on the timer tick, silently).
            if (NetworkStack.InterruptLine != -1)
            {
                KernelConsole.Write("; ");
                KernelConsole.WriteDecimal(NetworkStack.Interrupts);
                KernelConsole.Write(" card interrupts");
            }
            KernelConsole.WriteLine();
            if (TcpProtocol.PassiveOpens + TcpProtocol.ActiveOpens == 0) return;
            KernelConsole.Prefix();
            KernelConsole.Write("net: tcp: ");
            KernelConsole.WriteDecimal(TcpProtocol.PassiveOpens);
            KernelConsole.Write(" passive and ");
            KernelConsole.WriteDecimal(TcpProtocol.ActiveOpens);
            KernelConsole.Write(" active opens, at most ");
            KernelConsole.WriteDecimal((ulong)TcpProtocol.PeakConnections);
            KernelConsole.Write(" connections at once (limit ");
            KernelConsole.WriteDecimal((ulong)TcpProtocol.ConnectionLimit);
            KernelConsole.Write(")");
            KernelConsole.WriteLine();
        }

        private static void WriteCount(string name, ulong count, ref bool first)
        {
            if (count == 0) return;
            if (!first) KernelConsole.Write(", ");
            first = false;
            KernelConsole.Write(name);
            KernelConsole.Write("=");
            KernelConsole.WriteDecimal(count);
        }
    }
}
