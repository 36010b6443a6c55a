using System.Runtime.InteropServices;
using System.Text;
using Kernel.Devices.Acpi;

namespace Unikernel.Runtime.Tests;

// The kernel's ACPI table readers (runtime/Kernel/Devices/Acpi) on tables built here byte by byte after ACPI 6.5
// (5.2.5 RSDP, 5.2.6 header, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.9 FADT, 5.2.12 MADT) and the PCI Firmware Specification
// (MCFG), placed in a simulated 2 MiB of physical memory.
public sealed unsafe class AcpiTableTests : IDisposable
{
    private const ulong MemorySize = 2 << 20;
    [ThreadStatic] private static byte* t_memory;
    private readonly byte* _memory;

    public AcpiTableTests()
    {
        _memory = (byte*)NativeMemory.AllocZeroed((nuint)MemorySize);
        t_memory = _memory;
    }

    public void Dispose() => NativeMemory.Free(_memory);

    private static byte* Map(ulong physical, ulong length)
        => physical < 4096 || physical + length > MemorySize ? null : t_memory + physical;

    private static PhysicalMemoryView View => new(&Map);

    private void Put(ulong address, byte[] bytes) => Marshal.Copy(bytes, 0, (nint)(_memory + address), bytes.Length);

    /// <summary>A table: the 36-byte header (checksum made right unless <paramref name="breakChecksum"/>), then <paramref name="body"/>.</summary>
    private static byte[] Table(string signature, byte revision, byte[] body, bool breakChecksum = false)
    {
        var t = new byte[36 + body.Length];
        Encoding.ASCII.GetBytes(signature).CopyTo(t, 0);
        BitConverter.GetBytes(t.Length).CopyTo(t, 4);
        t[8] = revision;
        Encoding.ASCII.GetBytes("UKTEST").CopyTo(t, 10);
        Encoding.ASCII.GetBytes("UKTABLES").CopyTo(t, 16);
        body.CopyTo(t, 36);
        t[9] = (byte)(-t.Sum(b => b) + (breakChecksum ? 1 : 0));
        return t;
    }

    private static byte[] Rsdp(byte revision, uint rsdt, ulong xsdt = 0, bool breakChecksum = false, bool breakExtendedChecksum = false)
    {
        var r = new byte[revision >= 2 ? 36 : 20];
        Encoding.ASCII.GetBytes("RSD PTR ").CopyTo(r, 0);
        Encoding.ASCII.GetBytes("UKTEST").CopyTo(r, 9);
        r[15] = revision;
        BitConverter.GetBytes(rsdt).CopyTo(r, 16);
        r[8] = (byte)(-r.Take(20).Sum(b => b) + (breakChecksum ? 1 : 0));
        if (revision >= 2)
        {
            BitConverter.GetBytes(36u).CopyTo(r, 20);
            BitConverter.GetBytes(xsdt).CopyTo(r, 24);
            r[32] = (byte)(-r.Sum(b => b) + (breakExtendedChecksum ? 1 : 0));
        }
        return r;
    }

    private static byte[] Pointers32(params uint[] addresses) => addresses.SelectMany(BitConverter.GetBytes).ToArray();
    private static byte[] Pointers64(params ulong[] addresses) => addresses.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    private static byte[] U16(ushort v) => BitConverter.GetBytes(v);
    private static byte[] U32(uint v) => BitConverter.GetBytes(v);
    private static byte[] U64(ulong v) => BitConverter.GetBytes(v);

    private static byte[] MadtBody(uint localApic, uint flags, params byte[][] entries) => Concat(U32(localApic), U32(flags), Concat(entries));
    private static byte[] LocalApicEntry(byte uid, byte apicId, uint flags) => Concat([0, 8, uid, apicId], U32(flags));
    private static byte[] IoApicEntry(byte id, uint address, uint gsiBase) => Concat([1, 12, id, 0], U32(address), U32(gsiBase));
    private static byte[] OverrideEntry(byte source, uint gsi, ushort flags, byte bus = 0) => Concat([2, 10, bus, source], U32(gsi), U16(flags));

    private static uint Signature(string s) => BitConverter.ToUInt32(Encoding.ASCII.GetBytes(s));

    // ---- RSDP ----

    [Fact]
    public void AnAcpi1RsdpGivesTheRsdtAndNoXsdt()
    {
        Put(0xE0000, Rsdp(0, rsdt: 0x100000));
        Assert.Null(Kernel.Devices.Acpi.Rsdp.Read(_memory + 0xE0000, 0xE0000, out var rsdp));
        Assert.Equal(0x100000UL, rsdp.RsdtAddress);
        Assert.Equal(0UL, rsdp.XsdtAddress);
        Assert.Equal(0xE0000UL, rsdp.Address);
    }

    [Fact]
    public void AnAcpi2RsdpGivesTheXsdt()
    {
        Put(0xE0000, Rsdp(2, rsdt: 0x100000, xsdt: 0x100100));
        Assert.Null(Kernel.Devices.Acpi.Rsdp.Read(_memory + 0xE0000, 0xE0000, out var rsdp));
        Assert.Equal(2, rsdp.Revision);
        Assert.Equal(0x100100UL, rsdp.XsdtAddress);
    }

    [Fact]
    public void RsdpChecksumsAreChecked()
    {
        Put(0xE0000, Rsdp(0, 0x100000, breakChecksum: true));
        Assert.Equal("the RSDP's checksum is wrong", Kernel.Devices.Acpi.Rsdp.Read(_memory + 0xE0000, 0xE0000, out _));
        Put(0xE0040, Rsdp(2, 0x100000, 0x100100, breakExtendedChecksum: true));
        Assert.Equal("the RSDP's extended checksum is wrong", Kernel.Devices.Acpi.Rsdp.Read(_memory + 0xE0040, 0xE0040, out _));
    }

    [Fact]
    public void TheScanLooksInTheEbdasFirstKibBeforeTheBiosArea()
    {
        Put(0x9FC00 + 0x30, Rsdp(0, 0x100000));
        Put(0xF0000, Rsdp(0, 0x100200));
        Assert.Equal(0x9FC30UL, Kernel.Devices.Acpi.Rsdp.Scan(View, 0x9FC00));
        // Past the EBDA's first KiB it is not looked for there.
        var empty = new byte[20];
        Put(0x9FC30, empty);
        Put(0x9FC00 + 0x400, Rsdp(0, 0x100000));
        Assert.Equal(0xF0000UL, Kernel.Devices.Acpi.Rsdp.Scan(View, 0x9FC00));
    }

    [Fact]
    public void TheScanSkipsBadCandidatesAndUnalignedOnes()
    {
        Put(0xE0010, Rsdp(0, 0x100000, breakChecksum: true));
        Put(0xE0028, Rsdp(0, 0x100000));                      // not on a 16-byte boundary
        Put(0xFFF00, Rsdp(2, 0x100000, 0x100100));
        Assert.Equal(0xFFF00UL, Kernel.Devices.Acpi.Rsdp.Scan(View, 0));   // no EBDA (a pointer outside 0x80000-0x9FFFF)
        Put(0xFFF00, new byte[36]);
        Assert.Equal(0UL, Kernel.Devices.Acpi.Rsdp.Scan(View, 0));
    }

    // ---- root tables ----

    private void PutMachine(bool breakXsdt = false, bool breakMadt = false)
    {
        // The tables QEMU's q35 has, at made-up addresses: RSDP -> XSDT and RSDT -> FACP, APIC, MCFG; FACP -> DSDT.
        Put(0x110000, Table("DSDT", 1, Encoding.ASCII.GetBytes("AML would be here")));
        var fadt = new byte[244 - 36];
        BitConverter.GetBytes(0x110000u).CopyTo(fadt, 40 - 36);
        BitConverter.GetBytes((ushort)9).CopyTo(fadt, 46 - 36);
        Put(0x111000, Table("FACP", 3, fadt));
        Put(0x112000, Table("APIC", 1, MadtBody(0xFEE00000, 1, LocalApicEntry(0, 0, 1), IoApicEntry(0, 0xFEC00000, 0),
                                                  OverrideEntry(0, 2, 0), OverrideEntry(9, 9, 0xD)), breakMadt));
        Put(0x113000, Table("MCFG", 1, Concat(new byte[8], U64(0xB0000000), U16(0), [0, 255], new byte[4])));
        Put(0x100000, Table("RSDT", 1, Pointers32(0x111000, 0x112000, 0x113000)));
        Put(0x100100, Table("XSDT", 1, Pointers64(0x111000, 0x112000, 0x113000), breakXsdt));
        Put(0xE0000, Rsdp(2, 0x100000, 0x100100));
    }

    [Fact]
    public void TheXsdtIsPreferredAndEveryTableIsFoundAndParsed()
    {
        PutMachine();
        var tables = AcpiTables.Load(View, 0xE0000);
        Assert.Null(tables.Problem);
        Assert.True(tables.RootIsXsdt);
        Assert.Equal(0x100100UL, tables.RootAddress);
        Assert.Equal(["FACP", "APIC", "MCFG", "DSDT"], tables.Tables.Take(tables.Count).Select(t => Encoding.ASCII.GetString(BitConverter.GetBytes(t.Signature))));
        Assert.All(tables.Tables.Take(tables.Count), t => Assert.Null(t.Problem));
        Assert.Equal(9, tables.Fadt.SciInterrupt);
        Assert.Equal(0x110000UL, tables.Fadt.Dsdt);
        Assert.Equal(0xFEE00000UL, tables.Madt.LocalApicAddress);
        Assert.Equal(0xB0000000UL, tables.Mcfg.EcamBase);
        Assert.Equal(3, tables.Find(Signature("DSDT")));
    }

    [Fact]
    public void AnXsdtWithAWrongChecksumGivesWayToTheRsdt()
    {
        PutMachine(breakXsdt: true);
        var tables = AcpiTables.Load(View, 0xE0000);
        Assert.False(tables.RootIsXsdt);
        Assert.Equal("has a wrong checksum", tables.XsdtProblem);
        Assert.Equal(0x100000UL, tables.RootAddress);
        Assert.NotNull(tables.Madt);
    }

    [Fact]
    public void ATableWithAWrongChecksumIsRefusedByNameAndTheOthersAreStillUsed()
    {
        PutMachine(breakMadt: true);
        var tables = AcpiTables.Load(View, 0xE0000);
        int madt = tables.Find(AcpiTables.MadtSignature);
        Assert.Equal("has a wrong checksum", tables.Tables[madt].Problem);
        Assert.Equal(0x112000UL, tables.Tables[madt].Address);
        Assert.Null(tables.Madt);
        Assert.NotNull(tables.Fadt);
        Assert.NotNull(tables.Mcfg);
    }

    [Fact]
    public void UnreachableAndImpossibleTablesAreRefused()
    {
        PutMachine();
        var bad = Table("BAD!", 1, []);
        BitConverter.GetBytes(10).CopyTo(bad, 4);   // shorter than a header
        Put(0x114000, bad);
        Put(0x100000, Table("RSDT", 1, Pointers32(0x114000, 0x7FFF_0000, 0x112000)));
        Put(0xE0000, Rsdp(0, 0x100000));
        var tables = AcpiTables.Load(View, 0xE0000);
        Assert.Equal("has an impossible length", tables.Tables[0].Problem);
        Assert.Equal("cannot be reached", tables.Tables[1].Problem);
        Assert.Null(tables.Tables[2].Problem);
        Assert.NotNull(tables.Madt);
    }

    [Fact]
    public void ABrokenRsdtLeavesNoTables()
    {
        PutMachine();
        Put(0x100000, Table("RSDT", 1, Pointers32(0x111000), breakChecksum: true));
        Put(0xE0000, Rsdp(0, 0x100000));
        var tables = AcpiTables.Load(View, 0xE0000);
        Assert.Equal("has a wrong checksum", tables.RsdtProblem);
        Assert.Equal(0, tables.Count);
        Put(0xE0000, Rsdp(0, 0x100000, breakChecksum: true));
        Assert.Equal("the RSDP's checksum is wrong", AcpiTables.Load(View, 0xE0000).Problem);
    }

    // ---- MADT ----

    private Madt ParseMadt(byte[] body)
    {
        Put(0x120000, Table("APIC", 4, body));
        return Madt.Parse(_memory + 0x120000, (uint)(36 + body.Length));
    }

    [Fact]
    public void MadtEntriesAreWalkedByTheirLengths()
    {
        var madt = ParseMadt(MadtBody(0xFEE00000, 1,
            LocalApicEntry(0, 0, 1), LocalApicEntry(1, 1, 0), LocalApicEntry(2, 2, 2),   // enabled, absent, online capable
            IoApicEntry(0, 0xFEC00000, 0), IoApicEntry(1, 0xFEC10000, 24),
            [0x7F, 6, 1, 2, 3, 4],                                                      // a type the kernel does not know: skipped
            OverrideEntry(0, 2, 0), OverrideEntry(9, 20, 0xF), OverrideEntry(5, 5, 0, bus: 1),
            Concat([5, 12, 0, 0], U64(0x1_FEE0_0000)),                                  // local APIC address override
            Concat([9, 16, 0, 0], U32(7), U32(1), U32(7))));                            // a local x2APIC
        Assert.Null(madt.Problem);
        Assert.True(madt.HasLegacyPics);
        Assert.Equal(0x1_FEE0_0000UL, madt.LocalApicAddress);
        Assert.Equal(3, madt.Processors);
        // The CPUs the kernel starts: the enabled ones, the x2APIC entry's 32-bit ID included; online-capable ones
        // (hot plug) are possible CPUs only.
        Assert.Equal([0u, 7u], madt.EnabledApicIds.Take(madt.EnabledCount));
        Assert.Equal(2, madt.IoApicCount);
        Assert.Equal((0xFEC10000UL, 24u), (madt.IoApics[1].Address, madt.IoApics[1].GsiBase));
        Assert.Equal(2, madt.OverrideCount);   // the non-ISA one is not an ISA override

        Assert.True(madt.FindOverride(0, out var timer));
        Assert.Equal(2u, timer.Gsi);
        Assert.False(timer.LevelTriggered(false));   // "conforms to the bus": ISA is edge, active high
        Assert.True(timer.LevelTriggered(true));
        Assert.True(madt.FindOverride(9, out var sci));
        Assert.Equal(20u, sci.Gsi);
        Assert.True(sci.LevelTriggered(false));
        Assert.True(sci.ActiveLow(false));
        Assert.False(madt.FindOverride(11, out _));
    }

    [Theory]
    [InlineData(0)]    // would never advance
    [InlineData(1)]    // shorter than an entry header
    [InlineData(40)]   // runs past the table
    [InlineData(8)]    // an I/O APIC entry needs 12
    public void AMadtEntryWithAWrongLengthEndsTheWalk(byte length)
    {
        var broken = IoApicEntry(1, 0xFEC10000, 24);
        broken[1] = length;
        var madt = ParseMadt(MadtBody(0xFEE00000, 0, IoApicEntry(0, 0xFEC00000, 0), broken, OverrideEntry(0, 2, 0)));
        Assert.Equal("a MADT entry has a wrong length", madt.Problem);
        Assert.Equal(1, madt.IoApicCount);
        Assert.Equal(0, madt.OverrideCount);
    }

    // ---- FADT ----

    [Fact]
    public void AnAcpi1FadtGivesThePm1BlocksAsIoPorts()
    {
        var body = new byte[116 - 36];
        void At(int offset, byte[] v) => v.CopyTo(body, offset - 36);
        At(40, U32(0x7FE0040)); At(46, U16(9)); At(48, U32(0xB2)); body[52 - 36] = 0xF1; body[53 - 36] = 0xF0;
        At(56, U32(0x600)); At(64, U32(0x604)); body[88 - 36] = 4; body[89 - 36] = 2;
        At(109, U16(3)); At(112, U32(1u << 10));   // RESET_REG_SUP, but a 1.0 table has no reset register
        Put(0x130000, Table("FACP", 1, body));
        var fadt = Fadt.Parse(_memory + 0x130000, 116);
        Assert.Equal(0x7FE0040UL, fadt.Dsdt);
        Assert.Equal(9, fadt.SciInterrupt);
        Assert.Equal((0xB2u, (byte)0xF1, (byte)0xF0), (fadt.SmiCommandPort, fadt.AcpiEnableValue, fadt.AcpiDisableValue));
        Assert.Equal((GenericAddress.SystemIo, (byte)32, 0x600UL), (fadt.Pm1aEvent.Space, fadt.Pm1aEvent.BitWidth, fadt.Pm1aEvent.Address));
        Assert.Equal((GenericAddress.SystemIo, (byte)16, 0x604UL), (fadt.Pm1aControl.Space, fadt.Pm1aControl.BitWidth, fadt.Pm1aControl.Address));
        Assert.False(fadt.Pm1bEvent.IsPresent);
        Assert.False(fadt.HasResetRegister);
        Assert.False(fadt.HardwareReduced);
        Assert.Equal(Fadt.BootArchitectureLegacyDevices | Fadt.BootArchitecture8042, fadt.BootArchitecture);
    }

    [Fact]
    public void ExtendedFadtFieldsWinAndHardwareReducedOnesAreRead()
    {
        var body = new byte[276 - 36];
        void At(int offset, byte[] v) => v.CopyTo(body, offset - 36);
        static byte[] Gas(byte space, byte width, ulong address) => Concat([space, width, 0, 1], U64(address));
        At(40, U32(0x1000)); At(56, U32(0x600)); body[88 - 36] = 4;
        At(112, U32((1u << 10) | (1u << 20)));
        At(116, Gas(0, 8, 0xFEA00202)); body[128 - 36] = 0x42;
        At(140, U64(0x1_0000_2000));                       // X_DSDT beats DSDT
        At(148, Gas(0, 32, 0xFEA00000));                   // X_PM1a_EVT_BLK beats PM1a_EVT_BLK
        At(244, Gas(0, 8, 0xFEA00200)); At(256, Gas(0, 8, 0xFEA00201));
        Put(0x130000, Table("FACP", 5, body));
        var fadt = Fadt.Parse(_memory + 0x130000, 276);
        Assert.True(fadt.HardwareReduced);
        Assert.Equal(0x1_0000_2000UL, fadt.Dsdt);
        Assert.Equal((GenericAddress.SystemMemory, 0xFEA00000UL), (fadt.Pm1aEvent.Space, fadt.Pm1aEvent.Address));
        Assert.True(fadt.HasResetRegister);
        Assert.Equal((GenericAddress.SystemMemory, 0xFEA00202UL, (byte)0x42), (fadt.ResetRegister.Space, fadt.ResetRegister.Address, fadt.ResetValue));
        Assert.Equal(0xFEA00200UL, fadt.SleepControl.Address);
        Assert.Equal(0xFEA00201UL, fadt.SleepStatus.Address);
    }

    // ---- MCFG ----

    [Fact]
    public void McfgGivesTheFirstSegmentZeroRange()
    {
        byte[] Entry(ulong address, ushort segment, byte start, byte end) => Concat(U64(address), U16(segment), [start, end], new byte[4]);
        byte[] body = Concat(new byte[8], Entry(0xC0000000, 1, 0, 255), Entry(0xB0000000, 0, 0, 63), Entry(0xA0000000, 0, 64, 127));
        Put(0x140000, Table("MCFG", 1, body));
        var mcfg = Mcfg.Parse(_memory + 0x140000, (uint)(36 + body.Length));
        Assert.Equal((0xB0000000UL, 0, 63, 3), (mcfg.EcamBase, mcfg.StartBus, mcfg.EndBus, mcfg.Entries));
        Put(0x141000, Table("MCFG", 1, new byte[8]));
        Assert.Null(Mcfg.Parse(_memory + 0x141000, 44));
    }
}
