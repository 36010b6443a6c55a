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

    /// <summary>
    /// The names GNU ld's default script provides for a static executable, each defined only when the
    /// program refers to it and does not define it itself (PROVIDE semantics), plus <c>__start_X</c> /
    /// <c>__stop_X</c> for referenced C-identifier sections. A missing array (no .init_array input) gets
    /// an empty range.
    /// </summary>
    public static LinkerDefinedSymbols DefineForExecutable(SymbolTable symbols, SectionLayout layout, GlobalOffsetTable got,
                                                           IReadOnlyList<(string Name, string Target)> aliases)
    {
        var result = new LinkerDefinedSymbols();
        foreach (var (name, targetName) in aliases)
        {
            if (symbols.Find(name) is not { IsDefined: false })
                continue;
            if (symbols.Find(targetName) is not { IsDefined: true } target)
                throw new LinkerException($"--defsym {name}={targetName}: '{targetName}' is not defined by any input", symbol: targetName);
            result.Add(symbols, name, _ => target.Address);
        }
        void Provide(string name, Func<SectionLayout, ulong> value)
        {
            if (symbols.Find(name) is { IsDefined: false })
                result.Add(symbols, name, value);
        }

        foreach (string array in new[] { "preinit_array", "init_array", "fini_array" })
        {
            var output = layout.Find("." + array);
            Provide($"__{array}_start", l => output?.Address ?? DataSegmentStart(l));
            Provide($"__{array}_end", l => output?.End ?? DataSegmentStart(l));
        }
        foreach (string name in new[] { "__ehdr_start", "__executable_start" })
            Provide(name, l => l.ImageStart);
        // gcc's crtbegin.o defines it; C++ code passes it to __cxa_atexit only as a key naming the module
        // its destructors belong to. A static executable is its own and only module, so its start will do
        // -- and the app's link needs no gcc file.
        Provide("__dso_handle", l => l.ImageStart);
        foreach (string name in new[] { "_etext", "etext", "__etext" })
            Provide(name, l => SegmentEnd(l, SegmentKind.Text, memory: true));
        foreach (string name in new[] { "_edata", "edata" })
            Provide(name, l => SegmentEnd(l, SegmentKind.Data, memory: false));
        Provide("__bss_start", l => l.Find(".bss")?.Address ?? SegmentEnd(l, SegmentKind.Data, memory: false));
        foreach (string name in new[] { "_end", "end" })
            Provide(name, l => SegmentEnd(l, SegmentKind.Data, memory: true));
        if (symbols.Find("_GLOBAL_OFFSET_TABLE_") is { IsDefined: false })
        {
            got.IsReferenced = true;
            Provide("_GLOBAL_OFFSET_TABLE_", _ => got.Section.Address);
        }

        foreach (var symbol in symbols.Symbols.ToArray())
        {
            if (symbol.IsDefined)
                continue;
            string? section = symbol.Name.StartsWith(StartPrefix, StringComparison.Ordinal) ? symbol.Name[StartPrefix.Length..]
                : symbol.Name.StartsWith(StopPrefix, StringComparison.Ordinal) ? symbol.Name[StopPrefix.Length..]
                : null;
            if (section is null || !IsCIdentifier(section))
                continue;
            var output = layout.Find(section);
            bool start = symbol.Name.StartsWith(StartPrefix, StringComparison.Ordinal);
            result.Add(symbols, symbol.Name, l => output is null ? DataSegmentStart(l) : start ? output.Address : output.End);
        }
        return result;
    }

    private static ulong DataSegmentStart(SectionLayout layout) =>
        layout.Segments.Find(segment => segment.Kind == SegmentKind.Data)?.VirtualAddress ?? layout.ImageStart;

    private static ulong SegmentEnd(SectionLayout layout, SegmentKind kind, bool memory) =>
        layout.Segments.Find(segment => segment.Kind == kind) is { } segment
            ? segment.VirtualAddress + (memory ? segment.MemorySize : segment.FileSize)
            : layout.ImageStart;

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
