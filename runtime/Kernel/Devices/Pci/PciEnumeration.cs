using Kernel.Console;

namespace Kernel.Devices.Pci
{
    // Every PCI function the machine has, found once at boot: bus 0's 32 slots (functions 1-7 only where
    // function 0 is multi-function), then, depth first, the secondary bus of every PCI-to-PCI bridge -- q35's
    // pcie-root-ports and pci-bridges among them -- with the bus numbers firmware assigned (SeaBIOS and OVMF both
    // number the buses before the kernel runs). A bus is scanned once, however many bridges claim it. Drivers look
    // their devices up here; the boot report names every function and whether the kernel drives it.
    internal static unsafe class PciEnumeration
    {
        public const int MaxFunctions = 128;

        private static PciFunction[] s_functions;
        private static int s_count;
        private static int s_dropped;
        private static int s_buses;

        public static int Count => s_count;

        public static PciFunction Get(int index) => s_functions[index];

        /// <summary>Scans the buses (nothing when the machine has no PCI, as microvm).</summary>
        public static void Scan()
        {
            s_functions = new PciFunction[MaxFunctions];
            ulong* scanned = stackalloc ulong[4];   // one bit per bus number
            for (int i = 0; i < 4; i++) scanned[i] = 0;
            if (PciConfigSpace.Present) ScanBus(0, scanned);
        }

        private static void ScanBus(int bus, ulong* scanned)
        {
            if ((scanned[bus >> 6] & (1UL << (bus & 63))) != 0) return;
            scanned[bus >> 6] |= 1UL << (bus & 63);
            s_buses++;
            for (int slot = 0; slot < 32; slot++)
            {
                if (PciConfigSpace.Read16(bus, slot, 0, PciConfigSpace.VendorId) == 0xFFFF) continue;
                int functions = (PciConfigSpace.Read8(bus, slot, 0, PciConfigSpace.HeaderType) & 0x80) != 0 ? 8 : 1;
                for (int function = 0; function < functions; function++)
                {
                    ushort vendor = PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.VendorId);
                    if (vendor == 0xFFFF || vendor == 0) continue;
                    PciFunction f = Read(bus, slot, function, vendor);
                    if (s_count < MaxFunctions) s_functions[s_count++] = f;
                    else s_dropped++;
                    if (f.HeaderType == 1)
                    {
                        int secondary = PciConfigSpace.Read8(bus, slot, function, PciConfigSpace.SecondaryBus);
                        if (secondary > bus) ScanBus(secondary, scanned);   // 0 or a lower number: not configured
                    }
                }
            }
        }

        private static PciFunction Read(int bus, int slot, int function, ushort vendor)
        {
            uint classRevision = PciConfigSpace.Read32(bus, slot, function, PciConfigSpace.ClassRevision);
            var f = new PciFunction
            {
                Bus = (byte)bus, Slot = (byte)slot, Function = (byte)function,
                Vendor = vendor,
                Device = PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.DeviceId),
                Class = (byte)(classRevision >> 24), Subclass = (byte)(classRevision >> 16), Interface = (byte)(classRevision >> 8),
                HeaderType = (byte)(PciConfigSpace.Read8(bus, slot, function, PciConfigSpace.HeaderType) & 0x7F),
            };
            if (f.HeaderType == 0) f.Subsystem = PciConfigSpace.Read16(bus, slot, function, PciConfigSpace.SubsystemId);
            return f;
        }

        /// <summary>
        /// "uk: pci: 9 functions on 2 buses (ECAM 0xb0000000), 2 bridges; driver: virtio-net 01:00.0; no driver: nvme
        /// 00:03.0, ahci 00:1f.2, ...": what is there, and which functions the kernel drives (<paramref name="driven"/>
        /// says which) and leaves alone. Nothing on a machine without PCI.
        /// </summary>
        public static void Report(delegate*<PciFunction, bool> driven)
        {
            if (s_buses == 0) return;
            int bridges = 0;
            for (int i = 0; i < s_count; i++) if (s_functions[i].IsBridge) bridges++;
            KernelConsole.Prefix();
            KernelConsole.Write("pci: ");
            KernelConsole.WriteDecimal((ulong)(s_count + s_dropped));
            KernelConsole.Write(" functions on ");
            KernelConsole.WriteDecimal((ulong)s_buses);
            KernelConsole.Write(s_buses == 1 ? " bus (" : " buses (");
            if (PciConfigSpace.EcamBase != 0)
            {
                KernelConsole.Write("ECAM ");
                KernelConsole.WriteHex(PciConfigSpace.EcamBase);
            }
            else KernelConsole.Write("port 0xcf8");
            KernelConsole.Write("), ");
            KernelConsole.WriteDecimal((ulong)bridges);
            KernelConsole.Write(bridges == 1 ? " bridge" : " bridges");
            WriteList("; driver:", driven, true);
            WriteList("; no driver:", driven, false);
            if (s_dropped > 0)
            {
                KernelConsole.Write("; ");
                KernelConsole.WriteDecimal((ulong)s_dropped);
                KernelConsole.Write(" more not listed");
            }
            KernelConsole.WriteLine();
        }

        private static void WriteList(string title, delegate*<PciFunction, bool> driven, bool withDriver)
        {
            bool first = true;
            for (int i = 0; i < s_count; i++)
            {
                PciFunction f = s_functions[i];
                if (f.IsBridge || driven(f) != withDriver) continue;
                KernelConsole.Write(first ? title : ",");
                KernelConsole.Write(' ');
                first = false;
                string name = f.Name;
                if (name != null) KernelConsole.Write(name);
                else
                {
                    KernelConsole.Write('[');
                    WriteHexDigits(f.Vendor, 4);
                    KernelConsole.Write(':');
                    WriteHexDigits(f.Device, 4);
                    KernelConsole.Write(" class ");
                    WriteHexDigits((uint)(f.Class << 8 | f.Subclass), 4);
                    KernelConsole.Write(']');
                }
                KernelConsole.Write(' ');
                WriteHexDigits(f.Bus, 2);
                KernelConsole.Write(':');
                WriteHexDigits(f.Slot, 2);
                KernelConsole.Write('.');
                KernelConsole.Write((char)('0' + f.Function));
            }
        }

        private static void WriteHexDigits(uint value, int digits)
        {
            for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
            {
                uint d = (value >> shift) & 0xF;
                KernelConsole.Write((char)(d < 10 ? '0' + d : 'a' + d - 10));
            }
        }
    }
}
