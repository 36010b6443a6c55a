using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Resolution;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// The <c>linker symbols</c> pass (their values come in <c>addresses</c>): the symbols the boot code reads to find the
/// image's parts (docs/boot-abi.md). Like ld's PROVIDE, an input's own definition takes precedence. Names that describe
/// the image (<c>__image_start</c>, <c>_end</c>, ...) are image-wide: every unit referring to them gets the same value.
/// <c>__start_X</c> / <c>__stop_X</c> are per link unit: they bracket the unit's own pieces of X, which the layout
/// keeps together.
/// </summary>
public sealed class LinkerDefinedSymbols
{
    public const string ImageStart = "__image_start";
    public const string ImageEnd = "__image_end";
    public const string TextStart = "__text_start";
    public const string TextEnd = "__text_end";

    // The app embedded with --app (docs/boot-abi.md, uk_boot_info's App* fields). Absolute values known
    // before layout, 0 without an app: boot.o always refers to them, so every kernel image must define them.
    public const string AppEntry = "__uk_app_entry";
    public const string AppProgramHeaders = "__uk_app_phdr";
    public const string AppProgramHeaderCount = "__uk_app_phnum";
    public const string AppStart = "__uk_app_start";
    public const string AppEnd = "__uk_app_end";
    // Where the compressed payload is loaded (uk_boot_info's PayloadStart): the first page above the app and the segment
    // after it, or 0 for an image the kernel need not expand (--no-compress, no app).
    public const string PayloadStart = "__uk_payload_start";
    private const string StartPrefix = "__start_";
    private const string StopPrefix = "__stop_";

    private readonly List<(Symbol Symbol, Func<SectionLayout, ulong> Value)> _defined = [];

    /// <summary>Before relocation scanning, so that references to these names count as defined.</summary>
    /// <param name="app">The app given with --app, or null.</param>
    /// <param name="compress">The image's app and tables travel compressed (LinkOptions.Compress).</param>
    public static LinkerDefinedSymbols Define(SymbolTable symbols, SectionLayout layout, Input.AppExecutable? app = null,
        bool compress = false)
    {
        var result = new LinkerDefinedSymbols();
        result.AddImageWide(symbols, ImageStart, l => l.ImageStart, always: true);
        result.AddImageWide(symbols, ImageEnd, l => l.ImageEnd, always: true);
        result.AddImageWide(symbols, TextStart, l => TextSegment(l)?.VirtualAddress ?? l.ImageStart, always: true);
        result.AddImageWide(symbols, TextEnd, l => TextSegment(l) is { } text ? text.VirtualAddress + text.MemorySize : l.ImageStart,
            always: true);
        result.AddImageWide(symbols, AppEntry, _ => app?.Entry ?? 0, always: true);
        result.AddImageWide(symbols, AppProgramHeaders, _ => app?.ProgramHeaders ?? 0, always: true);
        result.AddImageWide(symbols, AppProgramHeaderCount, _ => app?.ProgramHeaderCount ?? 0, always: true);
        result.AddImageWide(symbols, AppStart, _ => app?.Start ?? 0, always: true);
        result.AddImageWide(symbols, AppEnd, _ => app?.End ?? 0, always: true);
        result.AddImageWide(symbols, PayloadStart, l => compress && app is not null ? PayloadAddress(l, app) : 0, always: true);

        bool singleUnit = symbols.Units.Count == 1;
        foreach (var section in layout.Sections)
        {
            if (!IsCIdentifier(section.Name))
                continue;
            foreach (var unit in symbols.Units)
            {
                if (!section.Inputs.Exists(input => input.File?.Unit == unit))
                    continue;
                result.Add(symbols, unit, StartPrefix + section.Name, _ => UnitRange(section, unit, singleUnit).Start);
                result.Add(symbols, unit, StopPrefix + section.Name, _ => UnitRange(section, unit, singleUnit).End);
            }
            // The linker's own tables (uk_ksyms) belong to no unit: the boot code finds them image-wide.
            if (section.Inputs.Exists(input => input.File is null))
            {
                result.AddImageWide(symbols, StartPrefix + section.Name, _ => section.Address, always: true);
                result.AddImageWide(symbols, StopPrefix + section.Name, _ => section.End, always: true);
            }
        }

        // A reference to __start_X for a section no input of the unit provides still links: an empty range.
        foreach (var symbol in symbols.MaybeUndefinedOrCommon.ToArray())
            if (!symbol.IsDefined && symbol.Unit is not null && BoundarySection(symbol.Name) is not null)
                result.Define(symbol, l => l.ImageEnd);
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
            // Per unit: each unit's reference means the target as that unit sees it.
            foreach (var unit in symbols.Units)
            {
                if (symbols.Find(unit, name) is not { IsDefined: false } alias)
                    continue;
                if (symbols.Find(unit, targetName) is not { IsDefined: true } target)
                    throw new LinkerException($"--defsym {name}={targetName}: '{targetName}' is not defined by any input",
                        symbol: targetName, unit: unit.DiagnosticName);
                result.Define(alias, _ => target.Address);
            }
        }
        void Provide(string name, Func<SectionLayout, ulong> value) => result.AddImageWide(symbols, name, value, always: false);

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
        if (symbols.Units.Any(unit => symbols.Find(unit, "_GLOBAL_OFFSET_TABLE_") is { IsDefined: false }))
        {
            got.IsReferenced = true;
            Provide("_GLOBAL_OFFSET_TABLE_", _ => got.Section.Address);
        }

        bool singleUnit = symbols.Units.Count == 1;
        foreach (var symbol in symbols.MaybeUndefinedOrCommon.ToArray())
        {
            if (symbol.IsDefined || symbol.Unit is not { } unit || BoundarySection(symbol.Name) is not { } section)
                continue;
            var output = layout.Find(section);
            bool start = symbol.Name.StartsWith(StartPrefix, StringComparison.Ordinal);
            result.Define(symbol, l =>
                output is not null && (singleUnit || output.RangeOf(unit) is not null)
                    ? start ? UnitRange(output, unit, singleUnit).Start : UnitRange(output, unit, singleUnit).End
                    : DataSegmentStart(l));
        }
        return result;
    }

    /// <summary>X for <c>__start_X</c> or <c>__stop_X</c> with X a C identifier, else null.</summary>
    private static string? BoundarySection(string name)
    {
        string? section = name.StartsWith(StartPrefix, StringComparison.Ordinal) ? name[StartPrefix.Length..]
            : name.StartsWith(StopPrefix, StringComparison.Ordinal) ? name[StopPrefix.Length..]
            : null;
        return section is not null && IsCIdentifier(section) ? section : null;
    }

    /// <summary>A unit's part of an output section; with a single unit, the whole section as before units.</summary>
    private static (ulong Start, ulong End) UnitRange(OutputSection section, LinkUnit unit, bool singleUnit) =>
        singleUnit ? (section.Address, section.End) : section.RangeOf(unit) ?? (section.End, section.End);

    private static ulong DataSegmentStart(SectionLayout layout) =>
        layout.Segments.Find(segment => segment.Kind == SegmentKind.Data)?.VirtualAddress ?? layout.ImageStart;

    private static ulong SegmentEnd(SectionLayout layout, SegmentKind kind, bool memory) =>
        layout.Segments.Find(segment => segment.Kind == kind) is { } segment
            ? segment.VirtualAddress + (memory ? segment.MemorySize : segment.FileSize)
            : layout.ImageStart;

    /// <summary>The first page above the app and the detached segment after it: memory no loader puts anything of the
    /// image into, free once the kernel has expanded the payload.</summary>
    public static ulong PayloadAddress(SectionLayout layout, Input.AppExecutable app)
    {
        ulong end = app.End;
        foreach (var segment in layout.Segments)
            end = Math.Max(end, segment.VirtualAddress + segment.MemorySize);
        return SectionLayout.AlignUp(end, SectionLayout.PageSize);
    }

    private static OutputSegment? TextSegment(SectionLayout layout) =>
        layout.Segments.Find(segment => segment.Kind == SegmentKind.Text);

    /// <summary>Defines <paramref name="name"/> in one namespace (a unit's, or the image's for null), unless an
    /// input defines it there.</summary>
    private void Add(SymbolTable symbols, LinkUnit? unit, string name, Func<SectionLayout, ulong> value)
    {
        var symbol = symbols.GetOrAdd(unit, name, STB_GLOBAL, STT_NOTYPE);
        if (!symbol.IsDefined)
            Define(symbol, value);
    }

    /// <summary>Defines an image-wide name in every unit that refers to it without defining it; each unit keeps
    /// its own symbol (so no slots need rewriting), all with one value and the unqualified output name.
    /// <paramref name="always"/>: also when no unit mentions it (the boot ABI's names are always in .symtab).</summary>
    private void AddImageWide(SymbolTable symbols, string name, Func<SectionLayout, ulong> value, bool always)
    {
        bool mentioned = false;
        foreach (var unit in symbols.Units)
        {
            if (symbols.Find(unit, name) is not { } symbol)
                continue;
            mentioned = true;
            if (symbol.IsDefined)
                continue;
            Define(symbol, value);
            symbol.Unit = null;
        }
        if (!mentioned && always)
            Add(symbols, null, name, value);
    }

    private void Define(Symbol symbol, Func<SectionLayout, ulong> value)
    {
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
