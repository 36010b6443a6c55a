namespace Kernel.Devices.Acpi
{
    /// <summary>
    /// The PCI Express memory-mapped configuration table ("MCFG", PCI Firmware Specification 3.2, 4.1.2): after the
    /// header and 8 reserved bytes, one 16-byte entry per ECAM range (base address, PCI segment group, first and last
    /// bus). The kernel knows one segment, 0; its first entry is kept. Portable (host-tested).
    /// </summary>
    internal sealed unsafe class Mcfg
    {
        private const int FirstEntryOffset = 44, EntryLength = 16;

        public ulong EcamBase;
        public int StartBus, EndBus;
        /// <summary>Entries the table has in all (other segments are not used).</summary>
        public int Entries;

        /// <summary>The first segment-0 range of a MCFG whose checksum was checked, or null when it has none.</summary>
        public static Mcfg Parse(byte* table, uint length)
        {
            Mcfg found = null;
            int entries = 0;
            for (uint offset = FirstEntryOffset; offset + EntryLength <= length; offset += EntryLength)
            {
                entries++;
                byte* entry = table + offset;
                ulong address = AcpiTable.Read64(entry);
                ushort segment = AcpiTable.Read16(entry + 8);
                if (found != null || segment != 0 || address == 0 || entry[11] < entry[10]) continue;
                found = new Mcfg { EcamBase = address, StartBus = entry[10], EndBus = entry[11] };
            }
            if (found != null) found.Entries = entries;
            return found;
        }
    }
}
