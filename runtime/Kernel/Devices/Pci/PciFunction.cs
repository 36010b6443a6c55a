namespace Kernel.Devices.Pci
{
    /// <summary>A PCI function found by PciEnumeration: its address and the identity its configuration header gives.</summary>
    internal struct PciFunction
    {
        public const byte ClassStorage = 0x01, ClassNetwork = 0x02, ClassBridge = 0x06, ClassSerialBus = 0x0C;
        public const byte SubclassHostBridge = 0x00, SubclassIsaBridge = 0x01, SubclassPciBridge = 0x04;

        public byte Bus, Slot, Function;
        public ushort Vendor, Device;
        /// <summary>The Subsystem ID (devices only): transitional virtio devices keep their type there.</summary>
        public ushort Subsystem;
        public byte Class, Subclass, Interface;
        /// <summary>Header type without the multi-function bit: 0 a device, 1 a PCI-to-PCI bridge (PCIe root ports too).</summary>
        public byte HeaderType;

        public bool IsBridge => Class == ClassBridge && (Subclass == SubclassHostBridge || Subclass == SubclassPciBridge);

        /// <summary>
        /// What the function is, in a word for the boot report ("nvme", "virtio-blk", "ahci", ...), or null when the
        /// kernel has no name for it (the report then gives its vendor, device and class numbers).
        /// </summary>
        public string Name
        {
            get
            {
                if (Vendor == Virtio.VirtioPciTransport.VirtioVendor)
                {
                    switch (Virtio.VirtioPciTransport.DeviceTypeOf(Device, Subsystem))
                    {   // virtio 1.1, 5: device types
                        case Virtio.VirtioConstants.DeviceNetwork: return "virtio-net";
                        case 2: return "virtio-blk";
                        case 3: return "virtio-console";
                        case 4: return "virtio-rng";
                        case 8: return "virtio-scsi";
                    }
                }
                switch (Class << 8 | Subclass)
                {
                    case 0x0101: return "ide";
                    case 0x0106: return "ahci";
                    case 0x0108: return Interface == 2 ? "nvme" : "nvm";
                    case 0x0200: return "ethernet";
                    case 0x0300: return "vga";
                    case 0x0600: return "host-bridge";
                    case 0x0601: return "isa-bridge";
                    case 0x0604: return Vendor == 0x1B36 && Device == 0x000C ? "pcie-root-port" : "pci-bridge";
                    case 0x0C03: return "usb";
                    case 0x0C05: return "smbus";
                }
                return null;
            }
        }
    }
}
