namespace Unikernel.Boot;

/// <summary>Builds the whole of boot.o: assembles .text.boot and adds the data sections.</summary>
public static class BootStub
{
    /// <summary>
    /// The 64-bit fragment comes first so that the 32-bit entry, assembled second, knows where the
    /// long-mode entry landed (the two bitnesses cannot share Iced labels). The interrupt stubs open
    /// the section, so they are 16-byte aligned, and uk_isr_common follows them directly, as their
    /// hand-written jumps assume.
    /// </summary>
    public static readonly CodeFragment[] TextFragments =
    {
        new("long mode", 64, e =>
        {
            InterruptStubs.Emit(e);
            SyscallEntry.Emit(e);
            LongModeInit.Emit(e);
            RuntimeShims.Emit(e);
            CpuHelpers.Emit(e);
            ExtendedStateHelpers.Emit(e);
            ApTrampoline.Emit(e);
        }),
        new("pvh entry", 32, PvhEntry.Emit),
    };

    public static BootObject Build()
    {
        var text = TextAssembler.Assemble(TextFragments);
        CheckInterruptStubPlacement(text);

        var textSection = new SectionImage
        {
            Name = BootMemoryLayout.TextSection,
            Flavor = SectionFlavor.Code,
            Alignment = BootMemoryLayout.TextAlignment,
            Bytes = text.Bytes,
        };
        textSection.Relocations.AddRange(text.Relocations);

        var boot = new BootObject();
        boot.Sections.Add(BootData.BuildXenNote());
        boot.Sections.Add(textSection);
        boot.Sections.Add(BootData.BuildDataSection());
        boot.Sections.Add(BootData.BuildBssSection());
        boot.Symbols.AddRange(text.Functions);
        boot.Symbols.AddRange(BootData.DataSymbols());
        boot.Symbols.AddRange(BootData.BssSymbols());
        return boot;
    }

    private static void CheckInterruptStubPlacement(AssembledText text)
    {
        var stubs = text.Functions.Single(f => f.Name == InterruptStubs.StubsSymbol);
        var common = text.Functions.Single(f => f.Name == InterruptStubs.CommonSymbol);
        const int expectedSize = DescriptorTables.IdtVectors * InterruptStubs.StubSize;
        if (stubs.Size != expectedSize || common.Offset != stubs.Offset + expectedSize)
            throw new InvalidOperationException(
                $"interrupt stubs are {stubs.Size} bytes at 0x{stubs.Offset:X}, uk_isr_common at 0x{common.Offset:X}; expected {expectedSize} bytes directly followed by uk_isr_common");
    }
}
