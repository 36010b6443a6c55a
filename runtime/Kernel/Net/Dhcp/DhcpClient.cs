using Kernel.Console;

namespace Kernel.Net.Dhcp
{
    // The DHCP client (RFC 2131 section 4.4): DISCOVER, the first OFFER, REQUEST, ACK; then renew with the
    // leasing server at T1 (half the lease unless it says otherwise), rebind with any server at T2 (7/8),
    // and give the address up when the lease ends. Retransmission doubles from 1 s to 64 s, each delay
    // shortened by up to an eighth at random so machines booted together do not stay in step (RFC 2131
    // says 4 s first; 1 s keeps a boot on a lossy network short, and a server answers DISCOVERs idempotently).
    // Messages go through an ordinary kernel UDP socket on port 68 that Tick drains, so the only clock it
    // needs is the stack's poll, which runs on every timer tick. uk.net.dhcp-lease=SECONDS shortens the
    // lease the client honours, so tests can see a renewal.
    internal static unsafe class DhcpClient
    {
        private enum State { Off, Selecting, Requesting, Bound, Renewing, Rebinding }

        private const ulong Second = 1_000_000_000UL;
        private const ulong FirstRetransmission = Second, LastRetransmission = 64 * Second;
        private const int RequestAttempts = 4;
        private const ulong MinimumRenewRetry = 60 * Second;

        private static State s_state;
        private static UdpSocket s_socket;
        private static byte* s_message;
        private static uint s_transaction;
        private static ulong s_startedAt, s_nextSend, s_interval;
        private static int s_attempts;
        private static uint s_offered, s_server;
        private static ulong s_renewAt, s_rebindAt, s_expiresAt;
        private static uint s_leaseCap;
        // What the ACK said, decoded once per message into kernel buffers.
        private static uint* s_dns;
        private static byte* s_text;
        private static byte* s_search;

        /// <summary>Has a lease been bound (now or before)? The boot waits for this.</summary>
        public static bool HasAddress => s_state == State.Bound || s_state == State.Renewing || s_state == State.Rebinding;
        /// <summary>From the first DISCOVER to the first ACK, in nanoseconds (0 until then).</summary>
        public static ulong FirstBindNanoseconds;
        public static uint Server => s_server;
        public static uint LeaseSeconds;
        public static ulong Transmitted, Renewals, LeasesLost;
        /// <summary>Set once the boot has printed the interface's line: later leases get a line of their own.</summary>
        public static bool BootReported;

        /// <summary>Opens port 68 and sends the first DISCOVER. Null, or why DHCP cannot run.</summary>
        public static string Start()
        {
            if (s_state != State.Off) return null;
            s_message = (byte*)Memory.KernelMemory.AllocateZeroed(DhcpMessage.MaximumRequest);
            s_dns = (uint*)Memory.KernelMemory.AllocateZeroed(NetworkConfiguration.MaximumDnsServers * sizeof(uint));
            s_text = (byte*)Memory.KernelMemory.AllocateZeroed(NetworkConfiguration.NameCapacity);
            s_search = (byte*)Memory.KernelMemory.AllocateZeroed(NetworkConfiguration.NameCapacity);
            if (s_message == null || s_dns == null || s_text == null || s_search == null) return "dhcp: no memory";
            s_socket = new UdpSocket();
            if (Udp.Bind(s_socket, 0, DhcpMessage.ClientPort, false) < 0) return "dhcp: port 68 is taken";
            s_leaseCap = (uint)Boot.BootCommandLine.NumberOption("uk.net.dhcp-lease");
            EnterSelecting(Time.Clock.MonotonicNanoseconds);
            return null;
        }

        /// <summary>Handles replies and timers; called from the stack's poll.</summary>
        public static void Tick(ulong now)
        {
            if (s_state == State.Off) return;
            Packet p;
            while ((p = s_socket.Dequeue()) != null)
            {
                if (p.PeerPort == DhcpMessage.ServerPort) Input(p.Buffer + p.DataOffset, p.DataLength, now);
                PacketPool.Free(p);
            }
            switch (s_state)
            {
                case State.Selecting:
                    if (now >= s_nextSend) SendDiscover(now);
                    break;
                case State.Requesting:
                    if (now < s_nextSend) break;
                    if (s_attempts >= RequestAttempts) EnterSelecting(now);
                    else SendRequest(now, 0, s_offered, s_server, true);
                    break;
                case State.Bound:
                    if (now >= s_renewAt)
                    {
                        s_state = State.Renewing;
                        NewTransaction();
                        SendRenewal(now);
                    }
                    break;
                case State.Renewing:
                case State.Rebinding:
                    if (now >= s_expiresAt)
                    {
                        LeasesLost++;
                        NetworkConfiguration.ClearLease();
                        Report("lease lost, address given up");
                        EnterSelecting(now);
                    }
                    else if (s_state == State.Renewing && now >= s_rebindAt)
                    {
                        s_state = State.Rebinding;
                        SendRenewal(now);
                    }
                    else if (now >= s_nextSend) SendRenewal(now);
                    break;
            }
        }

        private static void EnterSelecting(ulong now)
        {
            s_startedAt = now;   // DHCP's "secs" counts from the start of this acquisition
            s_state = State.Selecting;
            s_interval = FirstRetransmission;
            s_offered = 0;
            NewTransaction();
            SendDiscover(now);
        }

        private static void NewTransaction()
        {
            uint x;
            Entropy.Random.Fill((byte*)&x, 4);
            s_transaction = x;
            s_attempts = 0;
        }

        private static void SendDiscover(ulong now)
        {
            Send(DhcpMessage.Discover, now, 0, s_offered, 0, 0xFFFF_FFFFu);
            Backoff(now);
        }

        private static void SendRequest(ulong now, uint clientAddress, uint requested, uint server, bool backoff)
        {
            Send(DhcpMessage.Request, now, clientAddress, requested, server, 0xFFFF_FFFFu);
            s_attempts++;
            if (backoff) Backoff(now);
        }

        // RFC 2131 4.4.5: renewing is unicast to the leasing server, rebinding broadcast; both carry ciaddr and
        // no requested-address or server option. The next try is half the time left, but not under a minute.
        private static void SendRenewal(ulong now)
        {
            uint address = NetworkConfiguration.Address;
            uint destination = s_state == State.Renewing ? s_server : 0xFFFF_FFFFu;
            Send(DhcpMessage.Request, now, address, 0, 0, destination);
            ulong end = s_state == State.Renewing ? s_rebindAt : s_expiresAt;
            ulong wait = end > now ? (end - now) / 2 : 0;
            if (wait < MinimumRenewRetry) wait = MinimumRenewRetry;
            s_nextSend = now + wait;
        }

        private static void Backoff(ulong now)
        {
            ulong jitter;
            Entropy.Random.Fill((byte*)&jitter, 8);
            s_nextSend = now + s_interval - jitter % (s_interval / 8);
            s_interval = s_interval * 2 > LastRetransmission ? LastRetransmission : s_interval * 2;
        }

        private static void Send(byte type, ulong now, uint clientAddress, uint requested, uint server, uint destination)
        {
            ulong elapsed = (now - s_startedAt) / Second;
            int length = DhcpMessage.WriteRequest(s_message, type, s_transaction, elapsed > 0xFFFF ? (ushort)0xFFFF : (ushort)elapsed,
                                                  clientAddress, requested, server, NetworkStack.MacAddress,
                                                  NetworkConfiguration.FixedHostName ? NetworkConfiguration.HostName : null,
                                                  NetworkConfiguration.FixedHostName ? NetworkConfiguration.HostNameLength : 0);
            if (Udp.Send(s_socket, destination, DhcpMessage.ServerPort, s_message, length) > 0) Transmitted++;
        }

        private static void Input(byte* m, int length, ulong now)
        {
            byte type = DhcpMessage.ReplyType(m, length, s_transaction, NetworkStack.MacAddress);
            if (type == 0) return;
            uint server = DhcpMessage.Option32(m, length, DhcpMessage.OptionServerIdentifier, 0);
            if (type == DhcpMessage.Offer && s_state == State.Selecting)
            {
                uint offered = DhcpMessage.YourAddress(m);
                if (offered == 0 || server == 0) return;
                s_offered = offered;
                s_server = server;
                s_state = State.Requesting;
                s_interval = FirstRetransmission;
                s_attempts = 0;
                SendRequest(now, 0, s_offered, s_server, true);
            }
            else if (type == DhcpMessage.Ack && (s_state == State.Requesting || s_state == State.Renewing || s_state == State.Rebinding))
            {
                Bind(m, length, server, now);
            }
            else if (type == DhcpMessage.Nak && s_state != State.Selecting && s_state != State.Bound)
            {
                bool had = HasAddress;
                if (had) { LeasesLost++; NetworkConfiguration.ClearLease(); Report("server refused the renewal, address given up"); }
                EnterSelecting(now);
            }
        }

        private static void Bind(byte* m, int length, uint server, ulong now)
        {
            uint address = DhcpMessage.YourAddress(m);
            if (address == 0) return;
            bool renewal = s_state == State.Renewing || s_state == State.Rebinding;
            uint mask = DhcpMessage.Option32(m, length, DhcpMessage.OptionSubnetMask, DefaultMask(address));
            int prefix = 0;
            while (prefix < 32 && (mask & (0x8000_0000u >> prefix)) != 0) prefix++;
            uint router = DhcpMessage.Option32(m, length, DhcpMessage.OptionRouter, 0);

            int n;
            byte* dnsOption = DhcpMessage.FindOption(m, length, DhcpMessage.OptionDnsServers, out n);
            int dnsCount = 0;
            for (int i = 0; dnsOption != null && i + 4 <= n && dnsCount < NetworkConfiguration.MaximumDnsServers; i += 4)
                s_dns[dnsCount++] = NetBytes.Read32(dnsOption + i);

            // The search list: option 119 when the server sends it, else the domain name (15), as dhclient does.
            int searchLength = 0;
            int listLength = DhcpMessage.ConcatenatedOption(m, length, DhcpMessage.OptionDomainSearch, s_text, NetworkConfiguration.NameCapacity);
            if (listLength > 0) searchLength = DhcpMessage.DecodeSearchList(s_text, listLength, s_search, NetworkConfiguration.NameCapacity - 1);
            if (searchLength == 0)
            {
                byte* domain = DhcpMessage.FindOption(m, length, DhcpMessage.OptionDomainName, out n);
                for (int i = 0; domain != null && i < n && domain[i] != 0 && searchLength < NetworkConfiguration.NameCapacity - 1; i++)
                    s_search[searchLength++] = domain[i];
            }
            byte* hostName = DhcpMessage.FindOption(m, length, DhcpMessage.OptionHostName, out n);

            uint lease = DhcpMessage.Option32(m, length, DhcpMessage.OptionLeaseTime, 0xFFFF_FFFFu);
            if (s_leaseCap != 0 && lease > s_leaseCap) lease = s_leaseCap;
            uint t1 = DhcpMessage.Option32(m, length, DhcpMessage.OptionRenewalTime, lease / 2);
            uint t2 = DhcpMessage.Option32(m, length, DhcpMessage.OptionRebindingTime, (uint)((ulong)lease * 7 / 8));
            if (t2 > lease) t2 = (uint)((ulong)lease * 7 / 8);
            if (t1 > t2) t1 = lease / 2;
            LeaseSeconds = lease;
            if (lease == 0xFFFF_FFFFu) s_renewAt = s_rebindAt = s_expiresAt = ulong.MaxValue;   // infinite
            else
            {
                s_renewAt = now + t1 * Second;
                s_rebindAt = now + t2 * Second;
                s_expiresAt = now + lease * Second;
            }

            bool changed = address != NetworkConfiguration.Address;
            NetworkConfiguration.ApplyLease(address, prefix, router, s_dns, dnsCount, s_search, searchLength, hostName, hostName != null ? n : 0);
            if (server != 0) s_server = server;
            s_state = State.Bound;
            if (FirstBindNanoseconds == 0) FirstBindNanoseconds = now - s_startedAt;
            if (NetworkConfiguration.Gateway != 0) Neighbours.Resolve(NetworkConfiguration.Gateway);
            if (!renewal && BootReported)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("net: dhcp: bound ");
                NetBytes.WriteAddress(address);
                KernelConsole.Write("/");
                KernelConsole.WriteDecimal((ulong)prefix);
                KernelConsole.Write(" gateway ");
                NetBytes.WriteAddress(NetworkConfiguration.Gateway);
                KernelConsole.Write(" dns ");
                NetBytes.WriteAddress(NetworkConfiguration.Dns);
                KernelConsole.Write(" from ");
                NetBytes.WriteAddress(s_server);
                KernelConsole.Write(" after ");
                KernelConsole.WriteDecimal((now - s_startedAt) / 1_000_000UL);
                KernelConsole.Write(" ms, lease ");
                KernelConsole.WriteDecimal(lease);
                KernelConsole.WriteLine(" s");
            }
            if (renewal)
            {
                Renewals++;
                KernelConsole.Prefix();
                KernelConsole.Write("net: dhcp: lease renewed, ");
                NetBytes.WriteAddress(address);
                KernelConsole.Write(changed ? " (a new address)" : "");
                KernelConsole.Write(" for ");
                KernelConsole.WriteDecimal(lease);
                KernelConsole.WriteLine(" s");
            }
        }

        private static uint DefaultMask(uint address)
        {
            // RFC 2132 leaves the mask optional; fall back to the address's class, as old clients did.
            if ((address >> 31) == 0) return 0xFF00_0000u;
            if ((address >> 30) == 2) return 0xFFFF_0000u;
            return 0xFFFF_FF00u;
        }

        private static void Report(string what)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("net: dhcp: ");
            KernelConsole.WriteLine(what);
        }
    }
}
