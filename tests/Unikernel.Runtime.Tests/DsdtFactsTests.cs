using System.Text;
using Kernel.Devices.Acpi;

namespace Unikernel.Runtime.Tests;

// The kernel's pattern reader of the DSDT's AML (runtime/Kernel/Devices/Acpi/DsdtFacts.cs) on AML assembled here after
// ACPI 6.5 chapter 20 (NameOp, PackageOp and PkgLength, integer prefixes, OpRegionOp) and 6.4.3.6 (the Extended
// Interrupt Descriptor), in the shapes QEMU's pc, q35 and microvm DSDTs use; the boot tests read the real ones.
public sealed unsafe class DsdtFactsTests
{
    private static DsdtFacts Read(params byte[][] parts)
    {
        byte[] aml = parts.SelectMany(p => p).ToArray();
        fixed (byte* p = aml) return DsdtFacts.Read(p, (uint)aml.Length);
    }

    private static byte[] A(string text) => Encoding.ASCII.GetBytes(text);
    private static byte[] B(params byte[] bytes) => bytes;

    // Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero }): QEMU's pc and q35 (PIIX4 and ICH9 take SLP_TYP 0 as soft-off).
    private static readonly byte[] QemuS5 = [0x08, .. Encoding.ASCII.GetBytes("_S5_"), 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00];

    [Fact]
    public void SoftOffTypeIsTheFirstElementOfS5()
    {
        Assert.Equal(0, Read(B(0x10, 0x05), QemuS5, B(0x5B, 0x82)).SoftOffSleepType);
        Assert.Equal(5, Read(B(0x08, 0x5C), A("_S5_"), B(0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00)).SoftOffSleepType);
        Assert.Equal(1, Read(B(0x08), A("_S5_"), B(0x12, 0x04, 0x02, 0x01, 0x01)).SoftOffSleepType);
        // A two-byte PkgLength (lead byte 0x4n: one more byte follows).
        Assert.Equal(7, Read(B(0x08), A("_S5_"), B(0x12, 0x40, 0x01, 0x04, 0x0A, 0x07, 0x00, 0x00, 0x00)).SoftOffSleepType);
    }

    [Fact]
    public void SoftOffIsUnknownWithoutAnS5NameOrAPackage()
    {
        Assert.Equal(-1, Read(A("no sleep states here")).SoftOffSleepType);
        // _S5_ used as a reference (a method call's argument), not declared with NameOp.
        Assert.Equal(-1, Read(B(0x70), A("_S5_"), B(0x12, 0x06, 0x04, 0x00)).SoftOffSleepType);
        // Declared, but as a method, not a package; and a package cut off by the table's end.
        Assert.Equal(-1, Read(B(0x08), A("_S5_"), B(0x14, 0x06)).SoftOffSleepType);
        Assert.Equal(-1, Read(B(0x08), A("_S5_"), B(0x12, 0x06)).SoftOffSleepType);
        // An element this reader does not decode (a name reference) is "unknown", not a guess.
        Assert.Equal(-1, Read(B(0x08), A("_S5_"), B(0x12, 0x06, 0x04), A("SLPT")).SoftOffSleepType);
    }

    // microvm: Device (GED) { Name (_HID, "ACPI0013") Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer,
    // Edge, ActiveHigh, Exclusive) { 9 } }) OperationRegion (EREG, SystemMemory, 0xFEA00000, 0x04) ... }
    private static readonly byte[] MicrovmGed =
    [
        0x5B, 0x82, 0x40, 0x05, .. Encoding.ASCII.GetBytes("GED_"),
        0x08, .. Encoding.ASCII.GetBytes("_HID"), 0x0D, .. Encoding.ASCII.GetBytes("ACPI0013"), 0x00,
        0x08, .. Encoding.ASCII.GetBytes("_CRS"), 0x11, 0x0E, 0x0A, 0x0B, 0x89, 0x06, 0x00, 0x03, 0x01, 0x09, 0x00, 0x00, 0x00, 0x79, 0x00,
        0x5B, 0x80, .. Encoding.ASCII.GetBytes("EREG"), 0x00, 0x0C, 0x00, 0x00, 0xA0, 0xFE, 0x0A, 0x04,
    ];

    [Fact]
    public void GedRegisterAndInterruptComeFromItsDevice()
    {
        DsdtFacts facts = Read(QemuS5, MicrovmGed);
        Assert.Equal(0xFEA00000UL, facts.GedEventSelector);
        Assert.True(facts.GedInterruptFound);
        Assert.Equal(9u, facts.GedInterrupt);
        Assert.True(facts.GedEdgeTriggered);
        Assert.False(facts.GedActiveLow);
    }

    [Fact]
    public void GedFlagsAndAQWordRegionAreRead()
    {
        byte[] ged = (byte[])MicrovmGed.Clone();
        int flags = Array.IndexOf(ged, (byte)0x89) + 3;
        ged[flags] = 0x05;   // consumer, level, active low
        byte[] region = [0x5B, 0x80, .. Encoding.ASCII.GetBytes("EREG"), 0x00, 0x0E, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x0A, 0x04];
        DsdtFacts facts = Read(ged[..^13], region);
        Assert.False(facts.GedEdgeTriggered);
        Assert.True(facts.GedActiveLow);
        Assert.Equal(0x1_0000_0000UL, facts.GedEventSelector);
    }

    [Fact]
    public void NoGedOnAMachineWithFixedHardware()
    {
        // pc's DSDT has interrupts in _CRS of other devices, but no ACPI0013 and no EREG region.
        DsdtFacts facts = Read(QemuS5, B(0x08), A("_HID"), B(0x0C, 0x41, 0xD0, 0x0A, 0x03), B(0x89, 0x06, 0x00, 0x03, 0x01, 0x04, 0, 0, 0));
        Assert.False(facts.GedInterruptFound);
        Assert.Equal(0UL, facts.GedEventSelector);
        // A region named EREG in I/O space (RegionSpace 1) is not the GED's.
        Assert.Equal(0UL, Read(B(0x5B, 0x80), A("EREG"), B(0x01, 0x0C, 0, 0, 0xA0, 0xFE, 0x0A, 0x04)).GedEventSelector);
    }
}
