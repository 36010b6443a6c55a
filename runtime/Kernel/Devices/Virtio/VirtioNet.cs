using Kernel.Net;

namespace Kernel.Devices.Virtio
{
    // The virtio network card (virtio 1.1, 5.1) on either transport: receive queue 0 and transmit queue 1,
    // no mergeable receive buffers -- so every receive buffer holds a whole frame, and every packet is one
    // descriptor: the 12-byte virtio-net header sits in the packet's headroom right before the Ethernet frame.
    // Features asked for, each used only when the device offers it: the MAC address in the configuration
    // space, the link status, event indexes (Virtqueue), and checksum offload both ways -- CSUM: the device
    // finishes the TCP checksum of a frame marked NEEDS_CSUM; GUEST_CSUM: it marks received frames whose
    // checksum it checked (DATA_VALID, or NEEDS_CSUM from a local sender), which the stack then does not
    // verify again. (QEMU offers the checksum features only with a backend that takes the virtio-net header,
    // tap with vnet_hdr; not with user networking.) Receive buffers come from PacketPool and are replaced as
    // frames are taken (a frame is dropped, its buffer reposted, when the pool is empty).
    // The card is a Net/NetworkDevice: Probe, at boot, starts the stack and attaches the card to it, the one
    // place that knows both sides (Devices depends on Net, never the reverse).
    internal sealed unsafe class VirtioNet : NetworkDevice
    {
        private const ulong FeatureChecksum = 1UL << 0, FeatureGuestChecksum = 1UL << 1, FeatureMac = 1UL << 5, FeatureStatus = 1UL << 16;
        private const byte HeaderNeedsChecksum = 1, HeaderDataValid = 2;
        private const int HeaderSize = 12;
        private const int ReceiveQueue = 0, TransmitQueue = 1;
        private const int ReceiveBuffers = 128, TransmitSlots = 256;
        private const ushort StatusLinkUp = 1;

        private const int KickBatch = 32;

        private readonly VirtioTransport _transport;
        private Virtqueue _receive, _transmit;
        private ulong _features;
        // Buffers offered since the device was last told (each notification is a trap to the VMM: batch them).
        private int _unkickedReceive, _unkickedTransmit;

        private VirtioNet(VirtioTransport transport) { _transport = transport; }

        public override string Name => "virtio-net";
        public override string Bus => _transport.Kind;

        public override bool LinkUp
            => (_features & FeatureStatus) == 0 || (_transport.ReadConfig16(6) & StatusLinkUp) != 0;

        /// <summary>
        /// Boot's network card: the first virtio-net device on either transport, started and attached to the network
        /// stack (whose packet pool its receive buffers come from). Without one, the stack waits for a loopback socket.
        /// </summary>
        public static void Probe()
        {
            VirtioTransport transport = VirtioDiscovery.Find(VirtioConstants.DeviceNetwork);
            if (transport == null)
            {
                if (VirtioDiscovery.Problem != null) NetworkStack.Report(VirtioDiscovery.Problem);
                return;
            }
            string problem = NetworkStack.Start();
            if (problem != null) { NetworkStack.Report(problem); return; }
            VirtioNet nic = Start(transport, out problem);
            if (nic == null) { NetworkStack.Report(problem); return; }
            NetworkStack.Attach(nic);
        }

        /// <summary>Initialises the device behind <paramref name="transport"/>; null with <paramref name="problem"/> on failure.</summary>
        public static VirtioNet Start(VirtioTransport transport, out string problem)
        {
            var nic = new VirtioNet(transport);
            nic._features = transport.Negotiate(
                FeatureChecksum | FeatureGuestChecksum | FeatureMac | FeatureStatus | Virtqueue.FeatureEventIndex, out problem);
            if (problem != null) return null;
            nic.ChecksumsOnTransmit = (nic._features & FeatureChecksum) != 0;
            nic._receive = Virtqueue.Create(transport, ReceiveQueue, ReceiveBuffers, nic._features);
            nic._transmit = Virtqueue.Create(transport, TransmitQueue, TransmitSlots, nic._features);
            if (nic._receive == null || nic._transmit == null)
            {
                transport.Fail();
                problem = "cannot set up the receive and transmit queues";
                return null;
            }
            if ((nic._features & FeatureMac) != 0)
            {
                ulong mac = 0;
                for (int i = 0; i < 6; i++) mac = (mac << 8) | transport.ReadConfig8(i);
                nic.MacAddress = mac;
            }
            else
            {
                // No MAC from the device: a random locally administered unicast one (02:xx:...).
                byte* random = stackalloc byte[8];
                Entropy.Random.Fill(random, 8);
                ulong mac = 0;
                for (int i = 0; i < 6; i++) mac = (mac << 8) | random[i];
                nic.MacAddress = (mac & 0xFFFF_FFFF_FFFFUL & ~(1UL << 40)) | (1UL << 41);   // unicast, locally administered
            }
            while (nic._receive.FreeDescriptors > 0)
            {
                Packet p = PacketPool.Allocate();
                if (p == null) break;
                nic.PostReceive(p);
            }
            // Sent frames are taken back on the next transmit and on every poll (each timer tick): an interrupt per
            // transmitted batch would only add a trip through the interrupt path.
            nic._transmit.DisableInterrupts();
            transport.Start();
            nic._receive.Kick();
            nic._unkickedReceive = 0;
            return nic;
        }

        public override bool Transmit(Packet packet)
        {
            ReclaimTransmitted();
            byte* header = packet.Frame - HeaderSize;
            for (int i = 0; i < HeaderSize; i++) header[i] = 0;
            if (packet.ChecksumStart != 0)
            {
                if (ChecksumsOnTransmit)
                {
                    header[0] = HeaderNeedsChecksum;
                    *(ushort*)(header + 6) = (ushort)packet.ChecksumStart;    // csum_start, little-endian like x86
                    *(ushort*)(header + 8) = (ushort)packet.ChecksumOffset;   // csum_offset
                }
                else
                {
                    // Marked for a card that cannot finish it: finish it here (the field holds the pseudo header's sum).
                    byte* start = packet.Frame + packet.ChecksumStart;
                    byte* field = start + packet.ChecksumOffset;
                    NetBytes.Write16(field, Checksum.Finish(Checksum.Add(0, start, packet.FrameLength - packet.ChecksumStart)));
                }
            }
            if (!_transmit.Add((ulong)header, (uint)(packet.FrameLength + HeaderSize), false, packet))
            {
                TransmitDropped++;
                PacketPool.Free(packet);
                return false;
            }
            Transmitted++;
            if (++_unkickedTransmit >= KickBatch) Flush();
            return true;
        }

        public override Packet Receive()
        {
            object token;
            uint length;
            while (true)
            {
                if (!_receive.TakeUsed(out token, out length))
                {
                    // Drained: ask for an interrupt at the next frame, and look once more (one may have come before the ask).
                    if (_receive.EnableInterrupts()) break;
                    continue;
                }
                Packet p = (Packet)token;
                Packet replacement = PacketPool.Allocate();
                if (replacement == null || length <= HeaderSize)
                {
                    // No buffer to replace it (or an empty frame): drop the frame, keep the buffer posted.
                    if (replacement != null) PacketPool.Free(replacement);
                    ReceiveDropped++;
                    PostReceive(p);
                    continue;
                }
                PostReceive(replacement);
                p.FrameLength = (int)length - HeaderSize;
                p.ChecksumVerified = (_features & FeatureGuestChecksum) != 0
                                     && ((p.Frame - HeaderSize)[0] & (HeaderNeedsChecksum | HeaderDataValid)) != 0;
                Received++;
                return p;
            }
            Flush();
            return null;
        }

        public override void Flush()
        {
            if (_unkickedReceive > 0) { _receive.Kick(); _unkickedReceive = 0; }
            if (_unkickedTransmit > 0) { _transmit.Kick(); _unkickedTransmit = 0; }
        }

        public override bool Service()
        {
            uint status = _transport.TakeInterruptStatus();
            ReclaimTransmitted();
            return status != 0;
        }

        public override int RouteInterrupt(byte vector)
        {
            return _transport.RouteInterrupt(vector);
        }

        public override int ReceiveBuffersPosted => _receive.Size - _receive.FreeDescriptors;
        public override int TransmitBuffersInFlight => _transmit.Size - _transmit.FreeDescriptors;

        private void PostReceive(Packet p)
        {
            p.FrameLength = 0;
            _receive.Add((ulong)(p.Frame - HeaderSize), (uint)(Packet.BufferSize - Packet.FrameOffset + HeaderSize), true, p);
            if (++_unkickedReceive >= KickBatch) { _receive.Kick(); _unkickedReceive = 0; }
        }

        private void ReclaimTransmitted()
        {
            object token;
            uint length;
            while (_transmit.TakeUsed(out token, out length)) PacketPool.Free((Packet)token);
        }
    }
}
