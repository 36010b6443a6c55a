using Unikernel.Linker.Model;

namespace Unikernel.Linker;

/// <summary>The global namespace: one <see cref="Symbol"/> per name, in first-seen order so that every
/// walk over it is deterministic.</summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, Symbol> _byName = new(StringComparer.Ordinal);
    private readonly List<Symbol> _inOrder = [];

    public IReadOnlyList<Symbol> Symbols => _inOrder;

    public Symbol? Find(string name) => _byName.GetValueOrDefault(name);

    public Symbol GetOrAdd(string name, byte binding, byte type)
    {
        if (_byName.TryGetValue(name, out var existing))
            return existing;
        var symbol = new Symbol(name, binding, type);
        _byName.Add(name, symbol);
        _inOrder.Add(symbol);
        return symbol;
    }
}
