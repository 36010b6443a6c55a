namespace Kernel.Devices.Virtio
{
    // virtio over memory-mapped registers (virtio 1.1, 4.2.2): one 512-byte register window per device.
    // Only version 2 (virtio 1.x) windows are driven; QEMU makes its virtio-mmio devices legacy (version 1)
    // unless started with `-global virtio-mmio.force-legacy=false`, which `uk run` passes with a network.
    // The windows lie in the MMIO hole below 4 GiB, inside the boot page tables' identity map.
    internal sealed unsafe class VirtioMmioTransport : VirtioTransport
    {
        public const uint Magic = 0x74726976;   // "virt"
        public const int WindowSize = 0x200;

        private const int MagicValue = 0x000, Version = 0x004, DeviceId = 0x008;
        private const int DeviceFeatures = 0x010, DeviceFeaturesSelect = 0x014;
        private const int DriverFeatures = 0x020, DriverFeaturesSelect = 0x024;
        private const int QueueSelect = 0x030, QueueSizeMaximum = 0x034, QueueSize = 0x038, QueueReady = 0x044;
        private const int QueueNotify = 0x050, InterruptStatus = 0x060, InterruptAcknowledge = 0x064, Status = 0x070;
        private const int QueueDescriptorLow = 0x080, QueueDescriptorHigh = 0x084;
        private const int QueueDriverLow = 0x090, QueueDriverHigh = 0x094;
        private const int QueueDeviceLow = 0x0A0, QueueDeviceHigh = 0x0A4;
        private const int Config = 0x100;

        private readonly ulong _base;
        private readonly uint _deviceType;

        private VirtioMmioTransport(ulong baseAddress, uint deviceType, int interruptLine)
        {
            _base = baseAddress;
            _deviceType = deviceType;
            Location = baseAddress;
            InterruptLine = interruptLine;
        }

        /// <summary>
        /// The device behind the window at <paramref name="baseAddress"/>: null when there is no virtio window,
        /// no device behind it (device type 0), or only a legacy one (then <paramref name="legacy"/> is set).
        /// </summary>
        public static VirtioMmioTransport Probe(ulong baseAddress, int interruptLine, out bool legacy)
        {
            legacy = false;
            if (Mmio.Read32(baseAddress + MagicValue) != Magic) return null;
            uint type = Mmio.Read32(baseAddress + DeviceId);
            if (type == 0) return null;
            if (Mmio.Read32(baseAddress + Version) != 2) { legacy = true; return null; }
            return new VirtioMmioTransport(baseAddress, type, interruptLine);
        }

        public override string Kind => "mmio";

        // Level-triggered, active high, as QEMU's microvm and Firecracker wire it.
        public override int RouteInterrupt(byte vector)
            => InterruptLine >= 0 && IoApic.Route(InterruptLine, vector, true, false, Time.LocalApic.Id) ? InterruptLine : -1;
        public override uint DeviceType => _deviceType;

        public override byte ReadStatus() => (byte)Read(Status);
        public override void WriteStatus(byte status) => Write(Status, status);

        public override ulong ReadDeviceFeatures()
        {
            Write(DeviceFeaturesSelect, 0);
            ulong low = Read(DeviceFeatures);
            Write(DeviceFeaturesSelect, 1);
            return low | ((ulong)Read(DeviceFeatures) << 32);
        }

        public override void WriteDriverFeatures(ulong features)
        {
            Write(DriverFeaturesSelect, 0);
            Write(DriverFeatures, (uint)features);
            Write(DriverFeaturesSelect, 1);
            Write(DriverFeatures, (uint)(features >> 32));
        }

        public override int QueueMaximumSize(int index)
        {
            Write(QueueSelect, (uint)index);
            if (Read(QueueReady) != 0) return 0;
            return (int)Read(QueueSizeMaximum);
        }

        public override void EnableQueue(int index, int size, ulong descriptors, ulong driverRing, ulong deviceRing)
        {
            Write(QueueSelect, (uint)index);
            Write(QueueSize, (uint)size);
            Write(QueueDescriptorLow, (uint)descriptors);
            Write(QueueDescriptorHigh, (uint)(descriptors >> 32));
            Write(QueueDriverLow, (uint)driverRing);
            Write(QueueDriverHigh, (uint)(driverRing >> 32));
            Write(QueueDeviceLow, (uint)deviceRing);
            Write(QueueDeviceHigh, (uint)(deviceRing >> 32));
            Write(QueueReady, 1);
        }

        public override void Notify(int queue) => Write(QueueNotify, (uint)queue);

        public override byte ReadConfig8(int offset) => Mmio.Read8(_base + Config + (ulong)offset);

        public override uint TakeInterruptStatus()
        {
            uint status = Read(InterruptStatus);
            if (status != 0) Write(InterruptAcknowledge, status);
            return status;
        }

        private uint Read(int offset) => Mmio.Read32(_base + (ulong)offset);
        private void Write(int offset, uint value) => Mmio.Write32(_base + (ulong)offset, value);
    }
}
