namespace Kernel.Devices.Acpi
{
    /// <summary>One table the root table (or the FADT, for the DSDT) points at, as found.</summary>
    internal struct AcpiTableEntry
    {
        public uint Signature;
        public ulong Address;
        public uint Length;
        /// <summary>Why the table is not used (unreachable, too short, wrong checksum), or null.</summary>
        public string Problem;
    }

    /// <summary>
    /// The machine's ACPI tables, from the RSDP down: the XSDT when the RSDP has one (ACPI 2.0+) and its checksum holds,
    /// else the RSDT; then every table it lists, each checksum checked -- a table that fails is listed with its problem
    /// and not used. Parsed: the MADT, the FADT (and the DSDT it points at, checked like the others, read for DsdtFacts) and the MCFG.
    /// Only reads memory, through <see cref="PhysicalMemoryView"/>. Portable (host-tested).
    /// </summary>
    internal sealed unsafe class AcpiTables
    {
        public const int MaxTables = 32;
        private const uint MaxTableLength = 16 << 20;

        // As AcpiTable.SignatureOf reads them.
        public const uint MadtSignature = 0x43495041, FadtSignature = 0x50434146, McfgSignature = 0x4746434D, DsdtSignature = 0x54445344;
        private const uint XsdtSignature = 0x54445358, RsdtSignature = 0x54445352;

        public Rsdp Rsdp;
        /// <summary>The root table is the XSDT (else the RSDT).</summary>
        public bool RootIsXsdt;
        public ulong RootAddress;
        /// <summary>Why the RSDP cannot be used (a sentence), or null.</summary>
        public string Problem;
        /// <summary>Why the XSDT was passed over for the RSDT ("has a wrong checksum"), or null.</summary>
        public string XsdtProblem;
        /// <summary>Why the RSDT cannot be used either, when the XSDT could not be: there are no tables then.</summary>
        public string RsdtProblem;
        public int Count;
        public readonly AcpiTableEntry[] Tables = new AcpiTableEntry[MaxTables];
        public int Dropped;

        public Madt Madt;
        public Fadt Fadt;
        public Mcfg Mcfg;
        /// <summary>What the DSDT's AML says about soft-off and the GED (valid when <see cref="HasDsdt"/>).</summary>
        public DsdtFacts Dsdt;
        public bool HasDsdt;

        /// <summary>Reads the tables from the RSDP at <paramref name="rsdpAddress"/>.</summary>
        public static AcpiTables Load(PhysicalMemoryView memory, ulong rsdpAddress)
        {
            var tables = new AcpiTables();
            byte* rsdp = memory.At(rsdpAddress, Rsdp.Version2Length);
            if (rsdp == null) { tables.Problem = "the RSDP cannot be reached"; return tables; }
            tables.Problem = Rsdp.Read(rsdp, rsdpAddress, out tables.Rsdp);
            if (tables.Problem != null) return tables;

            byte* root = null;
            uint rootLength = 0;
            if (tables.Rsdp.XsdtAddress != 0)
            {
                tables.XsdtProblem = Map(memory, tables.Rsdp.XsdtAddress, XsdtSignature, out root, out rootLength);
                if (tables.XsdtProblem == null) { tables.RootIsXsdt = true; tables.RootAddress = tables.Rsdp.XsdtAddress; }
            }
            if (!tables.RootIsXsdt)
            {
                tables.RootAddress = tables.Rsdp.RsdtAddress;
                tables.RsdtProblem = Map(memory, tables.Rsdp.RsdtAddress, RsdtSignature, out root, out rootLength);
                if (tables.RsdtProblem != null) return tables;
            }

            int pointerSize = tables.RootIsXsdt ? 8 : 4;
            for (uint offset = AcpiTable.HeaderLength; offset + pointerSize <= rootLength; offset += (uint)pointerSize)
            {
                ulong address = tables.RootIsXsdt ? AcpiTable.Read64(root + offset) : AcpiTable.Read32(root + offset);
                tables.Add(memory, address);
            }
            if (tables.Fadt != null && tables.Fadt.Dsdt != 0) tables.Add(memory, tables.Fadt.Dsdt);
            return tables;
        }

        /// <summary>The entry for the first table with <paramref name="signature"/>, or -1.</summary>
        public int Find(uint signature)
        {
            for (int i = 0; i < Count; i++) if (Tables[i].Signature == signature) return i;
            return -1;
        }

        private void Add(PhysicalMemoryView memory, ulong address)
        {
            if (address == 0) return;
            if (Count == MaxTables) { Dropped++; return; }
            byte* table;
            uint length;
            var entry = new AcpiTableEntry { Address = address };
            entry.Problem = Map(memory, address, 0, out table, out length);
            if (table != null) { entry.Signature = AcpiTable.SignatureOf(table); entry.Length = AcpiTable.LengthOf(table); }
            Tables[Count++] = entry;
            if (entry.Problem != null) return;

            // The first valid table of each kind counts (firmware lists each once).
            if (entry.Signature == MadtSignature && Madt == null) Madt = Madt.Parse(table, length);
            else if (entry.Signature == FadtSignature && Fadt == null) Fadt = Fadt.Parse(table, length);
            else if (entry.Signature == McfgSignature && Mcfg == null) Mcfg = Mcfg.Parse(table, length);
            else if (entry.Signature == DsdtSignature && !HasDsdt)
            {
                Dsdt = DsdtFacts.Read(table + AcpiTable.HeaderLength, length - AcpiTable.HeaderLength);
                HasDsdt = true;
            }
        }

        // Maps a whole table after its header has said how long it is, and checks it; `table` is set whenever the
        // header could be read, so that a refused table can still be named.
        private static string Map(PhysicalMemoryView memory, ulong address, uint expectedSignature, out byte* table, out uint length)
        {
            length = 0;
            table = memory.At(address, AcpiTable.HeaderLength);
            if (table == null) return "cannot be reached";
            uint declared = AcpiTable.LengthOf(table);
            if (expectedSignature != 0 && AcpiTable.SignatureOf(table) != expectedSignature) return "has the wrong signature";
            if (declared < AcpiTable.HeaderLength || declared > MaxTableLength) return "has an impossible length";
            byte* whole = memory.At(address, declared);
            if (whole == null) return "cannot be reached";
            table = whole;
            if (!AcpiTable.ChecksumIsValid(table, declared)) return "has a wrong checksum";
            length = declared;
            return null;
        }
    }
}
