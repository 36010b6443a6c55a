using System.Buffers.Binary;
using LibObjectFile.Diagnostics;
using LibObjectFile.Elf;
using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Tests.Reference;

/// <summary>
/// The linker's former object reader (LibObjectFile parses the tables, then they are converted to the
/// model), kept only as the reference that <see cref="ElfObjectParserDifferentialTests"/> compares the
/// span-based Input/ElfObjectParser against.
/// </summary>
public static class LibObjectFileReader
{
    public static InputFile Read(string path, int order)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LinkerException($"cannot read input: {error.Message}", file: path);
        }
        return Read(path, order, bytes);
    }

    public static InputFile Read(string path, int order, byte[] bytes)
    {
        CheckIdentity(path, bytes);
        var elf = Parse(path, bytes);
        try
        {
            return Convert(path, order, bytes, elf);
        }
        catch (LinkerException)
        {
            throw;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // LibObjectFile leaves some inconsistencies (dangling links, bad indices) for us to trip over.
            throw new LinkerException($"corrupt ELF file: {error.Message}", file: path);
        }
    }

    /// <summary>The header checks come first so that the common mistakes get a precise message
    /// instead of a generic parse failure.</summary>
    private static void CheckIdentity(string path, byte[] bytes)
    {
        if (bytes.Length < 4 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new LinkerException("not an ELF file", file: path);
        if (bytes.Length < ElfHeaderSize)
            throw new LinkerException("truncated ELF header", file: path);
        if (bytes[4] != ELFCLASS64)
            throw new LinkerException("not a 64-bit ELF file (ELFCLASS32)", file: path);
        if (bytes[5] != ELFDATA2LSB)
            throw new LinkerException("not a little-endian ELF file", file: path);

        var header = bytes.AsSpan();
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
        if (machine != EM_X86_64)
            throw new LinkerException($"wrong machine {MachineName(machine)} ({machine}), expected EM_X86_64", file: path);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        if (type != ET_REL)
            throw new LinkerException($"not a relocatable object ({FileTypeName(type)}), expected ET_REL", file: path);

        ulong sectionHeaders = BinaryPrimitives.ReadUInt64LittleEndian(header[40..]);
        ushort sectionHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(header[58..]);
        ushort sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(header[60..]);
        if (sectionCount != 0 && sectionHeaderSize != SectionHeaderSize)
            throw new LinkerException($"corrupt ELF file: section header entry size {sectionHeaderSize}", file: path);
        if (sectionHeaders > (ulong)bytes.Length || (ulong)bytes.Length - sectionHeaders < (ulong)sectionCount * SectionHeaderSize)
            throw new LinkerException("truncated file: section header table extends past the end", file: path);

        // Every section's contents must lie inside the file, and tables must have their entry size,
        // before LibObjectFile sizes its lists from them (a corrupt size would otherwise exhaust memory).
        for (int i = 1; i < sectionCount; i++)
        {
            var entry = header[checked((int)sectionHeaders + i * SectionHeaderSize)..];
            uint sectionType = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(entry[24..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]);
            ulong entrySize = BinaryPrimitives.ReadUInt64LittleEndian(entry[56..]);
            if (sectionType != SHT_NOBITS && sectionType != 0 && (offset > (ulong)bytes.Length || (ulong)bytes.Length - offset < size))
                throw new LinkerException($"truncated or corrupt file: section {i} (offset 0x{offset:x}, size 0x{size:x}) extends past the end", file: path);
            bool isTable = sectionType is SHT_RELA or SHT_SYMTAB;
            if (isTable && (entrySize != 24 || size % 24 != 0))
                throw new LinkerException($"corrupt ELF file: section {i} has entry size {entrySize} and size 0x{size:x}, expected 24-byte entries", file: path);
        }
    }

    private static ElfFile Parse(string path, byte[] bytes)
    {
        try
        {
            // UseSubStream: section streams are views of our buffer instead of copies.
            var options = new ElfReaderOptions { UseSubStream = true };
            if (!ElfFile.TryRead(new MemoryStream(bytes, writable: false), out var elf, out var diagnostics, options))
                throw new LinkerException($"corrupt ELF file: {FirstError(diagnostics)}", file: path);
            return elf;
        }
        catch (LinkerException)
        {
            throw;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw new LinkerException($"corrupt ELF file: {error.Message}", file: path);
        }
    }

    private static string FirstError(DiagnosticBag diagnostics)
    {
        foreach (var message in diagnostics.Messages)
            if (message.Kind == DiagnosticKind.Error)
                return message.Message;
        return "unreadable";
    }

    private static InputFile Convert(string path, int order, byte[] bytes, ElfFile elf)
    {
        var file = new InputFile(path, order);
        int sectionCount = 0;
        foreach (var section in elf.Sections)
            sectionCount = Math.Max(sectionCount, section.SectionIndex + 1);
        var sections = new InputSection?[sectionCount];

        ElfSymbolTable? symbolTable = null;
        var relocationTables = new List<ElfRelocationTable>();
        var groupSections = new List<ElfSection>();

        foreach (var section in elf.Sections)
        {
            if (section.SectionIndex == 0)
                continue;
            string name = section.Name.Value ?? "";
            uint type = (uint)section.Type;
            switch (section)
            {
                case ElfSymbolTable table when type == SHT_SYMTAB:
                    if (symbolTable is not null)
                        throw new LinkerException("corrupt ELF file: more than one symbol table", file: path, section: name);
                    symbolTable = table;
                    break;
                case ElfRelocationTable table:
                    relocationTables.Add(table);
                    break;
            }
            if (type == SHT_GROUP)
                groupSections.Add(section);

            sections[section.SectionIndex] = MakeSection(path, file, bytes, section, name, type);
        }
        file.Sections = sections;

        file.Symbols = symbolTable is null ? [] : ReadSymbols(path, symbolTable, sections);

        foreach (var group in groupSections)
            ReadGroup(path, file, bytes, group, symbolTable);

        foreach (var table in relocationTables)
            ReadRelocations(path, file, bytes, table);

        return file;
    }

    private static InputSection MakeSection(string path, InputFile file, byte[] bytes, ElfSection section, string name,
        uint type)
    {
        ulong flags = (ulong)section.Flags;
        ulong alignment = section.VirtualAddressAlignment;
        if (alignment > 1 && (alignment & (alignment - 1)) != 0)
            throw new LinkerException($"corrupt ELF file: section alignment {alignment} is not a power of two",
                file: path, section: name);

        bool loadable = (flags & SHF_ALLOC) != 0 && type is not (SHT_NULL or SHT_SYMTAB or SHT_STRTAB or SHT_RELA
            or SHT_REL or SHT_GROUP);
        byte[]? data = null;
        if (loadable && type != SHT_NOBITS)
            data = Slice(path, bytes, name, section.Position, section.Size);

        // Non-loadable sections still get a (dead) model object so that symbols defined in them
        // (debug info, group signatures) have somewhere to point.
        return new InputSection(file, name, type, flags, alignment, section.Size, data) { IsLive = loadable };
    }

    private static byte[] Slice(string path, byte[] bytes, string sectionName, ulong position, ulong size)
    {
        if (position > (ulong)bytes.Length || (ulong)bytes.Length - position < size)
            throw new LinkerException("truncated file: section contents extend past the end", file: path,
                section: sectionName);
        return bytes.AsSpan((int)position, (int)size).ToArray();
    }

    private static Symbol[] ReadSymbols(string path, ElfSymbolTable table, InputSection?[] sections)
    {
        var entries = table.Entries;
        var symbols = new Symbol[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var symbol = new Symbol(entry.Name.Value ?? "", (byte)entry.Bind, (byte)entry.Type)
            {
                Size = entry.Size,
                Value = entry.Value,
            };
            var link = entry.SectionLink;
            if (i == 0)
            {
                // The null symbol: relocations against it mean "no symbol", i.e. S = 0.
                symbol.Kind = SymbolKind.Absolute;
                symbol.Value = 0;
            }
            else if (link.Section is { } section)
            {
                var inputSection = section.SectionIndex < sections.Length ? sections[section.SectionIndex] : null;
                symbol.Kind = SymbolKind.Section;
                symbol.Section = inputSection
                    ?? throw new LinkerException("corrupt ELF file: symbol refers to a missing section", file: path,
                        section: table.Name.Value, symbol: symbol.Name);
            }
            else
            {
                symbol.Kind = link.SpecialIndex switch
                {
                    SHN_UNDEF => SymbolKind.Undefined,
                    SHN_ABS => SymbolKind.Absolute,
                    SHN_COMMON => SymbolKind.Common,
                    _ => throw new LinkerException($"corrupt ELF file: symbol has section index 0x{link.SpecialIndex:x}",
                        file: path, section: table.Name.Value, symbol: symbol.Name),
                };
            }
            symbols[i] = symbol;
        }
        return symbols;
    }

    private static void ReadGroup(string path, InputFile file, byte[] bytes, ElfSection group, ElfSymbolTable? symbolTable)
    {
        string groupName = group.Name.Value ?? ".group";
        byte[] contents = Slice(path, bytes, groupName, group.Position, group.Size);
        if (contents.Length < 4 || contents.Length % 4 != 0)
            throw new LinkerException("corrupt ELF file: malformed section group", file: path, section: groupName);

        uint groupFlags = BinaryPrimitives.ReadUInt32LittleEndian(contents);
        if ((groupFlags & GRP_COMDAT) == 0)
            return; // A plain group only ties sections together for -r links; nothing to deduplicate.

        // The signature symbol's index is the group's sh_info; read it from the raw header so that
        // LibObjectFile's interpretation of sh_info as a section link cannot get in the way.
        uint signatureIndex = ReadSectionHeaderInfo(bytes, group.SectionIndex);
        if (symbolTable is null || signatureIndex >= (uint)file.Symbols.Length)
            throw new LinkerException("corrupt ELF file: section group signature symbol out of range", file: path,
                section: groupName);
        var signatureSymbol = file.Symbols[signatureIndex];
        string signature = signatureSymbol.Type == STT_SECTION && signatureSymbol.Section is not null
            ? signatureSymbol.Section.Name
            : signatureSymbol.Name;

        var members = new int[contents.Length / 4 - 1];
        for (int i = 0; i < members.Length; i++)
        {
            uint member = BinaryPrimitives.ReadUInt32LittleEndian(contents.AsSpan(4 + i * 4));
            if (member == 0 || member >= (uint)file.Sections.Length)
                throw new LinkerException($"corrupt ELF file: section group member {member} out of range", file: path,
                    section: groupName);
            members[i] = (int)member;
        }
        file.ComdatGroups.Add(new ComdatGroup(signature, groupName, members));
    }

    private static uint ReadSectionHeaderInfo(byte[] bytes, int sectionIndex)
    {
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40));
        int infoOffset = checked((int)(table + (ulong)sectionIndex * SectionHeaderSize + 44));
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(infoOffset));
    }

    private static void ReadRelocations(string path, InputFile file, byte[] bytes, ElfRelocationTable table)
    {
        string tableName = table.Name.Value ?? "";
        // sh_info names the target section. Read it raw: LibObjectFile resolves it only when the
        // SHF_INFO_LINK flag is set, and compilers omit that flag on relocation sections inside COMDAT
        // groups (flag G only), as the NativeAOT runtime archives show.
        uint targetIndex = ReadSectionHeaderInfo(bytes, table.SectionIndex);
        if (targetIndex == 0 || targetIndex >= (uint)file.Sections.Length)
            throw new LinkerException($"corrupt ELF file: relocation section targets section {targetIndex}, which does not exist",
                file: path, section: tableName);
        var targetSection = file.Sections[targetIndex];
        if (targetSection is null || !targetSection.IsLive)
            return; // Relocations for debug info and other dropped sections are never applied.

        if (!table.IsRelocationWithAddends)
            throw new LinkerException("SHT_REL relocations are not supported on x86-64 (expected SHT_RELA)", file: path,
                section: tableName);

        var entries = table.Entries;
        var relocations = new Relocation[entries.Count];
        uint symbolCount = (uint)file.Symbols.Length;
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.SymbolIndex >= symbolCount)
                throw new LinkerException($"corrupt ELF file: relocation symbol index {entry.SymbolIndex} out of range",
                    file: path, section: targetSection.Name, offset: entry.Offset);
            relocations[i] = new Relocation(entry.Offset, entry.Type.Value, entry.SymbolIndex, entry.Addend);
        }

        // An object may split one section's relocations over several tables; keep them all.
        targetSection.SetRelocations(targetSection.Relocations.Length == 0
            ? relocations
            : [.. targetSection.Relocations, .. relocations]);
    }

    private static string MachineName(ushort machine) => machine switch
    {
        3 => "EM_386",
        40 => "EM_ARM",
        183 => "EM_AARCH64",
        243 => "EM_RISCV",
        // LibObjectFile's own names throw for values it does not know; a number is enough here.
        _ => $"machine {machine}",
    };

    private static string FileTypeName(ushort type) => type switch
    {
        0 => "ET_NONE",
        2 => "ET_EXEC",
        3 => "ET_DYN",
        4 => "ET_CORE",
        _ => $"type {type}",
    };
}
