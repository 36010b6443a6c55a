using Unikernel.Linker.Model;

namespace Unikernel.Linker;

/// <summary>The global namespaces: one <see cref="Symbol"/> per (unit, name), in first-seen order so that
/// every walk over it is deterministic. The null unit is the linker's image-wide namespace.</summary>
public sealed class SymbolTable
{
    private readonly Dictionary<(LinkUnit?, string), Symbol> _byName = new();
    private readonly List<Symbol> _inOrder = [];

    public SymbolTable(IReadOnlyList<LinkUnit> units) => Units = units;

    public IReadOnlyList<LinkUnit> Units { get; }

    /// <summary>Every distinct symbol once; a name a unit imports from another appears only as the exporter's.</summary>
    public IReadOnlyList<Symbol> Symbols => _inOrder;

    /// <summary>What <paramref name="name"/> means inside <paramref name="unit"/> (after binding: possibly
    /// another unit's export).</summary>
    public Symbol? Find(LinkUnit? unit, string name) => _byName.GetValueOrDefault((unit, name));

    public Symbol GetOrAdd(LinkUnit? unit, string name, byte binding, byte type)
    {
        if (_byName.TryGetValue((unit, name), out var existing))
            return existing;
        var symbol = new Symbol(name, binding, type) { Unit = unit };
        _byName.Add((unit, name), symbol);
        _inOrder.Add(symbol);
        return symbol;
    }

    /// <summary>Makes <paramref name="name"/> in <paramref name="unit"/> mean <paramref name="target"/>; the
    /// unit's own (undefined) symbol of that name is forgotten. Files' slots are rewritten by the caller.</summary>
    public void Redirect(LinkUnit unit, string name, Symbol target)
    {
        if (_byName.TryGetValue((unit, name), out var old))
            _inOrder.Remove(old);
        _byName[(unit, name)] = target;
    }
}
