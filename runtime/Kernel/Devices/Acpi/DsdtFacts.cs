namespace Kernel.Devices.Acpi
{
    /// <summary>
    /// The few facts the kernel needs from the DSDT's AML, found by pattern rather than by an AML interpreter (which
    /// the kernel does not have): the sleep type for soft-off (\_S5's package, 7.4.2) and, on hardware-reduced machines
    /// such as QEMU's microvm, the Generic Event Device (_HID "ACPI0013", 5.6.9) that carries the power button: its
    /// event-selector region (QEMU names it EREG) and the interrupt its _CRS lists. The encodings matched are the
    /// ones the ACPI spec gives (20.2): NameOp 0x08, PackageOp 0x12 with a PkgLength, BytePrefix 0x0A / ZeroOp /
    /// OneOp for small integers, OpRegionOp 0x5B 0x80 with a DWordPrefix or QWordPrefix offset, and the Extended
    /// Interrupt Descriptor (6.4.3.6). Anything else is "not found", never a guess. Portable (host-tested).
    /// </summary>
    internal unsafe struct DsdtFacts
    {
        private const int GedSearchWindow = 512;   // bytes after "ACPI0013" in which its _CRS is looked for

        /// <summary>\_S5's SLP_TYPa (0-7), or -1 when the DSDT names no \_S5 this reader understands.</summary>
        public int SoftOffSleepType;
        /// <summary>The GED's event selector (a 32-bit memory register that reads and clears the pending events), or 0.</summary>
        public ulong GedEventSelector;
        /// <summary>The GED's interrupt (a GSI) and how it is signalled, when <see cref="GedInterruptFound"/>.</summary>
        public uint GedInterrupt;
        public bool GedInterruptFound, GedEdgeTriggered, GedActiveLow;

        public static DsdtFacts Read(byte* aml, uint length)
        {
            var facts = new DsdtFacts { SoftOffSleepType = SoftOffSleepTypeOf(aml, length) };
            facts.GedEventSelector = SystemMemoryRegion(aml, length, (byte)'E', (byte)'R', (byte)'E', (byte)'G');
            int hid = Find(aml, length, 0, "ACPI0013");
            if (hid >= 0) facts.GedInterruptFound = FirstExtendedInterrupt(aml, length, hid, out facts.GedInterrupt, out facts.GedEdgeTriggered, out facts.GedActiveLow);
            return facts;
        }

        // NameOp "_S5_" PackageOp PkgLength NumElements SLP_TYPa ...
        private static int SoftOffSleepTypeOf(byte* aml, uint length)
        {
            for (int at = Find(aml, length, 0, "_S5_"); at >= 0; at = Find(aml, length, at + 1, "_S5_"))
            {
                bool named = at >= 1 && (aml[at - 1] == 0x08 || (aml[at - 1] == (byte)'\\' && at >= 2 && aml[at - 2] == 0x08));
                int p = at + 4;
                if (!named || p >= length || aml[p] != 0x12) continue;
                p++;
                if (p >= length) continue;
                p += 1 + (aml[p] >> 6);    // PkgLength: bits 7-6 of the lead byte count the bytes that follow it
                p++;                        // NumElements
                if (p >= length) continue;
                int value = SmallInteger(aml, length, p);
                if (value >= 0) return value & 7;
            }
            return -1;
        }

        private static int SmallInteger(byte* aml, uint length, int p)
        {
            switch (aml[p])
            {
                case 0x00: return 0;                                    // ZeroOp
                case 0x01: return 1;                                    // OneOp
                case 0x0A: return p + 1 < length ? aml[p + 1] : -1;      // BytePrefix
                case 0x0B: return p + 1 < length ? aml[p + 1] : -1;      // WordPrefix (the low byte: SLP_TYP is 3 bits)
                case 0x0C: return p + 1 < length ? aml[p + 1] : -1;      // DWordPrefix
                default: return -1;
            }
        }

        // OpRegionOp NameString RegionSpace(0 = SystemMemory) RegionOffset(DWord/QWord constant) ...
        private static ulong SystemMemoryRegion(byte* aml, uint length, byte a, byte b, byte c, byte d)
        {
            for (int p = 0; p + 8 < length; p++)
            {
                if (aml[p] != 0x5B || aml[p + 1] != 0x80 || aml[p + 2] != a || aml[p + 3] != b || aml[p + 4] != c || aml[p + 5] != d) continue;
                if (aml[p + 6] != 0x00) continue;
                int q = p + 7;
                if (aml[q] == 0x0C && q + 4 < length) return AcpiTable.Read32(aml + q + 1);
                if (aml[q] == 0x0E && q + 8 < length) return AcpiTable.Read64(aml + q + 1);
            }
            return 0;
        }

        // Extended Interrupt Descriptor: 0x89, length (16 bits, >= 6), flags, count (>= 1), then 32-bit interrupt numbers.
        private static bool FirstExtendedInterrupt(byte* aml, uint length, int from, out uint gsi, out bool edge, out bool activeLow)
        {
            gsi = 0; edge = false; activeLow = false;
            long end = from + GedSearchWindow < length ? from + GedSearchWindow : length;
            for (int p = from; p + 9 <= end; p++)
            {
                if (aml[p] != 0x89) continue;
                int descriptorLength = aml[p + 1] | (aml[p + 2] << 8);
                if (descriptorLength < 6 || aml[p + 4] == 0 || p + 3 + descriptorLength > length) continue;
                byte flags = aml[p + 3];
                gsi = AcpiTable.Read32(aml + p + 5);
                edge = (flags & 2) != 0;
                activeLow = (flags & 4) != 0;
                return true;
            }
            return false;
        }

        private static int Find(byte* aml, uint length, int from, string text)
        {
            for (int p = from; p + text.Length <= length; p++)
            {
                int i = 0;
                while (i < text.Length && aml[p + i] == (byte)text[i]) i++;
                if (i == text.Length) return p;
            }
            return -1;
        }
    }
}
