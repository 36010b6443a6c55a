using Unikernel.Linker.Model;
using static Unikernel.Linker.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>
/// Pass 4: the symbols the boot code reads to find the image's parts (docs/boot-abi.md). Like ld's
/// PROVIDE, an input's own definition takes precedence.
/// </summary>
public sealed class LinkerDefinedSymbols
{
    public const string ImageStart = "__image_start";
    public const string ImageEnd = "__image_end";
    public const string TextStart = "__text_start";
    public const string TextEnd = "__text_end";
    private const string StartPrefix = "__start_";
    private const string StopPrefix = "__stop_";

    private readonly List<(Symbol Symbol, Func<SectionLayout, ulong> Value)> _defined = [];

    /// <summary>Before relocation scanning, so that references to these names count as defined.</summary>
    public static LinkerDefinedSymbols Define(SymbolTable symbols, SectionLayout layout)
    {
        var result = new LinkerDefinedSymbols();
        result.Add(symbols, ImageStart, l => l.ImageStart);
        result.Add(symbols, ImageEnd, l => l.ImageEnd);
        result.Add(symbols, TextStart, l => TextSegment(l)?.VirtualAddress ?? l.ImageStart);
        result.Add(symbols, TextEnd, l => TextSegment(l) is { } text ? text.VirtualAddress + text.MemorySize : l.ImageStart);

        foreach (var section in layout.Sections)
        {
            if (!IsCIdentifier(section.Name))
                continue;
            result.Add(symbols, StartPrefix + section.Name, _ => section.Address);
            result.Add(symbols, StopPrefix + section.Name, _ => section.End);
        }

        // A reference to __start_X for a section no input provides still links: an empty range.
        // Snapshot the list: Add may append to the table.
        foreach (var symbol in symbols.Symbols.ToArray())
        {
            if (symbol.IsDefined)
                continue;
            if (symbol.Name.StartsWith(StartPrefix, StringComparison.Ordinal) && IsCIdentifier(symbol.Name[StartPrefix.Length..])
                || symbol.Name.StartsWith(StopPrefix, StringComparison.Ordinal) && IsCIdentifier(symbol.Name[StopPrefix.Length..]))
            {
                result.Add(symbols, symbol.Name, l => l.ImageEnd);
            }
        }
        return result;
    }

    private static OutputSegment? TextSegment(SectionLayout layout) =>
        layout.Segments.Find(segment => segment.Kind == SegmentKind.Text);

    private void Add(SymbolTable symbols, string name, Func<SectionLayout, ulong> value)
    {
        var symbol = symbols.GetOrAdd(name, STB_GLOBAL, STT_NOTYPE);
        if (symbol.IsDefined)
            return;
        symbol.Kind = SymbolKind.LinkerDefined;
        symbol.Binding = STB_GLOBAL;
        _defined.Add((symbol, value));
    }

    /// <summary>After layout.</summary>
    public void AssignValues(SectionLayout layout)
    {
        foreach (var (symbol, value) in _defined)
            symbol.Value = value(layout);
    }

    public static bool IsCIdentifier(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            return false;
        foreach (char c in name)
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
                return false;
        return true;
    }
}
