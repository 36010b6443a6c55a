using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Resolution;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Synthetic;

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
            // The parser checked it is a power of two of at most 4 GiB; the sizes are bounded here, so nothing wraps.
            ulong symbolAlignment = Math.Max(symbol.Value, 1);
            size = SectionLayout.AlignUp(size, symbolAlignment);
            if (symbol.Size > SectionLayout.AddressLimit - size)
                throw new LinkerException($"COMMON symbol of 0x{symbol.Size:x} bytes does not fit in the address space " +
                    $"(0x{SectionLayout.AddressLimit:x}) after 0x{size:x} bytes of others", file: symbol.DefinedIn?.Path,
                    section: SectionName, symbol: symbol.Name);
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
