using Kernel.Boot;
using Kernel.Console;
using Kernel.Memory;

namespace Kernel.Devices.Acpi
{
    // Finds and reads the ACPI tables at boot, and reports them ("uk: acpi: ..." lines). The RSDP comes from the
    // PVH start info's rsdp_paddr, which QEMU's PVH option ROM (pc, q35) and our own disk loaders set; without it,
    // from a scan of the BIOS areas (Rsdp.Scan: what a VMM that leaves rsdp_paddr 0 still provides). Tables are
    // reached through the direct map; page 0 never is (the EBDA's segment was read from it while LoaderData had it
    // mapped). The tables are only read: nothing here changes the machine.
    internal static unsafe class AcpiStartup
    {
        /// <summary>The tables (null when the machine has no RSDP).</summary>
        public static AcpiTables Tables;

        /// <summary>Firmware memory by physical address, through the direct map.</summary>
        public static PhysicalMemoryView Memory => new PhysicalMemoryView(&Map);

        public static void Initialize()
        {
            PhysicalMemoryView memory = Memory;
            ulong rsdp = LoaderData.StartInfo->RsdpAddress;
            string source = "the start info";
            if (rsdp == 0)
            {
                rsdp = Rsdp.Scan(memory, LoaderData.EbdaAddress);
                source = "the BIOS area";
            }
            if (rsdp == 0)
            {
                Line("acpi: none (no RSDP from the loader or in the BIOS areas): QEMU's I/O APIC layout assumed");
                return;
            }
            Tables = AcpiTables.Load(memory, rsdp);
            Report(Tables, rsdp, source);
        }

        // Firmware memory by physical address: the direct map, extended above 4 GiB where needed.
        private static byte* Map(ulong physical, ulong length)
        {
            if (physical < 4096) return null;
            if (!DeviceMemory.Map(physical, length)) return null;
            return (byte*)MemoryLayout.ToDirectMap(physical);
        }

        /// <summary>The "uk: acpi: ..." lines for <paramref name="t"/>, read from the RSDP at <paramref name="rsdp"/> found in <paramref name="source"/>.</summary>
        public static void Report(AcpiTables t, ulong rsdp, string source)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("acpi: RSDP ");
            KernelConsole.WriteHex(rsdp);
            KernelConsole.Write(" from ");
            KernelConsole.Write(source);
            if (t.Problem != null)
            {
                KernelConsole.Write(" refused: ");
                KernelConsole.WriteLine(t.Problem);
                return;
            }
            KernelConsole.Write(t.Rsdp.Revision >= 2 ? ", ACPI 2.0+, " : ", ACPI 1.0, ");
            KernelConsole.Write(t.RootIsXsdt ? "XSDT " : "RSDT ");
            KernelConsole.WriteHex(t.RootAddress);
            if (t.RsdtProblem != null)
            {
                KernelConsole.Write(" refused: it ");
                KernelConsole.WriteLine(t.RsdtProblem);
                return;
            }
            KernelConsole.Write(":");
            for (int i = 0; i < t.Count; i++)
            {
                KernelConsole.Write(' ');
                WriteSignature(t.Tables[i].Signature);
                if (t.Tables[i].Problem != null) KernelConsole.Write("(refused)");
            }
            KernelConsole.WriteLine();
            if (t.XsdtProblem != null)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("acpi: XSDT ");
                KernelConsole.WriteHex(t.Rsdp.XsdtAddress);
                KernelConsole.Write(" refused: it ");
                KernelConsole.Write(t.XsdtProblem);
                KernelConsole.WriteLine("; the RSDT is used");
            }
            for (int i = 0; i < t.Count; i++)
            {
                if (t.Tables[i].Problem == null) continue;
                KernelConsole.Prefix();
                KernelConsole.Write("acpi: table ");
                if (t.Tables[i].Signature != 0) WriteSignature(t.Tables[i].Signature);
                KernelConsole.Write(" at ");
                KernelConsole.WriteHex(t.Tables[i].Address);
                KernelConsole.Write(" refused: it ");
                KernelConsole.WriteLine(t.Tables[i].Problem);
            }
            if (t.Madt != null) ReportMadt(t.Madt);
            if (t.Fadt != null) ReportFadt(t.Fadt);
            if (t.Mcfg != null)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("acpi: MCFG: ECAM ");
                KernelConsole.WriteHex(t.Mcfg.EcamBase);
                KernelConsole.Write(" buses ");
                KernelConsole.WriteDecimal((ulong)t.Mcfg.StartBus);
                KernelConsole.Write("-");
                KernelConsole.WriteDecimal((ulong)t.Mcfg.EndBus);
                KernelConsole.WriteLine();
            }
        }

        // "acpi: MADT: local APIC 0xfee00000, 1 CPU, I/O APIC 0xfec00000 GSI 0+, ISA overrides 0->2 5->5 level ..."
        private static void ReportMadt(Madt madt)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("acpi: MADT: local APIC ");
            KernelConsole.WriteHex(madt.LocalApicAddress);
            KernelConsole.Write(", ");
            KernelConsole.WriteDecimal((ulong)madt.Processors);
            KernelConsole.Write(madt.Processors == 1 ? " CPU" : " CPUs");
            for (int i = 0; i < madt.IoApicCount; i++)
            {
                KernelConsole.Write(", I/O APIC ");
                KernelConsole.WriteHex(madt.IoApics[i].Address);
                KernelConsole.Write(" GSI ");
                KernelConsole.WriteDecimal(madt.IoApics[i].GsiBase);
                KernelConsole.Write("+");
            }
            if (madt.OverrideCount > 0) KernelConsole.Write(", ISA overrides");
            for (int i = 0; i < madt.OverrideCount; i++)
            {
                InterruptOverride o = madt.Overrides[i];
                KernelConsole.Write(' ');
                KernelConsole.WriteDecimal(o.Source);
                KernelConsole.Write("->");
                KernelConsole.WriteDecimal(o.Gsi);
                if (o.LevelTriggered(false)) KernelConsole.Write(" level");
                if (o.ActiveLow(false)) KernelConsole.Write(" low");
            }
            if (madt.Dropped > 0)
            {
                KernelConsole.Write(", ");
                KernelConsole.WriteDecimal((ulong)madt.Dropped);
                KernelConsole.Write(" entries not kept");
            }
            if (madt.Problem != null)
            {
                KernelConsole.Write("; ");
                KernelConsole.Write(madt.Problem);
            }
            KernelConsole.WriteLine();
        }

        // "acpi: FADT: SCI 9, SMI port 0xb2 enable 0xf1, PM1a event io 0x600 control io 0x604, reset io 0xcf9 value 0xf, DSDT 0x..."
        private static void ReportFadt(Fadt fadt)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("acpi: FADT: ");
            if (fadt.HardwareReduced) KernelConsole.Write("hardware-reduced, ");
            KernelConsole.Write("SCI ");
            KernelConsole.WriteDecimal(fadt.SciInterrupt);
            if (fadt.SmiCommandPort != 0)
            {
                KernelConsole.Write(", SMI port ");
                KernelConsole.WriteHex(fadt.SmiCommandPort);
                KernelConsole.Write(" enable ");
                KernelConsole.WriteHex(fadt.AcpiEnableValue);
            }
            WriteRegister(", PM1a event ", fadt.Pm1aEvent);
            WriteRegister(" control ", fadt.Pm1aControl);
            WriteRegister(", PM1b event ", fadt.Pm1bEvent);
            WriteRegister(" control ", fadt.Pm1bControl);
            WriteRegister(", sleep control ", fadt.SleepControl);
            WriteRegister(" status ", fadt.SleepStatus);
            if (fadt.HasResetRegister)
            {
                WriteRegister(", reset ", fadt.ResetRegister);
                KernelConsole.Write(" value ");
                KernelConsole.WriteHex(fadt.ResetValue);
            }
            KernelConsole.Write(", DSDT ");
            KernelConsole.WriteHex(fadt.Dsdt);
            KernelConsole.WriteLine();
        }

        private static void WriteRegister(string label, GenericAddress register)
        {
            if (!register.IsPresent) return;
            KernelConsole.Write(label);
            KernelConsole.Write(register.Space == GenericAddress.SystemIo ? "io " : register.Space == GenericAddress.SystemMemory ? "mem " : "space ");
            KernelConsole.WriteHex(register.Address);
        }

        private static void WriteSignature(uint signature)
        {
            for (int i = 0; i < 4; i++)
            {
                char c = (char)((signature >> (8 * i)) & 0xFF);
                KernelConsole.Write(c >= ' ' && c <= '~' ? c : '?');
            }
        }

        private static void Line(string text)
        {
            KernelConsole.Prefix();
            KernelConsole.WriteLine(text);
        }
    }
}
