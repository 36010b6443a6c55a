namespace Kernel.Net
{
    // What the network stack needs from a network card: its MAC address and link state, a way to hand it a
    // frame and a way to take the frames it received. Ownership of packets passes with them: Transmit takes
    // the packet (the driver frees it once the device is done), Receive gives one to the caller.
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

        /// <summary>Packets the device holds as receive buffers.</summary>
        public abstract int ReceiveBuffersPosted { get; }

        /// <summary>Sent frames the device has not given back yet (they return to the pool at the next Service or Transmit).</summary>
        public abstract int TransmitBuffersInFlight { get; }

        /// <summary>Frames counted by the driver.</summary>
        public ulong Transmitted, Received, TransmitDropped, ReceiveDropped;
    }
}
