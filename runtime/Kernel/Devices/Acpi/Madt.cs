namespace Kernel.Devices.Acpi
{
    /// <summary>An I/O APIC as the MADT names it: its registers' address and the first GSI its pins carry.</summary>
    internal struct IoApicEntry
    {
        public byte Id;
        public ulong Address;
        public uint GsiBase;
    }

    /// <summary>
    /// An ISA interrupt that does not arrive on the I/O APIC pin of its number, or not edge-triggered active-high as
    /// ISA lines are (5.2.12.5): QEMU moves IRQ 0 (the PIT) to GSI 2 and makes the PCI lines 5, 9, 10 and 11 level.
    /// </summary>
    internal struct InterruptOverride
    {
        public const ushort PolarityMask = 3, PolarityActiveHigh = 1, PolarityActiveLow = 3;
        public const ushort TriggerMask = 3 << 2, TriggerEdge = 1 << 2, TriggerLevel = 3 << 2;

        public byte Source;
        public uint Gsi;
        public ushort Flags;

        /// <summary>Level-triggered, or <paramref name="busDefault"/> when the flags say "conforms to the bus".</summary>
        public bool LevelTriggered(bool busDefault)
            => (Flags & TriggerMask) == TriggerLevel || ((Flags & TriggerMask) == 0 && busDefault);

        public bool ActiveLow(bool busDefault)
            => (Flags & PolarityMask) == PolarityActiveLow || ((Flags & PolarityMask) == 0 && busDefault);
    }

    /// <summary>
    /// The Multiple APIC Description Table ("APIC", 5.2.12): the local APIC's address, then a list of variable-length
    /// entries (type, length, fields) walked here: processor local APICs and x2APICs (counted when enabled or online
    /// capable), I/O APICs, interrupt source overrides and the 64-bit local APIC address override. Unknown types are
    /// skipped by their length; an entry whose length is too short or runs past the table ends the walk with a
    /// problem. Portable (host-tested).
    /// </summary>
    internal sealed unsafe class Madt
    {
        public const int MaxIoApics = 8, MaxOverrides = 16, MaxProcessors = 64;
        private const int LocalApicAddressOffset = 36, FlagsOffset = 40, FirstEntryOffset = 44;
        private const byte TypeLocalApic = 0, TypeIoApic = 1, TypeOverride = 2, TypeLocalApicAddress = 5, TypeLocalX2Apic = 9;
        private const uint ProcessorEnabled = 1, ProcessorOnlineCapable = 2;
        private const uint FlagPcAtCompatible = 1;
        private const byte IsaBus = 0;

        public ulong LocalApicAddress;
        /// <summary>The machine has 8259 PICs too (PCAT_COMPAT), which the OS must mask when it uses the APICs.</summary>
        public bool HasLegacyPics;
        public int Processors;
        /// <summary>The local APIC IDs of the enabled processors, in table order (the one the firmware booted
        /// among them): the CPUs the kernel starts.</summary>
        public readonly uint[] EnabledApicIds = new uint[MaxProcessors];
        public int EnabledCount;
        public int IoApicCount;
        public readonly IoApicEntry[] IoApics = new IoApicEntry[MaxIoApics];
        public int OverrideCount;
        public readonly InterruptOverride[] Overrides = new InterruptOverride[MaxOverrides];
        /// <summary>Entries beyond the arrays' room (reported, not used).</summary>
        public int Dropped;
        /// <summary>Why the entry walk stopped early, or null.</summary>
        public string Problem;

        /// <summary>Parses a MADT whose checksum was checked (<paramref name="length"/> is its header's length).</summary>
        public static Madt Parse(byte* table, uint length)
        {
            var madt = new Madt();
            if (length < FirstEntryOffset) { madt.Problem = "the MADT is shorter than its fixed fields"; return madt; }
            madt.LocalApicAddress = AcpiTable.Read32(table + LocalApicAddressOffset);
            madt.HasLegacyPics = (AcpiTable.Read32(table + FlagsOffset) & FlagPcAtCompatible) != 0;
            uint offset = FirstEntryOffset;
            while (offset < length)
            {
                if (length - offset < 2) { madt.Problem = "the MADT ends inside an entry header"; break; }
                byte* entry = table + offset;
                byte type = entry[0], entryLength = entry[1];
                if (entryLength < 2 || entryLength > length - offset || entryLength < MinimumLength(type))
                {
                    madt.Problem = "a MADT entry has a wrong length";
                    break;
                }
                madt.Add(type, entry);
                offset += entryLength;
            }
            return madt;
        }

        /// <summary>The override of ISA IRQ <paramref name="irq"/>, or false when it arrives unchanged.</summary>
        public bool FindOverride(int irq, out InterruptOverride found)
        {
            for (int i = 0; i < OverrideCount; i++)
            {
                if (Overrides[i].Source == irq) { found = Overrides[i]; return true; }
            }
            found = default;
            return false;
        }

        private static int MinimumLength(byte type)
        {
            switch (type)
            {
                case TypeLocalApic: return 8;
                case TypeIoApic: return 12;
                case TypeOverride: return 10;
                case TypeLocalApicAddress: return 12;
                case TypeLocalX2Apic: return 16;
                default: return 2;
            }
        }

        // Enabled processors are running or waiting for their start-up IPI; online-capable ones may be added
        // later (hot plug): counted as possible CPUs, never started.
        private void AddProcessor(uint apicId, uint flags)
        {
            if ((flags & (ProcessorEnabled | ProcessorOnlineCapable)) == 0) return;
            Processors++;
            if ((flags & ProcessorEnabled) == 0) return;
            if (EnabledCount == MaxProcessors) { Dropped++; return; }
            EnabledApicIds[EnabledCount++] = apicId;
        }

        private void Add(byte type, byte* entry)
        {
            switch (type)
            {
                case TypeLocalApic:
                    AddProcessor(entry[3], AcpiTable.Read32(entry + 4));
                    break;
                case TypeLocalX2Apic:
                    AddProcessor(AcpiTable.Read32(entry + 4), AcpiTable.Read32(entry + 8));
                    break;
                case TypeIoApic:
                    if (IoApicCount == MaxIoApics) { Dropped++; break; }
                    IoApics[IoApicCount++] = new IoApicEntry { Id = entry[2], Address = AcpiTable.Read32(entry + 4), GsiBase = AcpiTable.Read32(entry + 8) };
                    break;
                case TypeOverride:
                    if (entry[2] != IsaBus) break;
                    if (OverrideCount == MaxOverrides) { Dropped++; break; }
                    Overrides[OverrideCount++] = new InterruptOverride { Source = entry[3], Gsi = AcpiTable.Read32(entry + 4), Flags = AcpiTable.Read16(entry + 8) };
                    break;
                case TypeLocalApicAddress:
                    LocalApicAddress = AcpiTable.Read64(entry + 4);
                    break;
            }
        }
    }
}
