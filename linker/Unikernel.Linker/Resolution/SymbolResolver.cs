using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Resolution;

/// <summary>
/// The <c>resolve</c> pass: merges the global and weak symbols of each link unit's inputs into the unit's namespace of
/// the <see cref="SymbolTable"/> and rewrites each file's symbol slots to point at the winner. Precedence, strongest
/// first: a global definition, a COMMON (tentative) definition, a weak definition, an undefined reference. Units never
/// see each other here; <see cref="UnitExports"/> connects them afterwards.
/// </summary>
public static class SymbolResolver
{
    private enum Strength
    {
        None,
        Weak,
        Common,
        Strong,
    }

    public static SymbolTable Resolve(IReadOnlyList<InputFile> files, IReadOnlyList<LinkUnit> units)
    {
        var table = new SymbolTable(units);
        foreach (var unit in units)
        {
            int globals = 0;
            foreach (var file in files)
                if (file.Unit == unit)
                    globals += file.Symbols.Length;
            table.Reserve(unit, globals);
        }
        foreach (var file in files)
        {
            var symbols = file.Symbols;
            for (int i = 1; i < symbols.Length; i++)
            {
                var candidate = symbols[i];
                if (candidate.IsLocal)
                    continue;
                byte binding = candidate.IsWeak ? STB_WEAK : STB_GLOBAL;
                var winner = table.GetOrAdopt(file.Unit, candidate, IsAdoptable(candidate), binding, out bool adopted);
                if (adopted)
                {
                    // What a fresh entry would hold after merging this candidate into it.
                    winner.Binding = binding;
                    if (winner.IsDefined)
                        winner.DefinedIn = file;
                    continue;
                }
                Merge(winner, candidate, file, table);
                symbols[i] = winner;
            }
        }
        return table;
    }

    /// <summary>Whether a file's symbol, made the table's entry as it is, equals a fresh entry merged with it: a
    /// definition that counts (not in a dropped section), or a plain reference with nothing else set.</summary>
    private static bool IsAdoptable(Symbol candidate) => candidate.Kind == SymbolKind.Undefined
        ? candidate is { Size: 0, Value: 0, Section: null, DefinedIn: null }
        : !candidate.IsInDroppedSection;

    private static void Merge(Symbol winner, Symbol candidate, InputFile file, SymbolTable table)
    {
        var offered = StrengthOf(candidate);
        if (offered == Strength.None)
        {
            // A single strong reference makes the symbol required; only all-weak references may stay 0.
            if (!winner.IsDefined && !candidate.IsWeak)
                winner.Binding = STB_GLOBAL;
            return;
        }

        var current = StrengthOf(winner);
        if (offered == Strength.Strong && current == Strength.Strong)
        {
            throw new LinkerException($"duplicate symbol (first defined in {winner.DefinedIn?.Path})", file: file.Path,
                section: candidate.Section?.Name, offset: candidate.Kind == SymbolKind.Section ? candidate.Value : null,
                symbol: candidate.Name, unit: file.Unit.DiagnosticName);
        }
        if (offered == Strength.Common && current == Strength.Common)
        {
            // Tentative definitions merge: the largest size and the strictest alignment win.
            winner.Size = Math.Max(winner.Size, candidate.Size);
            winner.Value = Math.Max(winner.Value, candidate.Value);
            return;
        }
        if (offered <= current)
            return;
        if (offered == Strength.Common && current == Strength.Weak)
            table.BecameCommon();

        winner.Kind = candidate.Kind;
        winner.Section = candidate.Section;
        winner.Value = candidate.Value;
        winner.Size = candidate.Size;
        winner.Type = candidate.Type;
        winner.Binding = candidate.IsWeak ? STB_WEAK : STB_GLOBAL;
        winner.DefinedIn = file;
    }

    private static Strength StrengthOf(Symbol symbol) => symbol.Kind switch
    {
        SymbolKind.Undefined => Strength.None,
        SymbolKind.Section when symbol.IsInDroppedSection => Strength.None,
        SymbolKind.Common => Strength.Common,
        _ when symbol.IsWeak => Strength.Weak,
        _ => Strength.Strong,
    };
}
