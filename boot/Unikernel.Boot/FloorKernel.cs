using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// The benchmarks' reference point: the least a PVH kernel can do -- write one byte to the serial
/// port and power off through isa-debug-exit. Booting it measures the VMM's own cost, which no
/// kernel can go below.
/// </summary>
public static class FloorKernel
{
    public const string EntrySymbol = "floor_pvh_entry";

    public static BootObject Build()
    {
        var a = new Assembler(32);
        a.mov(dx, 0x3F8);
        a.mov(al, (byte)'!');
        a.@out(dx, al);
        a.mov(dx, 0xF4);
        a.mov(al, 0);
        a.@out(dx, al);
        var halt = a.CreateLabel();
        a.Label(ref halt);
        a.hlt();
        a.jmp(halt);

        var writer = new ByteCodeWriter();
        a.Assemble(writer, 0);
        byte[] code = writer.Bytes.ToArray();

        var floor = new BootObject();
        floor.Sections.Add(BootData.BuildXenNote(EntrySymbol));
        floor.Sections.Add(new SectionImage
        {
            Name = BootMemoryLayout.TextSection,
            Flavor = SectionFlavor.Code,
            Alignment = BootMemoryLayout.TextAlignment,
            Bytes = code,
        });
        floor.Symbols.Add(new DefinedSymbol(EntrySymbol, BootMemoryLayout.TextSection, 0, (ulong)code.Length, SymbolKind.Function, IsGlobal: true));
        return floor;
    }

}
