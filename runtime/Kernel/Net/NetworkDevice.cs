namespace Kernel.Net
{
    // What the network stack needs from a network card: its MAC address and link state, a way to hand it a
    // frame, a way to take the frames it received and a way to have its interrupt delivered. Ownership of
    // packets passes with them: Transmit takes the packet (the driver frees it once the device is done),
    // Receive gives one to the caller. This is the seam between Net and the drivers: a driver
    // (Devices/Virtio/VirtioNet) implements it and hands its card to NetworkStack.Attach, so Devices depends
    // on Net and Net never names a driver.
    internal abstract class NetworkDevice
    {
        public ulong MacAddress;

        /// <summary>"virtio-net", for reports.</summary>
        public abstract string Name { get; }
        /// <summary>Bus kind and place, for reports ("mmio", "pci").</summary>
        public abstract string Bus { get; }
        public abstract bool LinkUp { get; }

        /// <summary>The card finishes transport checksums of frames whose Packet.ChecksumStart is set.</summary>
        public bool ChecksumsOnTransmit;

        /// <summary>
        /// Queues the frame in <paramref name="packet"/> (FrameLength bytes at Frame) for sending; false (packet freed) when
        /// the device queue is full. It leaves at the next Flush (the stack flushes at the end of every poll and socket call).
        /// </summary>
        public abstract bool Transmit(Packet packet);

        /// <summary>The next received frame, or null.</summary>
        public abstract Packet Receive();

        /// <summary>Tells the device about the buffers offered since the last time (sends what Transmit queued).</summary>
        public abstract void Flush();

        /// <summary>Takes back transmitted buffers and acknowledges the device's interrupt; true if the device signalled anything.</summary>
        public abstract bool Service();

        /// <summary>RouteInterrupt's answer when the card's interrupt is a message (PCI MSI-X), which takes no line.</summary>
        public const int MessageSignalled = -2;

        /// <summary>
        /// Routes the card's interrupt to <paramref name="vector"/>, whose handler the stack has registered; the line
        /// (GSI) it now arrives on, <see cref="MessageSignalled"/>, or -1 when the card has none the machine can route
        /// (the stack is then only polled).
        /// </summary>
        public abstract int RouteInterrupt(byte vector);

        /// <summary>Packets the device holds as receive buffers.</summary>
        public abstract int ReceiveBuffersPosted { get; }

        /// <summary>Sent frames the device has not given back yet (they return to the pool at the next Service or Transmit).</summary>
        public abstract int TransmitBuffersInFlight { get; }

        /// <summary>Frames counted by the driver.</summary>
        public ulong Transmitted, Received, TransmitDropped, ReceiveDropped;
    }
}
