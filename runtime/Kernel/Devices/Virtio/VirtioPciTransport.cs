using Kernel.Devices.Pci;

namespace Kernel.Devices.Virtio
{
    // virtio over PCI, the modern interface (virtio 1.1, 4.1): vendor-specific capabilities (ID 9) point
    // into the device's memory BARs at four structures -- common configuration (features, status, queues),
    // notifications (one doorbell per queue at queue_notify_off x multiplier), the ISR status byte, and the
    // device-specific configuration. QEMU's virtio-net-pci is transitional (legacy I/O BAR 0 too) unless
    // disable-legacy=on (q35's PCIe slots), and has these capabilities either way; firmware assigns the BARs
    // before the kernel runs -- SeaBIOS below 4 GiB, OVMF 64-bit BARs high, which DeviceMemory maps.
    // Interrupts: MSI-X where the device has it (QEMU's virtio-pci does): every queue on table entry 0, a message
    // straight to the local APIC, which depends on no interrupt routing that firmware (SeaBIOS and OVMF differ) or
    // the chipset set up. Else INTx: the ISA interrupt in Interrupt Line, which firmware sets through the bridges'
    // swizzle for devices behind root ports too, routed by the I/O APIC (IoApic).
    internal sealed unsafe class VirtioPciTransport : VirtioTransport
    {
        public const ushort VirtioVendor = 0x1AF4;
        private const byte VendorCapability = 0x09, MsixCapability = 0x11;
        // PCI 3.0, 6.8.2: Message Control's enable and function-mask bits, the table's offset/BIR dword, an entry's fields.
        private const ushort MsixEnable = 1 << 15, MsixFunctionMask = 1 << 14;
        private const int MsixMessageControl = 2, MsixTableOffset = 4;
        private const int MsixEntryAddress = 0, MsixEntryUpperAddress = 4, MsixEntryData = 8, MsixEntryVectorControl = 12;
        private const uint MsiAddressBase = 0xFEE0_0000;
        private const byte CommonConfiguration = 1, NotifyConfiguration = 2, IsrConfiguration = 3, DeviceConfiguration = 4;

        // struct virtio_pci_common_cfg
        private const int DeviceFeatureSelect = 0x00, DeviceFeature = 0x04, DriverFeatureSelect = 0x08, DriverFeature = 0x0C;
        private const int MsixConfig = 0x10, DeviceStatus = 0x14;
        private const int QueueSelect = 0x16, QueueSize = 0x18, QueueMsixVector = 0x1A, QueueEnable = 0x1C, QueueNotifyOffset = 0x1E;
        private const int QueueDescriptor = 0x20, QueueDriver = 0x28, QueueDevice = 0x30;
        private const ushort NoVector = 0xFFFF;

        private ulong _common, _notify, _isr, _device;
        private uint _notifyMultiplier;
        private uint _deviceType;
        private readonly ushort[] _notifyOffsets = new ushort[8];
        private int _msixCapability;   // its offset in configuration space, 0: none
        private ulong _msixTable;      // table entry 0, 0: no usable MSI-X (INTx then)

        public readonly int Bus, Slot, Function;

        private VirtioPciTransport(int bus, int slot, int function)
        {
            Bus = bus;
            Slot = slot;
            Function = function;
            Location = (ulong)((bus << 8) | (slot << 3) | function);
        }

        /// <summary>
        /// The modern virtio interface of the PCI function at bus:slot.function, or null (not virtio, or no modern
        /// capabilities, or a structure outside the identity map: <paramref name="problem"/> says which).
        /// </summary>
        public static VirtioPciTransport Probe(int bus, int slot, int function, out string problem)
        {
            problem = null;
            if (PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.VendorId) != VirtioVendor) return null;
            uint type = DeviceTypeOf(PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.DeviceId),
                                     PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.SubsystemId));
            if (type == 0) return null;

            var transport = new VirtioPciTransport(bus, slot, function);
            transport._deviceType = type;
            if ((PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.Status) & PciConfigSpace.StatusCapabilitiesList) == 0)
            {
                problem = "virtio-pci device without capabilities (legacy only)";
                return null;
            }
            int pointer = PciConfigSpace.Read8(bus, slot, function, PciConfigSpace.CapabilitiesPointer) & 0xFC;
            for (int guard = 0; pointer != 0 && guard < 48; guard++)
            {
                byte id = PciConfigSpace.Read8(bus, slot, function, pointer);
                if (id == VendorCapability)
                {
                    byte kind = PciConfigSpace.Read8(bus, slot, function, pointer + 3);
                    int bar = PciConfigSpace.Read8(bus, slot, function, pointer + 4);
                    uint offset = PciConfigSpace.Read32(bus, slot, function, pointer + 8);
                    uint length = PciConfigSpace.Read32(bus, slot, function, pointer + 12);
                    ulong barAddress = bar < 6 ? PciConfigSpace.MemoryBar(bus, slot, function, bar) : 0;
                    ulong address = barAddress == 0 ? 0 : barAddress + offset;
                    if (address != 0 && !DeviceMemory.Map(address, length))
                    {
                        problem = "virtio-pci structure beyond the physical addresses the kernel can map";
                        return null;
                    }
                    if (kind == CommonConfiguration && transport._common == 0) transport._common = address;
                    else if (kind == NotifyConfiguration && transport._notify == 0)
                    {
                        transport._notify = address;
                        transport._notifyMultiplier = PciConfigSpace.Read32(bus, slot, function, pointer + 16);
                    }
                    else if (kind == IsrConfiguration && transport._isr == 0) transport._isr = address;
                    else if (kind == DeviceConfiguration && transport._device == 0) transport._device = address;
                }
                else if (id == MsixCapability && transport._msixCapability == 0)
                {
                    uint table = PciConfigSpace.Read32(bus, slot, function, pointer + MsixTableOffset);
                    int bir = (int)(table & 7);
                    ulong barAddress = bir < 6 ? PciConfigSpace.MemoryBar(bus, slot, function, bir) : 0;
                    if (barAddress != 0 && DeviceMemory.Map(barAddress + (table & ~7u), 16))
                    {
                        transport._msixCapability = pointer;
                        transport._msixTable = barAddress + (table & ~7u);
                    }
                }
                pointer = PciConfigSpace.Read8(bus, slot, function, pointer + 1) & 0xFC;
            }
            if (transport._common == 0 || transport._notify == 0 || transport._isr == 0)
            {
                problem = "virtio-pci device without the modern capabilities";
                return null;
            }

            // Memory decoding and bus mastering (the device reads and writes the queues in RAM); INTx on.
            ushort command = PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.Command);
            command |= PciConfigSpace.CommandMemorySpace | PciConfigSpace.CommandBusMaster;
            command &= unchecked((ushort)~PciConfigSpace.CommandInterruptDisable);
            PciConfigSpace.Write16(bus, slot, function, PciConfigSpace.Command, command);
            byte line = PciConfigSpace.Read8(bus, slot, function, PciConfigSpace.InterruptLine);
            byte pin = PciConfigSpace.Read8(bus, slot, function, PciConfigSpace.InterruptPin);
            transport.InterruptLine = pin != 0 && line != 0xFF ? line : -1;
            return transport;
        }

        /// <summary>The virtio device type of a virtio-vendor PCI function, or 0 when its Device ID is none of virtio's.</summary>
        public static uint DeviceTypeOf(ushort deviceId, ushort subsystemId)
        {
            if (deviceId >= 0x1040 && deviceId <= 0x107F) return (uint)(deviceId - 0x1040);   // modern-only IDs
            if (deviceId >= 0x1000 && deviceId <= 0x103F) return subsystemId;                  // transitional
            return 0;
        }

        public override string Kind => "pci";

        public override int RouteInterrupt(byte vector)
        {
            uint apicId = Time.LocalApic.Id;
            if (_msixTable != 0 && apicId <= 0xFF)
            {
                // Fixed delivery, edge-triggered, physical destination: the message is the vector itself.
                Mmio.Write32(_msixTable + MsixEntryAddress, MsiAddressBase | (apicId << 12));
                Mmio.Write32(_msixTable + MsixEntryUpperAddress, 0);
                Mmio.Write32(_msixTable + MsixEntryData, vector);
                Mmio.Write32(_msixTable + MsixEntryVectorControl, 0);
                ushort control = PciConfigSpace.Read16(Bus, Slot, Function, _msixCapability + MsixMessageControl);
                PciConfigSpace.Write16(Bus, Slot, Function, _msixCapability + MsixMessageControl, (ushort)((control | MsixEnable) & ~MsixFunctionMask));
                ushort command = PciConfigSpace.Read16(Bus, Slot, Function, PciConfigSpace.Command);
                PciConfigSpace.Write16(Bus, Slot, Function, PciConfigSpace.Command, (ushort)(command | PciConfigSpace.CommandInterruptDisable));
                return Net.NetworkDevice.MessageSignalled;
            }
            // INTx: level-triggered, active high as QEMU's firmware tables describe its PCI links (and the MADT's
            // overrides of those ISA interrupts say), unless an override says otherwise.
            return InterruptLine >= 0 ? IoApic.RouteIsaInterrupt(InterruptLine, vector, true, false, apicId) : -1;
        }
        public override uint DeviceType => _deviceType;

        public override byte ReadStatus() => Mmio.Read8(_common + DeviceStatus);
        public override void WriteStatus(byte status) => Mmio.Write8(_common + DeviceStatus, status);

        public override ulong ReadDeviceFeatures()
        {
            Mmio.Write32(_common + DeviceFeatureSelect, 0);
            ulong low = Mmio.Read32(_common + DeviceFeature);
            Mmio.Write32(_common + DeviceFeatureSelect, 1);
            return low | ((ulong)Mmio.Read32(_common + DeviceFeature) << 32);
        }

        public override void WriteDriverFeatures(ulong features)
        {
            Mmio.Write32(_common + DriverFeatureSelect, 0);
            Mmio.Write32(_common + DriverFeature, (uint)features);
            Mmio.Write32(_common + DriverFeatureSelect, 1);
            Mmio.Write32(_common + DriverFeature, (uint)(features >> 32));
            Mmio.Write16(_common + MsixConfig, NoVector);
        }

        public override int QueueMaximumSize(int index)
        {
            Mmio.Write16(_common + QueueSelect, (ushort)index);
            return Mmio.Read16(_common + QueueSize);
        }

        public override void EnableQueue(int index, int size, ulong descriptors, ulong driverRing, ulong deviceRing)
        {
            Mmio.Write16(_common + QueueSelect, (ushort)index);
            Mmio.Write16(_common + QueueSize, (ushort)size);
            // Table entry 0 when there is MSI-X; a device that cannot take it answers NO_VECTOR (virtio 1.1, 4.1.4.3), and INTx stays.
            ushort msixVector = _msixTable != 0 ? (ushort)0 : NoVector;
            Mmio.Write16(_common + QueueMsixVector, msixVector);
            if (Mmio.Read16(_common + QueueMsixVector) != msixVector) _msixTable = 0;
            Mmio.Write64(_common + QueueDescriptor, descriptors);
            Mmio.Write64(_common + QueueDriver, driverRing);
            Mmio.Write64(_common + QueueDevice, deviceRing);
            if (index < _notifyOffsets.Length) _notifyOffsets[index] = Mmio.Read16(_common + QueueNotifyOffset);
            Mmio.Write16(_common + QueueEnable, 1);
        }

        public override void Notify(int queue)
        {
            ushort offset = queue < _notifyOffsets.Length ? _notifyOffsets[queue] : (ushort)0;
            Mmio.Write16(_notify + (ulong)offset * _notifyMultiplier, (ushort)queue);
        }

        public override byte ReadConfig8(int offset) => _device == 0 ? (byte)0 : Mmio.Read8(_device + (ulong)offset);

        // Reading the ISR byte acknowledges it.
        public override uint TakeInterruptStatus() => Mmio.Read8(_isr);
    }
}
