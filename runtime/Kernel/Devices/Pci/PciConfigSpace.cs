using Kernel.Arch;

namespace Kernel.Devices.Pci
{
    // PCI configuration space: through ECAM (PCI Express's memory-mapped configuration space, 4 KiB per
    // function at base + bus << 20 | device << 15 | function << 12) for the buses the MCFG gives it (q35 and
    // every PCIe machine), else through the legacy I/O mechanism #1 (ports 0xCF8 address, 0xCFC data), which
    // QEMU's pc (i440FX) has, and q35 too. Registers are read as aligned dwords; the narrower accessors
    // shift. One CPU and interrupts off in the kernel: the address/data pair needs no lock.
    internal static class PciConfigSpace
    {
        private const ushort AddressPort = 0xCF8, DataPort = 0xCFC;
        private const uint Enable = 1u << 31;

        private static ulong s_ecamBase;
        private static int s_ecamStartBus, s_ecamEndBus = -1;

        /// <summary>The ECAM base in use, or 0 (port I/O).</summary>
        public static ulong EcamBase => s_ecamBase;

        public const int VendorId = 0x00, DeviceId = 0x02, Command = 0x04, Status = 0x06, HeaderType = 0x0E;
        public const int ClassRevision = 0x08, PrimaryBus = 0x18, SecondaryBus = 0x19, SubordinateBus = 0x1A;
        public const int Bar0 = 0x10, SubsystemId = 0x2E, CapabilitiesPointer = 0x34, InterruptLine = 0x3C, InterruptPin = 0x3D;
        public const ushort CommandIoSpace = 1, CommandMemorySpace = 2, CommandBusMaster = 4, CommandInterruptDisable = 1 << 10;
        public const ushort StatusCapabilitiesList = 1 << 4;

        /// <summary>
        /// Configuration accesses to buses <paramref name="startBus"/>-<paramref name="endBus"/> go through the ECAM
        /// window at <paramref name="ecamBase"/> (the address of bus 0's space, as the MCFG gives it) from now on;
        /// false, and port I/O stays, when the window cannot be mapped.
        /// </summary>
        public static bool UseEcam(ulong ecamBase, int startBus, int endBus)
        {
            if (ecamBase == 0 || endBus < startBus) return false;
            if (!DeviceMemory.Map(ecamBase + ((ulong)startBus << 20), (ulong)(endBus - startBus + 1) << 20)) return false;
            s_ecamBase = ecamBase;
            s_ecamStartBus = startBus;
            s_ecamEndBus = endBus;
            return true;
        }

        public static uint Read32(int bus, int device, int function, int offset)
        {
            if (bus >= s_ecamStartBus && bus <= s_ecamEndBus) return Mmio.Read32(EcamAddress(bus, device, function, offset));
            Cpu.OutDword(AddressPort, Address(bus, device, function, offset));
            return Cpu.InDword(DataPort);
        }

        public static void Write32(int bus, int device, int function, int offset, uint value)
        {
            if (bus >= s_ecamStartBus && bus <= s_ecamEndBus) { Mmio.Write32(EcamAddress(bus, device, function, offset), value); return; }
            Cpu.OutDword(AddressPort, Address(bus, device, function, offset));
            Cpu.OutDword(DataPort, value);
        }

        public static ushort Read16(int bus, int device, int function, int offset)
            => (ushort)(Read32(bus, device, function, offset) >> ((offset & 2) * 8));

        public static byte Read8(int bus, int device, int function, int offset)
            => (byte)(Read32(bus, device, function, offset) >> ((offset & 3) * 8));

        /// <summary>Writes a 16-bit register by read-modify-write of its dword (the other half is written back
        /// unchanged; for Command/Status that clears no status bit, since those are write-1-to-clear).</summary>
        public static void Write16(int bus, int device, int function, int offset, ushort value)
        {
            uint dword = Read32(bus, device, function, offset);
            int shift = (offset & 2) * 8;
            if (offset == Command) dword &= 0x0000FFFF;   // do not write back Status's write-1-to-clear bits
            dword = (dword & ~(0xFFFFu << shift)) | ((uint)value << shift);
            Write32(bus, device, function, offset, dword);
        }

        /// <summary>Is there a configuration space at all (a host bridge at 00:00.0)? microvm has none.</summary>
        public static bool Present
        {
            get
            {
                ushort vendor = Read16(0, 0, 0, VendorId);
                return vendor != 0xFFFF && vendor != 0;
            }
        }

        /// <summary>
        /// The memory address BAR <paramref name="index"/> decodes (64-bit BARs take the next register as the high
        /// half), or 0 for an I/O or unassigned BAR.
        /// </summary>
        public static ulong MemoryBar(int bus, int device, int function, int index)
        {
            uint low = Read32(bus, device, function, Bar0 + index * 4);
            if ((low & 1) != 0) return 0;   // I/O space
            ulong address = low & 0xFFFF_FFF0u;
            if (((low >> 1) & 3) == 2 && index < 5) address |= (ulong)Read32(bus, device, function, Bar0 + (index + 1) * 4) << 32;
            return address;
        }

        private static ulong EcamAddress(int bus, int device, int function, int offset)
            => s_ecamBase + ((ulong)bus << 20) + ((ulong)device << 15) + ((ulong)function << 12) + ((ulong)offset & 0xFFC);

        private static uint Address(int bus, int device, int function, int offset)
            => Enable | ((uint)bus << 16) | ((uint)device << 11) | ((uint)function << 8) | ((uint)offset & 0xFC);
    }
}
