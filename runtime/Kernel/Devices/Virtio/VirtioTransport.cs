using Kernel.Time;

namespace Kernel.Devices.Virtio
{
    // How a driver talks to a virtio device, whatever the bus: the status byte, feature negotiation, queue
    // set-up, notifications, the device-specific configuration space and the interrupt status. Two
    // transports implement it: virtio-mmio (QEMU microvm, Firecracker) and virtio-pci modern (QEMU pc).
    // Only virtio 1.x devices are driven (VIRTIO_F_VERSION_1); the common initialisation sequence of the
    // specification (3.1.1) is here, the register layouts are in the subclasses.
    internal abstract unsafe class VirtioTransport
    {
        /// <summary>"mmio" or "pci", for reports.</summary>
        public abstract string Kind { get; }
        /// <summary>The virtio device type (1 = network).</summary>
        public abstract uint DeviceType { get; }
        /// <summary>The interrupt line the device raises (a GSI for mmio, the ISA interrupt in Interrupt Line for PCI), or -1 when unknown.</summary>
        public int InterruptLine = -1;
        /// <summary>Where the device's registers are (for reports): the MMIO base or the PCI address.</summary>
        public ulong Location;

        public abstract byte ReadStatus();
        public abstract void WriteStatus(byte status);
        public abstract ulong ReadDeviceFeatures();
        public abstract void WriteDriverFeatures(ulong features);
        /// <summary>The largest size queue <paramref name="index"/> may have; 0 if it does not exist.</summary>
        public abstract int QueueMaximumSize(int index);
        /// <summary>Gives the device queue <paramref name="index"/>'s size and ring addresses and enables it.</summary>
        public abstract void EnableQueue(int index, int size, ulong descriptors, ulong driverRing, ulong deviceRing);
        public abstract void Notify(int queue);
        public abstract byte ReadConfig8(int offset);
        /// <summary>Has the device's interrupt delivered as <paramref name="vector"/>; the GSI it arrives on, or -1 (then the driver polls).</summary>
        public abstract int RouteInterrupt(byte vector);
        /// <summary>Reads and acknowledges the interrupt status (bit 0: used buffers, bit 1: configuration change).</summary>
        public abstract uint TakeInterruptStatus();

        public ushort ReadConfig16(int offset) => (ushort)(ReadConfig8(offset) | (ReadConfig8(offset + 1) << 8));

        /// <summary>
        /// The first half of the initialisation sequence: reset, ACKNOWLEDGE, DRIVER, then features. Returns
        /// the accepted features (those of <paramref name="wanted"/> the device offers, with VERSION_1) after
        /// FEATURES_OK stuck, or null through <paramref name="problem"/>. The driver then sets up its queues
        /// and calls <see cref="Start"/>.
        /// </summary>
        public ulong Negotiate(ulong wanted, out string problem)
        {
            problem = null;
            WriteStatus(0);
            ulong deadline = Clock.MonotonicNanoseconds + 100_000_000;
            while (ReadStatus() != 0)
            {
                if (Clock.MonotonicNanoseconds > deadline) { problem = "the device did not reset"; return 0; }
            }
            WriteStatus(VirtioConstants.StatusAcknowledge);
            WriteStatus(VirtioConstants.StatusAcknowledge | VirtioConstants.StatusDriver);
            ulong offered = ReadDeviceFeatures();
            if ((offered & VirtioConstants.FeatureVersion1) == 0)
            {
                Fail();
                problem = "the device is legacy-only (no VIRTIO_F_VERSION_1)";
                return 0;
            }
            ulong accepted = offered & (wanted | VirtioConstants.FeatureVersion1);
            WriteDriverFeatures(accepted);
            WriteStatus(VirtioConstants.StatusAcknowledge | VirtioConstants.StatusDriver | VirtioConstants.StatusFeaturesOk);
            if ((ReadStatus() & VirtioConstants.StatusFeaturesOk) == 0)
            {
                Fail();
                problem = "the device refused the features";
                return 0;
            }
            return accepted;
        }

        /// <summary>DRIVER_OK: the device may use the queues now.</summary>
        public void Start() => WriteStatus((byte)(ReadStatus() | VirtioConstants.StatusDriverOk));

        public void Fail() => WriteStatus((byte)(ReadStatus() | VirtioConstants.StatusFailed));
    }
}
