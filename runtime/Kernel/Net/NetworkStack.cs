using Kernel.Arch;
using Kernel.Console;
using Kernel.Net.Dhcp;
using Kernel.Net.Tcp;

namespace Kernel.Net
{
    // The network stack's entry points: start-up (configure the interface, fill the packet pool, then take
    // the card its driver attaches and handle its interrupt) and Poll, which the scheduler calls on every
    // timer tick and before the idle CPU halts (and the self-tests call in their loops): it takes the
    // device's received frames up through Ethernet, ARP, IPv4, ICMP, IPv6, ICMPv6, UDP and TCP, delivers loopback
    // packets, and runs the protocol timers. Everything runs with interrupts off, to completion, so the
    // layers need no locks. One interface, IPv4 and IPv6. The card is only a NetworkDevice: its driver
    // (Devices/Virtio/VirtioNet.Probe, called at boot) starts the stack and attaches itself, so Net
    // depends on no driver.
    internal static unsafe class NetworkStack
    {
        public const int PoolPackets = 512;
        private const int ReceiveBudget = 256;   // more than the receive ring holds: a poll empties it

        public static NetworkDevice Device;
        public static bool IsUp => Device != null;
        /// <summary>The card's MAC address (0 without a card: loopback only).</summary>
        public static ulong MacAddress => Device != null ? Device.MacAddress : 0;
        private static bool s_started;
        /// <summary>The card's interrupt line (GSI) when it is routed, NetworkDevice.MessageSignalled for MSI-X, else -1: the stack is then only polled.</summary>
        public static int InterruptLine = -1;
        public static ulong Interrupts;

        private static Packet s_loopbackHead, s_loopbackTail;
        private static bool s_polling;

        /// <summary>Fault injection for tests (uk.net.drop-every=N in the test kernel): drop every Nth received frame.</summary>
        public static int DropEvery;
        public static ulong DroppedByTest;
        private static int s_dropCounter;

        /// <summary>The card its driver has started (after Start): the interface comes up on it, with DHCP when configured.</summary>
        public static void Attach(NetworkDevice nic)
        {
            Device = nic;
#if KERNEL_SELFTEST
            DropEvery = Boot.BootCommandLine.NumberOption("uk.net.drop-every");
#endif

            Ipv6.Start(nic.MacAddress);   // first: a router's advertisement then arrives while DHCP is waited for
            string dhcpProblem = null;
            if (NetworkConfiguration.UsesDhcp)
            {
                dhcpProblem = DhcpClient.Start();
                if (dhcpProblem == null) WaitForDhcp();
            }

            KernelConsole.Prefix();
            KernelConsole.Write("net: ");
            KernelConsole.Write(nic.Name);
            KernelConsole.Write(" ");
            NetBytes.WriteMac(nic.MacAddress);
            KernelConsole.Write(" (");
            KernelConsole.Write(nic.Bus);
            KernelConsole.Write(") ");
            NetBytes.WriteAddress(NetworkConfiguration.Address);
            KernelConsole.Write("/");
            KernelConsole.WriteDecimal((ulong)NetworkConfiguration.PrefixLength);
            KernelConsole.Write(" gateway ");
            NetBytes.WriteAddress(NetworkConfiguration.Gateway);
            KernelConsole.Write(" dns ");
            NetBytes.WriteAddress(NetworkConfiguration.Dns);
            KernelConsole.Write(", link ");
            KernelConsole.Write(nic.LinkUp ? "up" : "down");
            if (nic.ChecksumsOnTransmit) KernelConsole.Write(", checksum offload");
            InterruptHandlers.Register(InterruptVectors.Network, &OnInterrupt);
            InterruptLine = nic.RouteInterrupt(InterruptVectors.Network);
            if (InterruptLine >= 0)
            {
                KernelConsole.Write(", irq ");
                KernelConsole.WriteDecimal((ulong)InterruptLine);
            }
            else if (InterruptLine == NetworkDevice.MessageSignalled) KernelConsole.Write(", msi-x");
            else KernelConsole.Write(", polled");
            WriteAddressOrigin(dhcpProblem);
            if (DropEvery > 0)
            {
                KernelConsole.Write(", dropping every ");
                KernelConsole.WriteDecimal((ulong)DropEvery);
                KernelConsole.Write("th received frame");
            }
            KernelConsole.WriteLine();
            DhcpClient.BootReported = true;
            Ipv6.ReportAddresses();

            Threads.Scheduler.WakeSources++;
            // Ask for the gateway now: the answer is there when the first packet leaves, and the VMM's NAT
            // (slirp) learns our MAC from the request, so forwarded traffic can reach us at once.
            if (NetworkConfiguration.Gateway != 0) Neighbours.Resolve(NetworkConfiguration.Gateway);
        }

        /// <summary>
        /// Boot waits for the first DHCP lease, polling (interrupts are still off), for at most uk.net.dhcp-wait=SECONDS
        /// (default 5): an app that connects out or prints its address at start expects one, as after Linux's
        /// network-online; a server on 0.0.0.0 would not care. QEMU's and most LAN servers answer in milliseconds, so
        /// the wait costs little; without an answer the app starts with no address and the client keeps trying.
        /// </summary>
        private static void WaitForDhcp()
        {
            int seconds = Boot.BootCommandLine.NumberOption("uk.net.dhcp-wait", 5);
            ulong deadline = Time.Clock.MonotonicNanoseconds + (ulong)seconds * 1_000_000_000UL;
            while (!DhcpClient.HasAddress && Time.Clock.MonotonicNanoseconds < deadline)
            {
                Poll();
                Arch.Cpu.Pause();
            }
        }

        private static void WriteAddressOrigin(string dhcpProblem)
        {
            if (!NetworkConfiguration.UsesDhcp) { KernelConsole.Write(", static"); return; }
            if (dhcpProblem != null) { KernelConsole.Write(", "); KernelConsole.Write(dhcpProblem); return; }
            if (!DhcpClient.HasAddress)
            {
                KernelConsole.Write(", dhcp: no answer yet (still asking)");
                return;
            }
            KernelConsole.Write(", dhcp from ");
            NetBytes.WriteAddress(DhcpClient.Server);
            KernelConsole.Write(" in ");
            KernelConsole.WriteDecimal(DhcpClient.FirstBindNanoseconds / 1_000_000UL);
            KernelConsole.Write(" ms, lease ");
            KernelConsole.WriteDecimal(DhcpClient.LeaseSeconds);
            KernelConsole.Write(" s");
        }

        /// <summary>
        /// The stack without a card yet: configuration, packet pool, ARP table, the scheduler's poll. Runs at boot when a
        /// card is found, else on the first socket (loopback works without a card). Null, or why it cannot start.
        /// </summary>
        public static string Start()
        {
            if (s_started) return null;
            string problem = NetworkConfiguration.Load();
            if (problem != null) return problem;
            if (!PacketPool.Initialize(PoolPackets)) return "no memory for the packet pool";
            NeighbourCache.Initialize();
            Threads.Scheduler.PollHook = &Poll;
            s_started = true;
            return null;
        }

        public static bool IsStarted => s_started;

        /// <summary>Delivers packets the kernel sent to itself (loopback) and sends what the card has queued: the end of every socket call.</summary>
        public static void Flush()
        {
            if (!s_started || s_polling) return;
            s_polling = true;
            DeliverLoopback();
            if (Device != null) Device.Flush();
            s_polling = false;
        }

        /// <summary>
        /// The card's interrupt (InterruptVectors.Network): the same work as a poll, whose Service acknowledges the card
        /// before the EOI -- the line is level-triggered, so acknowledged the other way round it would fire again at once.
        /// </summary>
        private static InterruptFrame* OnInterrupt(InterruptFrame* frame)
        {
            Interrupts++;
            Poll();
            Time.LocalApic.EndOfInterrupt();
            return null;   // the usual frame: the scheduler's after an interrupt of the app
        }

        /// <summary>Receive, deliver, run timers. Safe to call any time in the kernel (not re-entered).</summary>
        public static void Poll()
        {
            if (!s_started || s_polling) return;
            s_polling = true;
            if (Device != null) Device.Service();
            for (int budget = ReceiveBudget; budget > 0 && Device != null; budget--)
            {
                Packet p = Device.Receive();
                if (p == null) break;
                if (DropEvery > 0 && ++s_dropCounter % DropEvery == 0)
                {
                    DroppedByTest++;
                    PacketPool.Free(p);
                    continue;
                }
                Ethernet.Input(p);
            }
            DeliverLoopback();
            ulong now = Time.Clock.MonotonicNanoseconds;
            Neighbours.Tick(now);
            DhcpClient.Tick(now);
            TcpProtocol.Tick(now);
            Logs.LogShipper.Pump();   // buffered log lines to their collectors (only copied there by the writers)
            DeliverLoopback();
            if (Device != null) Device.Flush();
            s_polling = false;
        }

        /// <summary>
        /// The app has ended and its sockets are closed: keep the stack running until the peers have acknowledged
        /// what TCP still holds (data and FINs), at most uk.net.linger= seconds (default 5). On Linux the kernel
        /// outlives the process and delivers those bytes; here powering off would drop them, so a server's last
        /// response or a client's last request would be cut short.
        /// </summary>
        public static void DeliverBeforePowerOff()
        {
            if (!s_started || Device == null) return;
            ulong seconds = (ulong)Boot.BootCommandLine.NumberOption("uk.net.linger", DefaultLingerSeconds);
            ulong deadline = Time.Clock.MonotonicNanoseconds + seconds * 1_000_000_000;
            Poll();
            while (TcpProtocol.HasUnacknowledgedOutput && Time.Clock.MonotonicNanoseconds < deadline)
            {
                Arch.Cpu.WaitForInterrupt();   // the card's interrupt or the next timer tick
                Poll();
            }
        }

        private const int DefaultLingerSeconds = 5;

        /// <summary>Whether a TCP/UDP sender may leave the checksum to the card (Packet.ChecksumStart): it goes out through one that can.</summary>
        public static bool ChecksumOffloadTo(IpAddress destination)
            => Device != null && Device.ChecksumsOnTransmit && !Ip.IsOurs(destination);

        public static void Transmit(Packet packet)
        {
            if (Device != null) Device.Transmit(packet);
            else PacketPool.Free(packet);
        }

        /// <summary>A packet for ourselves: delivered as a received frame at the next poll.</summary>
        public static void Loopback(Packet packet)
        {
            packet.Next = null;
            if (s_loopbackTail == null) s_loopbackHead = packet; else s_loopbackTail.Next = packet;
            s_loopbackTail = packet;
        }

        private static void DeliverLoopback()
        {
            for (int budget = ReceiveBudget; budget > 0 && s_loopbackHead != null; budget--)
            {
                Packet p = s_loopbackHead;
                s_loopbackHead = p.Next;
                if (s_loopbackHead == null) s_loopbackTail = null;
                p.Next = null;
                if (NetBytes.Read16(p.Frame + 12) == Ethernet.TypeIpv6) Ipv6.Input(p, fromWire: false); else Ipv4.Input(p);
            }
        }

        /// <summary>A "net: ..." line: why the card or the stack could not start.</summary>
        public static void Report(string problem)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("net: ");
            KernelConsole.WriteLine(problem);
        }
    }
}
