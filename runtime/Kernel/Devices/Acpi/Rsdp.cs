namespace Kernel.Devices.Acpi
{
    /// <summary>
    /// The Root System Description Pointer (ACPI 6.5, 5.2.5.3): "RSD PTR ", a checksum over its first 20 bytes
    /// (ACPI 1.0's whole structure) and, from revision 2 on, a length, the XSDT's 64-bit address and an extended
    /// checksum over all of it. Portable (host-tested).
    /// </summary>
    internal unsafe struct Rsdp
    {
        public const int Version1Length = 20, Version2Length = 36;
        private const int ChecksumLength = 20;
        private const int RevisionOffset = 15, RsdtOffset = 16, LengthOffset = 20, XsdtOffset = 24;

        public ulong Address;
        public byte Revision;
        public ulong RsdtAddress;
        /// <summary>0 before ACPI 2.0.</summary>
        public ulong XsdtAddress;

        public static bool HasSignature(byte* p)
            => p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' && p[5] == 'T' && p[6] == 'R' && p[7] == ' ';

        /// <summary>
        /// Reads the RSDP at <paramref name="physical"/> (<paramref name="p"/> maps at least <see cref="Version2Length"/>
        /// bytes there); null when it is valid, else why not.
        /// </summary>
        public static string Read(byte* p, ulong physical, out Rsdp rsdp)
        {
            rsdp = default;
            if (!HasSignature(p)) return "no \"RSD PTR \" signature";
            if (!AcpiTable.ChecksumIsValid(p, ChecksumLength)) return "the RSDP's checksum is wrong";
            rsdp.Address = physical;
            rsdp.Revision = p[RevisionOffset];
            rsdp.RsdtAddress = AcpiTable.Read32(p + RsdtOffset);
            if (rsdp.Revision >= 2)
            {
                uint length = AcpiTable.Read32(p + LengthOffset);
                if (length < Version2Length || length > 4096) return "the RSDP's length is wrong";
                if (!AcpiTable.ChecksumIsValid(p, Version2Length)) return "the RSDP's extended checksum is wrong";
                rsdp.XsdtAddress = AcpiTable.Read64(p + XsdtOffset);
            }
            return null;
        }

        /// <summary>
        /// The RSDP as a BIOS leaves it (5.2.5.1): on a 16-byte boundary in the first KiB of the Extended BIOS Data
        /// Area (whose segment the word at 0x40E of the BIOS Data Area holds), else in the BIOS area 0xE0000-0xFFFFF.
        /// Candidates with a wrong checksum are skipped. Returns the physical address, or 0.
        /// </summary>
        public static ulong Scan(PhysicalMemoryView memory, ulong ebdaAddress)
        {
            if (ebdaAddress >= 0x80000 && ebdaAddress < 0xA0000)
            {
                ulong found = ScanArea(memory, ebdaAddress & ~15UL, 1024);
                if (found != 0) return found;
            }
            return ScanArea(memory, 0xE0000, 0x20000);
        }

        private static ulong ScanArea(PhysicalMemoryView memory, ulong start, ulong length)
        {
            byte* area = memory.At(start, length);
            if (area == null) return 0;
            for (ulong offset = 0; offset + Version1Length <= length; offset += 16)
            {
                if (!HasSignature(area + offset)) continue;
                // A revision 2 structure must lie inside the area as well.
                if (offset + Version2Length > length && area[offset + RevisionOffset] >= 2) continue;
                Rsdp candidate;
                if (Read(area + offset, start + offset, out candidate) == null) return start + offset;
            }
            return 0;
        }
    }
}
