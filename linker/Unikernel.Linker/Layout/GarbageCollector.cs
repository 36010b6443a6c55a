using Unikernel.Linker.Model;
using Unikernel.Linker.Resolution;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>
/// --gc-sections: marks every input section reachable through relocations from the roots and drops the
/// rest. Roots: the entry point's section; what the C runtime runs without a reference (.init, .fini,
/// the constructor/destructor arrays); notes; NativeAOT's <c>__modules</c>; and every section whose name
/// is X when the program refers to <c>__start_X</c> or <c>__stop_X</c> (ld's rule; per link unit, since the
/// name means the unit's own X pieces); and each unit's exports, which another unit may call even when
/// nothing in the image does yet. <c>.eh_frame</c> is
/// not a root: an FDE is kept when its function is, and then keeps its LSDA and personality alive.
/// </summary>
public static class GarbageCollector
{
    private const string StartPrefix = "__start_";
    private const string StopPrefix = "__stop_";

    public static void Run(IReadOnlyList<InputFile> files, SymbolTable symbols, Symbol entry, EhFrameSections frames)
    {
        var boundaryNames = new HashSet<(LinkUnit?, string)>();
        foreach (var symbol in symbols.MaybeUndefinedOrCommon)
        {
            if (symbol.IsDefined)
                continue;
            if (symbol.Name.StartsWith(StartPrefix, StringComparison.Ordinal))
                boundaryNames.Add((symbol.Unit, symbol.Name[StartPrefix.Length..]));
            else if (symbol.Name.StartsWith(StopPrefix, StringComparison.Ordinal))
                boundaryNames.Add((symbol.Unit, symbol.Name[StopPrefix.Length..]));
        }

        var work = new Stack<InputSection>();
        void Mark(InputSection? section)
        {
            if (section is { IsLive: true, IsMarked: false })
            {
                section.IsMarked = true;
                work.Push(section);
            }
        }

        if (entry.Kind == SymbolKind.Section)
            Mark(entry.Section);
        foreach (var unit in symbols.Units)
            foreach (string name in unit.Exports)
                if (symbols.Find(unit, name) is { Kind: SymbolKind.Section } exported)
                    Mark(exported.Section);
        foreach (var file in files)
            foreach (var section in file.Sections)
                if (section is { IsLive: true } && (IsRoot(section) || boundaryNames.Contains((file.Unit, section.Name))))
                    Mark(section);

        while (work.TryPop(out var section))
        {
            var file = section.File!;
            foreach (var relocation in section.Relocations)
            {
                var symbol = file.Symbols[relocation.SymbolIndex];
                if (symbol.Kind == SymbolKind.Section && symbol.Section!.File is not null)
                    Mark(symbol.Section);
            }
            foreach (var dependency in frames.ReferencedAlongWith(section))
                if (dependency.File is not null)
                    Mark(dependency);
        }

        foreach (var file in files)
            foreach (var section in file.Sections)
                if (section is { IsLive: true } && (section.Flags & SHF_ALLOC) != 0 && section.Name != EhFrameSections.SectionName
                    && !section.IsMarked)
                    section.IsLive = false;
    }

    private static bool IsRoot(InputSection section)
    {
        if ((section.Flags & SHF_ALLOC) == 0)
            return false;
        if (section.Type is SHT_INIT_ARRAY or SHT_FINI_ARRAY or SHT_PREINIT_ARRAY or SHT_NOTE)
            return true;
        string name = section.Name;
        return name is ".init" or ".fini" or "__modules"
            || name.StartsWith(".init_array", StringComparison.Ordinal)
            || name.StartsWith(".fini_array", StringComparison.Ordinal)
            || name.StartsWith(".preinit_array", StringComparison.Ordinal)
            || name.StartsWith(".ctors", StringComparison.Ordinal)
            || name.StartsWith(".dtors", StringComparison.Ordinal)
            || name.StartsWith(".note", StringComparison.Ordinal);
    }
}
