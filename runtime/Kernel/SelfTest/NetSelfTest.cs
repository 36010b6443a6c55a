#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Boot;
using Kernel.Console;
using Kernel.Memory;
using Kernel.Net;
using Kernel.Net.Tcp;
using Kernel.Time;

namespace Kernel.SelfTest
{
    // The network stack against QEMU's user networking (slirp), before any app runs (no threads: the tests
    // call NetworkStack.Poll themselves, halting between polls on a 1 ms APIC tick):
    // - net-ping: ARP for the gateway, then ICMP echo to it (slirp answers pings to its own addresses),
    //   five times, with each round trip;
    // - net-udp-echo: an echo server on UDP port 7 for uk.selftest.count datagrams (default 10), which the
    //   integration test reaches through `hostfwd=udp:...-:7`;
    // - net-tcp-echo: an echo server on TCP port 7 for uk.selftest.count connections (default 4), several
    //   at a time, each echoing until the client's FIN, then closing.
    // Each ends by checking that every packet went back to the pool and nothing leaked on the heap.
    internal static unsafe class NetSelfTest
    {
        private const ulong Tick = 1_000_000;
        private const ulong PingTimeout = 2_000_000_000;
        private const ulong ServeTimeout = 120_000_000_000;
        private const ushort EchoPort = 7;

        public static void Ping()
        {
            RequireDevice("net-ping");
            uint gateway = NetworkConfiguration.Gateway;
            ulong start = Clock.MonotonicNanoseconds;
            ulong mac;
            while (!Neighbours.TryLookup(gateway, out mac))
            {
                if (Clock.MonotonicNanoseconds - start > PingTimeout) SelfTestOutput.Fail("net-ping: no ARP reply from the gateway");
                NetworkStack.Poll();
                Cpu.Pause();
            }
            ulong arpTime = Clock.MonotonicNanoseconds - start;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest net-ping: gateway ");
            NetBytes.WriteAddress(gateway);
            KernelConsole.Write(" is at ");
            NetBytes.WriteMac(mac);
            KernelConsole.Write(" (ARP, ");
            KernelConsole.WriteDecimal(arpTime / 1000);
            KernelConsole.WriteLine(" us after start-up)");

            const int Count = 5;
            const int DataBytes = 56;
            const ushort Identifier = 0x554B;
            ulong minimum = ulong.MaxValue, maximum = 0, total = 0;
            int received = 0;
            for (ushort sequence = 1; sequence <= Count; sequence++)
            {
                ulong sent = Clock.MonotonicNanoseconds;
                if (!Icmp.SendEchoRequest(gateway, Identifier, sequence, DataBytes)) SelfTestOutput.Fail("net-ping: no packet to send");
                bool answered = false;
                while (Clock.MonotonicNanoseconds - sent < PingTimeout)
                {
                    NetworkStack.Poll();
                    if (Icmp.LastReplyIdentifier == Identifier && Icmp.LastReplySequence == sequence && Icmp.LastReplySource == gateway)
                    {
                        answered = true;
                        break;
                    }
                    Cpu.Pause();
                }
                KernelConsole.Prefix();
                if (!answered)
                {
                    KernelConsole.Write("selftest net-ping: no reply to icmp_seq=");
                    KernelConsole.WriteDecimal(sequence);
                    KernelConsole.WriteLine();
                    continue;
                }
                ulong rtt = Icmp.LastReplyTime - sent;
                received++;
                total += rtt;
                if (rtt < minimum) minimum = rtt;
                if (rtt > maximum) maximum = rtt;
                KernelConsole.Write("selftest net-ping: ");
                KernelConsole.WriteDecimal(DataBytes + 8);
                KernelConsole.Write(" bytes from ");
                NetBytes.WriteAddress(gateway);
                KernelConsole.Write(": icmp_seq=");
                KernelConsole.WriteDecimal(sequence);
                KernelConsole.Write(" time=");
                KernelConsole.WriteDecimal(rtt / 1000);
                KernelConsole.WriteLine(" us");
            }
            if (received == 0) SelfTestOutput.Fail("net-ping: no echo reply from the gateway");
            KernelConsole.Prefix();
            KernelConsole.Write("selftest net-ping: ");
            KernelConsole.WriteDecimal(Count);
            KernelConsole.Write(" sent, ");
            KernelConsole.WriteDecimal((ulong)received);
            KernelConsole.Write(" received, rtt min/avg/max = ");
            KernelConsole.WriteDecimal(minimum / 1000);
            KernelConsole.Write("/");
            KernelConsole.WriteDecimal(total / (ulong)received / 1000);
            KernelConsole.Write("/");
            KernelConsole.WriteDecimal(maximum / 1000);
            KernelConsole.WriteLine(" us");
            CheckPool("net-ping");
            SelfTestOutput.Pass("selftest net-ping: all checks passed (ok)");
        }

        public static void UdpEcho()
        {
            RequireDevice("net-udp-echo");
            int count = CountOption(10);
            Files.Events.FileEvents.Changed(null);   // its class constructor allocates the wait queue: before counting
            ulong heapBefore = KernelMemory.Heap->LiveAllocations;
            var socket = new UdpSocket();
            if (Udp.Bind(socket, 0, EchoPort, false) != 0) SelfTestOutput.Fail("net-udp-echo: cannot bind port 7");
            KernelConsole.Prefix();
            KernelConsole.Write("selftest net-udp-echo: echoing udp port 7 for ");
            KernelConsole.WriteDecimal((ulong)count);
            KernelConsole.WriteLine(" datagrams");

            LocalApic.StartPeriodicTimer(Tick, InterruptVectors.Timer);
            ulong start = Clock.MonotonicNanoseconds;
            int echoed = 0;
            ulong bytes = 0;
            while (echoed < count)
            {
                if (Clock.MonotonicNanoseconds - start > ServeTimeout) SelfTestOutput.Fail("net-udp-echo: timed out waiting for datagrams");
                NetworkStack.Poll();
                Packet datagram;
                while ((datagram = socket.Dequeue()) != null)
                {
                    long sent = Udp.Send(socket, datagram.PeerAddress, datagram.PeerPort, datagram.Buffer + datagram.DataOffset, datagram.DataLength);
                    if (sent != datagram.DataLength) SelfTestOutput.Fail("net-udp-echo: could not send the echo");
                    bytes += (ulong)datagram.DataLength;
                    PacketPool.Free(datagram);
                    echoed++;
                }
                NetworkStack.Flush();
                if (echoed < count) Cpu.WaitForInterrupt();
            }
            // Let the last echoes leave the transmit ring.
            ulong drain = Clock.MonotonicNanoseconds;
            while (Clock.MonotonicNanoseconds - drain < 20 * Tick) { NetworkStack.Poll(); Cpu.WaitForInterrupt(); }
            LocalApic.StopTimer();
            socket.Close();
            KernelMemory.Free(socket.Waiters);
            KernelMemory.Free(socket);

            KernelConsole.Prefix();
            KernelConsole.Write("selftest net-udp-echo: echoed ");
            KernelConsole.WriteDecimal((ulong)echoed);
            KernelConsole.Write(" datagrams, ");
            KernelConsole.WriteDecimal(bytes);
            KernelConsole.Write(" bytes; udp in ");
            KernelConsole.WriteDecimal(Udp.Received);
            KernelConsole.Write(", out ");
            KernelConsole.WriteDecimal(Udp.Sent);
            KernelConsole.Write("; card interrupts ");
            KernelConsole.WriteDecimal(NetworkStack.Interrupts);
            KernelConsole.Write("; heap blocks ");
            KernelConsole.WriteDecimal(heapBefore);
            KernelConsole.Write(" -> ");
            KernelConsole.WriteDecimal(KernelMemory.Heap->LiveAllocations);
            KernelConsole.WriteLine();
            if (KernelMemory.Heap->LiveAllocations != heapBefore) SelfTestOutput.Fail("net-udp-echo: heap blocks leaked");
            CheckPool("net-udp-echo");
            SelfTestOutput.Pass("selftest net-udp-echo: all checks passed (ok)");
        }

        public static void TcpEcho()
        {
            RequireDevice("net-tcp-echo");
            int count = CountOption(4);
            long error;
            TcpListener listener = TcpProtocol.Listen(0, EchoPort, 16, out error);
            if (listener == null) SelfTestOutput.Fail("net-tcp-echo: cannot listen on port 7");
            KernelConsole.Prefix();
            KernelConsole.Write("selftest net-tcp-echo: echoing tcp port 7 for ");
            KernelConsole.WriteDecimal((ulong)count);
            KernelConsole.WriteLine(" connections");

            const int Slots = 16;
            var connections = new TcpConnection[Slots];
            var received = new ulong[Slots];
            byte* buffer = stackalloc byte[4096];
            int completed = 0, maximumConcurrent = 0;
            ulong bytes = 0, retransmissionsBefore = TcpProtocol.Retransmissions;
            LocalApic.StartPeriodicTimer(Tick, InterruptVectors.Timer);
            ulong start = Clock.MonotonicNanoseconds;
            while (completed < count)
            {
                if (Clock.MonotonicNanoseconds - start > ServeTimeout) SelfTestOutput.Fail("net-tcp-echo: timed out waiting for connections");
                NetworkStack.Poll();
                for (int i = 0; i < Slots; i++)
                {
                    if (connections[i] != null) continue;
                    TcpConnection accepted = listener.Accept();
                    if (accepted == null) break;
                    connections[i] = accepted;
                    received[i] = 0;
                }
                int live = 0;
                for (int i = 0; i < Slots; i++)
                {
                    TcpConnection c = connections[i];
                    if (c == null) continue;
                    live++;
                    // Echo what fits in the send buffer; the rest waits in the receive buffer (and its window).
                    while (true)
                    {
                        int room = c.SendBuffer.Free < 4096 ? c.SendBuffer.Free : 4096;
                        if (room == 0) break;
                        long n = c.Receive(buffer, room);
                        if (n > 0)
                        {
                            long sent = c.Send(buffer, (int)n);
                            if (sent != n) SelfTestOutput.Fail("net-tcp-echo: the send buffer did not take what it had room for");
                            received[i] += (ulong)n;
                            bytes += (ulong)n;
                            continue;
                        }
                        if (n == 0 || (n < 0 && n != -LinuxAbi.Errno.EAGAIN))
                        {
                            KernelConsole.Prefix();
                            KernelConsole.Write("selftest net-tcp-echo: connection from port ");
                            KernelConsole.WriteDecimal(c.RemotePort);
                            KernelConsole.Write(n == 0 ? " closed after " : " failed after ");
                            KernelConsole.WriteDecimal(received[i]);
                            KernelConsole.Write(" bytes, ");
                            KernelConsole.WriteDecimal(c.Retransmissions);
                            KernelConsole.Write(" retransmissions, rto ");
                            KernelConsole.WriteDecimal(c.RetransmissionTimeout / 1000);
                            KernelConsole.Write(" us, srtt ");
                            KernelConsole.WriteDecimal(c.SmoothedRtt / 1000);
                            KernelConsole.Write(" us");
                            if (n < 0) { KernelConsole.Write(", error "); KernelConsole.WriteSigned(n); }
                            KernelConsole.WriteLine();
                            if (n < 0) SelfTestOutput.Fail("net-tcp-echo: a connection failed");
                            c.Close();
                            connections[i] = null;
                            completed++;
                        }
                        break;
                    }
                }
                if (live > maximumConcurrent) maximumConcurrent = live;
                NetworkStack.Flush();
                if (completed < count) Cpu.WaitForInterrupt();
            }
            listener.Close();
            // Our FINs must be acknowledged (LAST_ACK -> CLOSED) before the connections are back in the pool.
            ulong closing = Clock.MonotonicNanoseconds;
            while (TcpProtocol.LiveConnections > 0 && Clock.MonotonicNanoseconds - closing < 10_000_000_000)
            {
                NetworkStack.Poll();
                Cpu.WaitForInterrupt();
            }
            ulong drain = Clock.MonotonicNanoseconds;
            while (Clock.MonotonicNanoseconds - drain < 20 * Tick) { NetworkStack.Poll(); Cpu.WaitForInterrupt(); }
            LocalApic.StopTimer();
            KernelMemory.Free(listener.Waiters);
            KernelMemory.Free(listener);
            KernelMemory.Free(connections);
            KernelMemory.Free(received);

            KernelConsole.Prefix();
            KernelConsole.Write("selftest net-tcp-echo: ");
            KernelConsole.WriteDecimal((ulong)completed);
            KernelConsole.Write(" connections (up to ");
            KernelConsole.WriteDecimal((ulong)maximumConcurrent);
            KernelConsole.Write(" at once), ");
            KernelConsole.WriteDecimal(bytes);
            KernelConsole.Write(" bytes echoed, ");
            KernelConsole.WriteDecimal(TcpProtocol.Retransmissions - retransmissionsBefore);
            KernelConsole.Write(" retransmissions, ");
            KernelConsole.WriteDecimal(NetworkStack.DroppedByTest);
            KernelConsole.Write(" frames dropped on purpose; segments in ");
            KernelConsole.WriteDecimal(TcpProtocol.SegmentsReceived);
            KernelConsole.Write(", out ");
            KernelConsole.WriteDecimal(TcpProtocol.SegmentsSent);
            KernelConsole.Write("; card interrupts ");
            KernelConsole.WriteDecimal(NetworkStack.Interrupts);
            KernelConsole.Write(", dropped tx/rx ");
            KernelConsole.WriteDecimal(NetworkStack.Device.TransmitDropped);
            KernelConsole.Write("/");
            KernelConsole.WriteDecimal(NetworkStack.Device.ReceiveDropped);
            KernelConsole.Write(", pool empty ");
            KernelConsole.WriteDecimal(PacketPool.Exhausted);
            KernelConsole.Write("; connections still open ");
            KernelConsole.WriteDecimal((ulong)TcpProtocol.LiveConnections);
            KernelConsole.Write(", pooled objects ");
            KernelConsole.WriteDecimal((ulong)TcpProtocol.ConnectionObjects);
            KernelConsole.WriteLine();
            if (TcpProtocol.LiveConnections != 0) SelfTestOutput.Fail("net-tcp-echo: connections did not close");
            CheckPool("net-tcp-echo");
            SelfTestOutput.Pass("selftest net-tcp-echo: all checks passed (ok)");
        }

        private static void RequireDevice(string test)
        {
            if (!NetworkStack.IsUp) SelfTestOutput.Fail("no network device: boot with a virtio-net card (QemuOptions.Network)");
        }

        // Every packet is back: in the pool or posted in the device's receive ring. Sent frames come back only when the
        // device has used them and a poll takes them (there is no transmit interrupt), and the VMM may still be busy
        // with the last one: wait for the transmit ring to empty first, so only a real leak fails.
        private static void CheckPool(string test)
        {
            ulong start = Clock.MonotonicNanoseconds;
            while (NetworkStack.Device.TransmitBuffersInFlight > 0 && Clock.MonotonicNanoseconds - start < PingTimeout)
            {
                NetworkStack.Poll();
                Cpu.Pause();
            }
            int posted = PacketPool.Total - PacketPool.FreeCount;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest ");
            KernelConsole.Write(test);
            KernelConsole.Write(": packet pool ");
            KernelConsole.WriteDecimal((ulong)PacketPool.FreeCount);
            KernelConsole.Write(" free of ");
            KernelConsole.WriteDecimal((ulong)PacketPool.Total);
            KernelConsole.Write(" (");
            KernelConsole.WriteDecimal((ulong)posted);
            KernelConsole.WriteLine(" posted for receiving)");
            if (posted != NetworkStack.Device.ReceiveBuffersPosted) SelfTestOutput.Fail("packets leaked (not back in the pool)");
        }

        private static int CountOption(int fallback)
        {
            int n = BootCommandLine.NumberOption("uk.selftest.count");
            return n > 0 ? n : fallback;
        }
    }
}
#endif
