using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;

namespace Unikernel.Linker.Relocations;

/// <summary>
/// Between resolution and layout: validates every relocation that will be applied (supported type,
/// in bounds, target defined and live) and decides how GOT-relative ones are satisfied, since GOT
/// slots change the layout. Walks files and sections in order, so an undefined symbol is reported at
/// its first reference.
/// </summary>
public static class RelocationScanner
{
    private const byte MovLoadOpcode = 0x8b;
    private const byte LeaOpcode = 0x8d;

    public static void Scan(IReadOnlyList<InputFile> files, GlobalOffsetTable got)
    {
        foreach (var file in files)
        {
            foreach (var section in file.Sections)
            {
                if (section is not { IsLive: true } || section.Relocations.Length == 0)
                    continue;
                var relocations = section.Relocations;
                for (int i = 0; i < relocations.Length; i++)
                    ScanOne(file, section, ref relocations[i], got);
            }
        }
    }

    private static void ScanOne(InputFile file, InputSection section, ref Relocation relocation, GlobalOffsetTable got)
    {
        var symbol = file.Symbols[relocation.SymbolIndex];
        ulong offset = relocation.Offset;
        LinkerException Error(string problem) =>
            new(problem, file: file.Path, section: section.Name, offset: offset, symbol: symbol.DisplayName);

        // Checked before the type so that TLS relocations (TPOFF32, TLSGD...) get the explanation.
        if (symbol.Type == ElfConstants.STT_TLS || symbol is { Kind: SymbolKind.Section, Section.IsThreadLocal: true })
            throw Error(SectionClassifier.TlsNotSupported);

        uint type = relocation.Type;
        if (!X86_64RelocationType.IsSupported(type))
            throw Error($"unsupported relocation {X86_64RelocationType.Name(type)}");
        if (type == X86_64RelocationType.None)
            return;

        int width = X86_64RelocationType.Width(type);
        if (section.Data is null)
            throw Error("relocation in a section without contents (SHT_NOBITS)");
        if (relocation.Offset > (ulong)section.Data.Length || (ulong)section.Data.Length - relocation.Offset < (ulong)width)
            throw Error($"relocation {X86_64RelocationType.Name(type)} extends past the end of the section");

        if (symbol.Kind == SymbolKind.Undefined && !symbol.IsWeak)
            throw Error("undefined symbol");
        if (symbol.IsInDroppedSection && section.Name != ".eh_frame")
        {
            // .eh_frame entries for dropped COMDAT code are left pointing at 0 rather than removed (v1).
            throw Error($"relocation refers to discarded section {symbol.Section!.Name}");
        }

        if (X86_64RelocationType.IsGotRelative(type))
        {
            relocation.GotAction = CanRelaxToLea(section.Data, relocation, symbol)
                ? GotAction.RelaxToLea
                : GotAction.UseGotSlot;
            if (relocation.GotAction == GotAction.UseGotSlot)
                got.AddSlotFor(symbol);
        }
    }

    /// <summary>
    /// The psABI allows rewriting <c>mov reg, [rip+sym@GOTPCREL]</c> into <c>lea reg, [rip+sym]</c> only for
    /// the *X relocation types, whose instruction is known to be relaxable. The target must be within
    /// ±2 GiB of the code: true for anything in the image, not for an arbitrary absolute symbol.
    /// </summary>
    private static bool CanRelaxToLea(byte[] data, in Relocation relocation, Symbol symbol)
    {
        if (relocation.Type == X86_64RelocationType.GotPCRel || relocation.Offset < 2)
            return false;
        if (symbol.Kind is SymbolKind.Absolute && relocation.SymbolIndex != 0)
            return false;
        byte opcode = data[relocation.Offset - 2];
        byte modrm = data[relocation.Offset - 1];
        bool ripRelative = (modrm & 0xC7) == 0x05;
        return opcode == MovLoadOpcode && ripRelative;
    }

    public static void RewriteMovToLea(byte[] data, ulong offset) => data[offset - 2] = LeaOpcode;
}
