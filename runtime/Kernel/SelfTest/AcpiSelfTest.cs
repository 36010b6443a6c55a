#if KERNEL_SELFTEST
using Kernel.Boot;
using Kernel.Console;
using Kernel.Devices.Acpi;
using Kernel.Memory;

namespace Kernel.SelfTest
{
    // uk.selftest=acpi, on a machine whose loader named the RSDP in the start info (QEMU pc and q35, whose PVH option
    // ROM finds it by scanning the BIOS area): the kernel's own scan (the path for loaders that leave rsdp_paddr 0)
    // finds the same RSDP and reads the same tables from it. Then a copy of the tables whose MADT has one byte
    // changed: the MADT is refused by name in the boot report's words and not used, the rest still is.
    internal static unsafe class AcpiSelfTest
    {
        public static void Run()
        {
            AcpiTables booted = AcpiStartup.Tables;
            if (booted == null || booted.Problem != null || booted.Madt == null || booted.Fadt == null) SelfTestOutput.Fail("acpi: no usable tables at boot");
            ulong fromStartInfo = LoaderData.StartInfo->RsdpAddress;
            ulong scanned = Rsdp.Scan(AcpiStartup.Memory, LoaderData.EbdaAddress);
            KernelConsole.Prefix();
            KernelConsole.Write("selftest acpi: the scan found the RSDP at ");
            KernelConsole.WriteHex(scanned);
            KernelConsole.Write(", the start info names ");
            KernelConsole.WriteHex(fromStartInfo);
            KernelConsole.WriteLine();
            if (scanned == 0 || scanned != fromStartInfo) SelfTestOutput.Fail("acpi: the scan did not find the loader's RSDP");
            AcpiStartup.Report(AcpiTables.Load(AcpiStartup.Memory, scanned), scanned, "the BIOS area");
            AcpiTables again = AcpiTables.Load(AcpiStartup.Memory, scanned);
            if (!SameTables(booted, again)) SelfTestOutput.Fail("acpi: the tables read from the scanned RSDP differ");

            AcpiTables corrupted = LoadWithCorruptedMadt(booted);
            if (corrupted == null) SelfTestOutput.Fail("acpi: no memory for the copy");
            int madt = corrupted.Find(AcpiTables.MadtSignature);
            if (corrupted.Madt != null || madt < 0 || corrupted.Tables[madt].Problem == null || corrupted.Fadt == null)
                SelfTestOutput.Fail("acpi: the corrupted MADT was not refused alone");
            SelfTestOutput.Pass("selftest acpi: all checks passed (ok)");
        }

        private static bool SameTables(AcpiTables a, AcpiTables b)
        {
            if (a.Count != b.Count || a.RootAddress != b.RootAddress) return false;
            for (int i = 0; i < a.Count; i++)
            {
                if (a.Tables[i].Signature != b.Tables[i].Signature || a.Tables[i].Address != b.Tables[i].Address) return false;
            }
            return a.Madt.IoApicCount == b.Madt.IoApicCount && a.Madt.OverrideCount == b.Madt.OverrideCount
                   && a.Fadt.SciInterrupt == b.Fadt.SciInterrupt && a.Fadt.Dsdt == b.Fadt.Dsdt;
        }

        // Page 0: an ACPI 1.0 RSDP at +0 and an RSDT at +64 listing the copy and the real FADT; page 1: the MADT's copy.
        private static AcpiTables LoadWithCorruptedMadt(AcpiTables booted)
        {
            ulong pages = KernelMemory.Pages->AllocateZeroedPages(2);
            if (pages == 0) return null;
            byte* rsdp = (byte*)pages, rsdt = rsdp + 64, madt = rsdp + 4096;
            ulong physical = MemoryLayout.ToPhysical(pages);

            AcpiTableEntry original = booted.Tables[booted.Find(AcpiTables.MadtSignature)];
            if (original.Length > 4096) return null;
            byte* source = AcpiStartup.Memory.At(original.Address, original.Length);
            for (uint i = 0; i < original.Length; i++) madt[i] = source[i];
            madt[AcpiTable.HeaderLength] ^= 0x01;   // the local APIC address's low byte

            string signature = "RSD PTR ";
            for (int i = 0; i < 8; i++) rsdp[i] = (byte)signature[i];
            *(uint*)(rsdp + 16) = (uint)(physical + 64);
            rsdp[8] = Checksum(rsdp, 20);

            rsdt[0] = (byte)'R'; rsdt[1] = (byte)'S'; rsdt[2] = (byte)'D'; rsdt[3] = (byte)'T';
            *(uint*)(rsdt + AcpiTable.LengthOffset) = AcpiTable.HeaderLength + 8;
            rsdt[AcpiTable.RevisionOffset] = 1;
            *(uint*)(rsdt + AcpiTable.HeaderLength) = (uint)(physical + 4096);
            *(uint*)(rsdt + AcpiTable.HeaderLength + 4) = (uint)booted.Tables[booted.Find(AcpiTables.FadtSignature)].Address;
            rsdt[9] = Checksum(rsdt, AcpiTable.HeaderLength + 8);

            AcpiTables tables = AcpiTables.Load(AcpiStartup.Memory, physical);
            AcpiStartup.Report(tables, physical, "a copy whose MADT has a changed byte");
            return tables;
        }

        private static byte Checksum(byte* bytes, int length)
        {
            byte sum = 0;
            for (int i = 0; i < length; i++) sum += bytes[i];
            return (byte)(0 - sum);
        }
    }
}
#endif
