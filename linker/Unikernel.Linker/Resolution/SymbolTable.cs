using Unikernel.Linker.Model;

namespace Unikernel.Linker.Resolution;

/// <summary>The global namespaces: one <see cref="Symbol"/> per (unit, name), in first-seen order so that
/// every walk over it is deterministic. The null unit is the linker's image-wide namespace.</summary>
public sealed class SymbolTable
{
    // One dictionary per unit (indexed by LinkUnit.Index) and one for the image-wide names: keyed by the name
    // alone, the lookups hash each name once (SymbolName) instead of a (unit, string) pair per probe.
    private readonly Dictionary<SymbolName, Symbol>[] _byUnit;
    private readonly Dictionary<SymbolName, Symbol> _imageWide = new();
    private readonly List<Symbol> _inOrder = [];
    // The entries that were undefined or COMMON when they entered (a name's first sighting is almost always a
    // reference or a definition that stays one), in first-seen order; see MaybeUndefinedOrCommon.
    private readonly List<Symbol> _undefinedOrCommon = [];
    private bool _becameCommonLate;

    public SymbolTable(IReadOnlyList<LinkUnit> units)
    {
        Units = units;
        _byUnit = new Dictionary<SymbolName, Symbol>[units.Count];
        for (int i = 0; i < units.Count; i++)
            _byUnit[i] = new Dictionary<SymbolName, Symbol>();
    }

    private Dictionary<SymbolName, Symbol> Namespace(LinkUnit? unit) => unit is null ? _imageWide : _byUnit[unit.Index];

    /// <summary>Room for <paramref name="count"/> names in <paramref name="unit"/>, so filling it never rehashes.</summary>
    public void Reserve(LinkUnit unit, int count)
    {
        Namespace(unit).EnsureCapacity(count);
        _inOrder.Capacity = Math.Max(_inOrder.Capacity, _inOrder.Count + count);
    }

    public IReadOnlyList<LinkUnit> Units { get; }

    /// <summary>Every distinct symbol once; a name a unit imports from another appears only as the exporter's.</summary>
    public IReadOnlyList<Symbol> Symbols => _inOrder;

    /// <summary>
    /// In first-seen order, a superset of the symbols that are undefined or COMMON now (callers test Kind): the
    /// passes that look for those (linker-defined names, __start_/__stop_ roots, COMMON allocation) walk this short
    /// list instead of every symbol, which costs a cache miss per symbol (100k on an ASP.NET Core app's object).
    /// </summary>
    public IReadOnlyList<Symbol> MaybeUndefinedOrCommon => _becameCommonLate ? _inOrder : _undefinedOrCommon;

    /// <summary>The resolver's note that a weak definition gave way to a COMMON one (rare): the short list would no
    /// longer be in first-seen order, so <see cref="MaybeUndefinedOrCommon"/> falls back to every symbol.</summary>
    public void BecameCommon() => _becameCommonLate = true;

    private void Append(Symbol symbol)
    {
        _inOrder.Add(symbol);
        if (symbol.Kind is SymbolKind.Undefined or SymbolKind.Common)
            _undefinedOrCommon.Add(symbol);
    }

    /// <summary>What <paramref name="name"/> means inside <paramref name="unit"/> (after binding: possibly
    /// another unit's export).</summary>
    public Symbol? Find(LinkUnit? unit, string name) => Namespace(unit).GetValueOrDefault(SymbolName.Of(name));

    public Symbol GetOrAdd(LinkUnit? unit, string name, byte binding, byte type)
    {
        var key = SymbolName.Of(name);
        var names = Namespace(unit);
        if (names.TryGetValue(key, out var existing))
            return existing;
        var symbol = new Symbol(name, binding, type) { Unit = unit };
        names.Add(key, symbol);
        Append(symbol);
        return symbol;
    }

    /// <summary>
    /// The resolver's form: the name's entry in <paramref name="unit"/>, or, for a name seen for the first time,
    /// <paramref name="candidate"/> itself, when <paramref name="adoptable"/> says the file's own symbol can serve as
    /// the global one (one allocation less per distinct name: 100k on a large ILC object). Returns whether it was.
    /// </summary>
    public Symbol GetOrAdopt(LinkUnit unit, Symbol candidate, bool adoptable, byte binding, out bool adopted)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Namespace(unit), candidate.Key, out bool exists);
        adopted = false;
        if (exists)
            return slot!;
        if (adoptable)
        {
            adopted = true;
            slot = candidate;
        }
        else
            slot = new Symbol(candidate.Key, binding, candidate.Type) { Unit = unit };
        Append(slot);
        return slot;
    }

    /// <summary>Makes <paramref name="name"/> in <paramref name="unit"/> mean <paramref name="target"/>; the
    /// unit's own (undefined) symbol of that name is forgotten. Files' slots are rewritten by the caller.</summary>
    public void Redirect(LinkUnit unit, string name, Symbol target)
    {
        var key = SymbolName.Of(name);
        var names = Namespace(unit);
        if (names.TryGetValue(key, out var old))
        {
            _inOrder.Remove(old);
            _undefinedOrCommon.Remove(old);
        }
        names[key] = target;
    }
}
