using Unikernel.Linker.Model;

namespace Unikernel.Linker.Resolution;

/// <summary>
/// The <c>resolve</c> pass, after <see cref="SymbolResolver"/>: connects the link units. Each <c>--export</c> must name
/// a symbol its unit defines, and no name may be exported by two units (a reference could not tell which one it means).
/// Then every name a unit references but does not define itself is bound to another unit's export of that name, if any:
/// the unit's table entry and its files' slots point at the exporter's symbol, so the later passes (liveness,
/// relocation) follow the reference into the other unit like any other. A no-op for a single unit.
/// </summary>
public static class UnitExports
{
    public static void Bind(IReadOnlyList<InputFile> files, SymbolTable symbols)
    {
        var units = symbols.Units;
        var exporters = new Dictionary<string, (LinkUnit Unit, Symbol Symbol)>(StringComparer.Ordinal);
        foreach (var unit in units)
        {
            foreach (string name in unit.Exports)
            {
                if (symbols.Find(unit, name) is not { IsDefined: true, IsInDroppedSection: false } symbol || symbol.Unit != unit)
                    throw new LinkerException("exported symbol is not defined by its unit", symbol: name, unit: unit.Name);
                if (exporters.TryGetValue(name, out var first))
                    throw new LinkerException($"duplicate export (units '{first.Unit.Name}' and '{unit.Name}')", symbol: name);
                exporters.Add(name, (unit, symbol));
            }
        }
        if (exporters.Count == 0)
            return;

        var imported = new Dictionary<Symbol, Symbol>();
        foreach (var symbol in symbols.MaybeUndefinedOrCommon.ToArray())
        {
            if (symbol.IsDefined || symbol.Unit is not { } unit || !exporters.TryGetValue(symbol.Name, out var export)
                || export.Unit == unit)
                continue;
            symbols.Redirect(unit, symbol.Name, export.Symbol);
            imported.Add(symbol, export.Symbol);
        }
        foreach (var file in files)
        {
            var slots = file.Symbols;
            for (int i = 1; i < slots.Length; i++)
                if (imported.TryGetValue(slots[i], out var target))
                    slots[i] = target;
        }
    }
}
