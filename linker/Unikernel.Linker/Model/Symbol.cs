namespace Unikernel.Linker.Model;

public enum SymbolKind
{
    Undefined,
    /// <summary>Defined at an offset inside an input (or synthetic) section.</summary>
    Section,
    Absolute,
    /// <summary>Tentative definition (SHN_COMMON); becomes <see cref="Section"/> once allocated in .bss.</summary>
    Common,
    /// <summary>Defined by the linker after layout (__image_start, __start_X...).</summary>
    LinkerDefined,
}

public sealed class Symbol
{
    public Symbol(string name, byte binding, byte type)
        : this(SymbolName.Of(name), binding, type) => _name = name;

    public Symbol(SymbolName name, byte binding, byte type)
    {
        Key = name;
        Binding = binding;
        Type = type;
    }

    private string? _name;

    /// <summary>Decoded on first use: most symbols are only ever compared (through <see cref="Key"/>), never printed.</summary>
    public string Name => _name ??= Key.ToString();

    /// <summary>The name as bytes, for lookups.</summary>
    public SymbolName Key { get; }
    public byte Binding { get; set; }
    public byte Type { get; set; }
    public ulong Size { get; set; }
    public SymbolKind Kind { get; set; } = SymbolKind.Undefined;

    /// <summary>Section offset, absolute value, or (for COMMON) the required alignment.</summary>
    public ulong Value { get; set; }

    public InputSection? Section { get; set; }

    /// <summary>The file whose definition won; null for undefined and linker-defined symbols.</summary>
    public InputFile? DefinedIn { get; set; }

    /// <summary>The unit whose namespace holds the symbol (for locals: their file's unit); null for the
    /// linker's image-wide names (<c>__image_start</c>, <c>_end</c>...), which every unit shares.</summary>
    public LinkUnit? Unit { get; set; }

    /// <summary>The name in .symtab, uk_ksyms and the map: qualified by a named unit (<c>kernel:Foo</c>).</summary>
    public string OutputName => Unit is null ? Name : Unit.Qualify(Name);

    /// <summary>-1 until a GOT-relative relocation that cannot be relaxed asks for a slot.</summary>
    public int GotSlot { get; set; } = -1;

    /// <summary>-1 unless an initial-exec TLS access that cannot be relaxed needs a slot with the TP offset.</summary>
    public int TpOffGotSlot { get; set; } = -1;

    public bool IsLocal => Binding == ElfConstants.STB_LOCAL;
    public bool IsWeak => Binding == ElfConstants.STB_WEAK;
    public bool IsDefined => Kind != SymbolKind.Undefined;

    /// <summary>A definition inside a dropped section (losing COMDAT copy, debug info) has no address.</summary>
    public bool IsInDroppedSection => Kind == SymbolKind.Section && Section is { IsLive: false };

    /// <summary>Valid after layout. Weak undefined symbols resolve to 0.</summary>
    public ulong Address => Kind switch
    {
        SymbolKind.Section => Section!.IsLive ? Section.Address + Value : 0,
        SymbolKind.Absolute or SymbolKind.LinkerDefined => Value,
        _ => 0,
    };

    /// <summary>Section symbols have no name of their own; diagnostics name the section instead.</summary>
    public string DisplayName => Name.Length == 0 && Section is not null ? Section.Name : Name;

    public override string ToString() => DisplayName;
}
