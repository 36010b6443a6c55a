using LibObjectFile.Diagnostics;
using LibObjectFile.Elf;

namespace Unikernel.Boot;

/// <summary>Encodes a <see cref="BootObject"/> as an ELF64 x86-64 relocatable object (ET_REL).</summary>
public static class ElfObjectWriter
{
    public static byte[] Write(BootObject boot)
    {
        var elf = BuildElf(boot);
        var output = new MemoryStream();
        if (!elf.TryWrite(output, out var diagnostics) || diagnostics.HasErrors)
            throw new InvalidOperationException("LibObjectFile rejected boot.o:\n" + diagnostics);
        return output.ToArray();
    }

    public static ElfFile BuildElf(BootObject boot)
    {
        var elf = new ElfFile(ElfArch.X86_64) { FileType = ElfFileType.Relocatable };

        var elfSections = new Dictionary<string, ElfSection>(StringComparer.Ordinal);
        var relocationTables = new List<(ElfRelocationTable Table, SectionImage Source)>();
        foreach (var image in boot.Sections)
        {
            ElfSection section = image.Flavor switch
            {
                SectionFlavor.ZeroFilled => new ElfNoBitsSection { Size = image.NoBitsSize },
                SectionFlavor.Note => new ElfStreamSection(ElfSectionType.Note, new MemoryStream(image.Bytes!)),
                _ => new ElfStreamSection(ElfSectionType.ProgBits, new MemoryStream(image.Bytes!)),
            };
            section.Name = image.Name;
            section.Flags = image.Flavor switch
            {
                SectionFlavor.Note => ElfSectionFlags.Alloc,
                SectionFlavor.Code => ElfSectionFlags.Alloc | ElfSectionFlags.Executable,
                _ => ElfSectionFlags.Alloc | ElfSectionFlags.Write,
            };
            section.VirtualAddressAlignment = image.Alignment;
            elf.Add(section);
            elfSections[image.Name] = section;

            if (image.Relocations.Count > 0)
            {
                var table = new ElfRelocationTable(true)
                {
                    Name = ".rela" + image.Name,
                    Flags = ElfSectionFlags.InfoLink,
                    Info = section,
                };
                elf.Add(table);
                relocationTables.Add((table, image));
            }
        }

        // An empty .note.GNU-stack tells the linker this object does not need an executable stack.
        elf.Add(new ElfStreamSection(ElfSectionType.ProgBits, new MemoryStream()) { Name = BootMemoryLayout.GnuStackSection });

        var stringTable = new ElfStringTable();
        var symbolTable = new ElfSymbolTable(false) { Link = stringTable };
        elf.Add(symbolTable);
        elf.Add(stringTable);

        // ELF wants all LOCAL symbols before the GLOBAL ones.
        var sectionSymbolIndex = new Dictionary<string, uint>(StringComparer.Ordinal);
        var symbolIndex = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var image in boot.Sections)
        {
            sectionSymbolIndex[image.Name] = (uint)symbolTable.Entries.Count;
            symbolTable.Entries.Add(new ElfSymbol
            {
                Type = ElfSymbolType.Section, Bind = ElfSymbolBind.Local, SectionLink = elfSections[image.Name],
            });
        }
        foreach (var symbol in boot.Symbols.Where(s => !s.IsGlobal).Concat(boot.Symbols.Where(s => s.IsGlobal)))
        {
            if (!symbolIndex.TryAdd(symbol.Name, (uint)symbolTable.Entries.Count))
                throw new InvalidOperationException($"symbol {symbol.Name} defined twice");
            symbolTable.Entries.Add(new ElfSymbol
            {
                Name = symbol.Name,
                Value = symbol.Offset,
                Size = symbol.Size,
                Type = symbol.Kind == SymbolKind.Function ? ElfSymbolType.Function : ElfSymbolType.Object,
                Bind = !symbol.IsGlobal ? ElfSymbolBind.Local : symbol.IsWeak ? ElfSymbolBind.Weak : ElfSymbolBind.Global,
                SectionLink = elfSections[symbol.Section],
            });
        }
        foreach (var external in boot.ExternalSymbols)
        {
            symbolIndex[external] = (uint)symbolTable.Entries.Count;
            symbolTable.Entries.Add(new ElfSymbol { Name = external, Type = ElfSymbolType.NoType, Bind = ElfSymbolBind.Global });
        }

        foreach (var (table, source) in relocationTables)
        {
            table.Link = symbolTable;
            foreach (var relocation in source.Relocations)
            {
                uint index = relocation.Target.IsSection
                    ? sectionSymbolIndex[relocation.Target.Name]
                    : symbolIndex[relocation.Target.Name];
                table.Entries.Add(new ElfRelocation(relocation.Offset,
                    new ElfRelocationType(ElfArch.X86_64, (uint)relocation.Type), index, relocation.Addend));
            }
        }

        elf.Add(new ElfSectionHeaderStringTable());
        elf.Add(new ElfSectionHeaderTable());
        return elf;
    }
}
