using LibObjectFile.Elf;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Builds small ELF64 x86-64 relocatable objects in memory with LibObjectFile, so the tests need no
/// compiler or assembler.
/// </summary>
public sealed class TestObjectBuilder
{
    private readonly List<SectionSpec> _sections = [];
    private readonly List<SymbolSpec> _symbols = [];
    private readonly List<RelocationSpec> _relocations = [];
    private readonly List<(string Signature, string[] Members)> _comdatGroups = [];

    private sealed record SectionSpec(string Name, ElfSectionType Type, ElfSectionFlags Flags, byte[] Data, ulong Size,
        ulong Alignment);

    private sealed record SymbolSpec(string Name, string? Section, ulong Value, ulong Size, ElfSymbolType Type,
        ElfSymbolBind Bind, ElfSectionLink? Special);

    private sealed record RelocationSpec(string Section, ulong Offset, uint Type, string Symbol, long Addend);

    public TestObjectBuilder Text(string name, byte[] code, ulong alignment = 16) =>
        Section(name, ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Executable, code, alignment);

    public TestObjectBuilder Data(string name, byte[] data, ulong alignment = 8) =>
        Section(name, ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, data, alignment);

    public TestObjectBuilder ReadOnly(string name, byte[] data, ulong alignment = 8) =>
        Section(name, ElfSectionType.ProgBits, ElfSectionFlags.Alloc, data, alignment);

    public TestObjectBuilder Bss(string name, ulong size, ulong alignment = 8)
    {
        _sections.Add(new SectionSpec(name, ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, [], size,
            alignment));
        return this;
    }

    public TestObjectBuilder Section(string name, ElfSectionType type, ElfSectionFlags flags, byte[] data,
        ulong alignment = 1)
    {
        _sections.Add(new SectionSpec(name, type, flags, data, (ulong)data.Length, alignment));
        return this;
    }

    public TestObjectBuilder Function(string name, string section, ulong value, ulong size,
        ElfSymbolBind bind = ElfSymbolBind.Global) =>
        Symbol(name, section, value, size, ElfSymbolType.Function, bind);

    public TestObjectBuilder Object(string name, string section, ulong value, ulong size,
        ElfSymbolBind bind = ElfSymbolBind.Global) =>
        Symbol(name, section, value, size, ElfSymbolType.Object, bind);

    public TestObjectBuilder Symbol(string name, string section, ulong value, ulong size, ElfSymbolType type,
        ElfSymbolBind bind)
    {
        _symbols.Add(new SymbolSpec(name, section, value, size, type, bind, null));
        return this;
    }

    public TestObjectBuilder Undefined(string name, ElfSymbolBind bind = ElfSymbolBind.Global)
    {
        _symbols.Add(new SymbolSpec(name, null, 0, 0, ElfSymbolType.NoType, bind, null));
        return this;
    }

    public TestObjectBuilder Absolute(string name, ulong value)
    {
        _symbols.Add(new SymbolSpec(name, null, value, 0, ElfSymbolType.NoType, ElfSymbolBind.Global,
            ElfSectionLink.SectionAbsolute));
        return this;
    }

    public TestObjectBuilder Common(string name, ulong size, ulong alignment)
    {
        _symbols.Add(new SymbolSpec(name, null, alignment, size, ElfSymbolType.Object, ElfSymbolBind.Global,
            ElfSectionLink.SectionCommon));
        return this;
    }

    public TestObjectBuilder Relocation(string section, ulong offset, uint type, string symbol, long addend = 0)
    {
        _relocations.Add(new RelocationSpec(section, offset, type, symbol, addend));
        return this;
    }

    /// <summary>Marks existing sections as one COMDAT group keyed by an existing symbol.</summary>
    public TestObjectBuilder ComdatGroup(string signatureSymbol, params string[] members)
    {
        _comdatGroups.Add((signatureSymbol, members));
        return this;
    }

    public byte[] Build()
    {
        var elf = new ElfFile(ElfArch.X86_64) { FileType = ElfFileType.Relocatable };

        var groupSections = new List<(ElfStreamSection Section, string Signature, string[] Members)>();
        foreach (var (signature, members) in _comdatGroups)
        {
            var group = elf.Add(new ElfStreamSection(ElfSectionType.Group) { Name = ".group", VirtualAddressAlignment = 4 });
            groupSections.Add((group, signature, members));
        }

        var sections = new Dictionary<string, ElfSection>();
        foreach (var spec in _sections)
        {
            ElfSection section = spec.Type == ElfSectionType.NoBits
                ? new ElfNoBitsSection { Size = spec.Size }
                : new ElfStreamSection(spec.Type, new MemoryStream(spec.Data));
            section.Name = spec.Name;
            section.Flags = spec.Flags;
            section.VirtualAddressAlignment = spec.Alignment;
            if (_comdatGroups.Any(group => group.Members.Contains(spec.Name)))
                section.Flags |= ElfSectionFlags.Group;
            elf.Add(section);
            sections.Add(spec.Name, section);
        }

        var strings = new ElfStringTable();
        var symbolTable = new ElfSymbolTable(false) { Link = strings };
        if (symbolTable.Entries.Count == 0)
            symbolTable.Entries.Add(new ElfSymbol());
        // The gABI wants locals first; the tests declare them in any order.
        var ordered = _symbols.Where(s => s.Bind == ElfSymbolBind.Local)
            .Concat(_symbols.Where(s => s.Bind != ElfSymbolBind.Local)).ToList();
        var symbolIndex = new Dictionary<string, uint>();
        foreach (var spec in ordered)
        {
            symbolIndex[spec.Name] = (uint)symbolTable.Entries.Count;
            symbolTable.Entries.Add(new ElfSymbol
            {
                Name = spec.Name,
                Value = spec.Value,
                Size = spec.Size,
                Type = spec.Type,
                Bind = spec.Bind,
                SectionLink = spec.Special ?? (spec.Section is null ? ElfSectionLink.Empty : sections[spec.Section]),
            });
        }
        // Relocations may name a section instead of a symbol: add a section symbol for it.
        foreach (var relocation in _relocations)
        {
            if (symbolIndex.ContainsKey(relocation.Symbol) || !sections.TryGetValue(relocation.Symbol, out var target))
                continue;
            symbolTable.Entries.Insert(1, new ElfSymbol { Type = ElfSymbolType.Section, SectionLink = target });
            foreach (var key in symbolIndex.Keys.ToList())
                symbolIndex[key]++;
            symbolIndex[relocation.Symbol] = 1;
        }

        foreach (var group in groupSections)
        {
            var contents = new MemoryStream();
            contents.Write(BitConverter.GetBytes(1u)); // GRP_COMDAT
            foreach (var member in group.Members)
                contents.Write(BitConverter.GetBytes((uint)sections[member].SectionIndex));
            group.Section.Stream = contents;
            group.Section.Link = symbolTable;
            group.Section.Info = new ElfSectionLink((int)symbolIndex[group.Signature]);
        }

        foreach (var bySection in _relocations.GroupBy(r => r.Section))
        {
            var table = new ElfRelocationTable
            {
                Name = ".rela" + bySection.Key,
                Link = symbolTable,
                Info = sections[bySection.Key],
                Flags = ElfSectionFlags.InfoLink,
            };
            foreach (var relocation in bySection)
            {
                table.Entries.Add(new ElfRelocation(relocation.Offset, new ElfRelocationType(ElfArchEx.X86_64, relocation.Type),
                    symbolIndex[relocation.Symbol], relocation.Addend));
            }
            elf.Add(table);
        }

        elf.Add(symbolTable);
        elf.Add(strings);
        elf.Add(new ElfSectionHeaderStringTable());
        elf.Add(new ElfSectionHeaderTable());

        var output = new MemoryStream();
        elf.Write(output);
        return output.ToArray();
    }
}
