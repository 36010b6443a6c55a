using Unikernel.Linker.Model;
using static Unikernel.Linker.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>Gives every surviving COMMON symbol a home in one synthetic NOBITS section that lands in .bss.</summary>
public static class CommonSymbolAllocator
{
    public const string SectionName = "COMMON";

    public static InputSection? Allocate(SymbolTable symbols)
    {
        ulong size = 0;
        ulong alignment = 1;
        var commons = new List<Symbol>();
        foreach (var symbol in symbols.MaybeUndefinedOrCommon)
        {
            if (symbol.Kind != SymbolKind.Common)
                continue;
            // For SHN_COMMON, st_value is the required alignment.
            ulong symbolAlignment = Math.Max(symbol.Value, 1);
            size = SectionLayout.AlignUp(size, symbolAlignment);
            symbol.Value = size;
            size += symbol.Size;
            alignment = Math.Max(alignment, symbolAlignment);
            commons.Add(symbol);
        }
        if (commons.Count == 0)
            return null;

        var section = new InputSection(null, SectionName, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, alignment, size, null);
        foreach (var symbol in commons)
        {
            symbol.Kind = SymbolKind.Section;
            symbol.Section = section;
        }
        return section;
    }
}
