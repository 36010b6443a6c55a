namespace Unikernel.Boot;

/// <summary>The x86-64 relocation types boot.o uses (values from the System V AMD64 psABI).</summary>
public enum RelocationType : uint
{
    Abs64 = 1,   // R_X86_64_64
    Pc32 = 2,    // R_X86_64_PC32
    Plt32 = 4,   // R_X86_64_PLT32
    Abs32 = 10,  // R_X86_64_32
    Abs32S = 11, // R_X86_64_32S
}

public enum SymbolKind { Function, Object }

/// <summary>
/// What a relocation points at: either the start of one of boot.o's own sections (the usual target
/// for intra-object references, like GNU as does) or a named symbol, defined here or external.
/// </summary>
public readonly record struct RelocationTarget(string Name, bool IsSection)
{
    public static RelocationTarget Section(string sectionName) => new(sectionName, true);
    public static RelocationTarget Symbol(string symbolName) => new(symbolName, false);
    public override string ToString() => IsSection ? $"[{Name}]" : Name;
}

public readonly record struct Relocation(ulong Offset, RelocationType Type, RelocationTarget Target, long Addend);

/// <param name="IsWeak">A global definition another object's may override (ELF STB_WEAK).</param>
public readonly record struct DefinedSymbol(string Name, string Section, ulong Offset, ulong Size, SymbolKind Kind, bool IsGlobal,
    bool IsWeak = false);

/// <summary>One allocated section of boot.o before it becomes ELF.</summary>
public sealed class SectionImage
{
    public required string Name { get; init; }
    public required SectionFlavor Flavor { get; init; }
    public required ulong Alignment { get; init; }
    /// <summary>Contents; null for the NOBITS section, whose size is <see cref="NoBitsSize"/>.</summary>
    public byte[]? Bytes { get; init; }
    public ulong NoBitsSize { get; init; }
    public List<Relocation> Relocations { get; } = new();

    public ulong Size => Bytes is null ? NoBitsSize : (ulong)Bytes.Length;
}

public enum SectionFlavor { Note, Code, Data, ZeroFilled }

/// <summary>Everything boot.o contains, independent of the ELF encoding.</summary>
public sealed class BootObject
{
    public List<SectionImage> Sections { get; } = new();
    public List<DefinedSymbol> Symbols { get; } = new();

    public SectionImage Section(string name) =>
        Sections.FirstOrDefault(s => s.Name == name) ?? throw new InvalidOperationException($"no section {name}");

    /// <summary>Symbols referenced by relocations but not defined here: the linker or kernel.o provides them.</summary>
    public IReadOnlyList<string> ExternalSymbols =>
        Sections.SelectMany(s => s.Relocations)
            .Where(r => !r.Target.IsSection && Symbols.All(d => d.Name != r.Target.Name))
            .Select(r => r.Target.Name)
            .Distinct()
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
}
