using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Input;

/// <summary>
/// The <c>read</c> pass, per object: turns one ELF64 x86-64 relocatable object into plain model objects, decoding the
/// section headers, symbol table, RELA tables and COMDAT groups straight from the file bytes. Nothing else is
/// materialised: tables of debug sections are never decoded, and neither section contents nor relocation tables are
/// copied (a section refers to its bytes and its RELA table in the input; the image writer copies the live sections
/// into the output). Every way a file can be malformed ends as a <see cref="LinkerException"/> naming the file; every
/// size read from the file is checked against the file's length before anything is allocated from it. Our own reader,
/// not LibObjectFile's: its object model cost 200-300 ms on a 62 MB ILC object (docs/benchmarks.md, "Link time").
/// </summary>
public static class ElfObjectParser
{
    private const int SymbolEntrySize = SymbolSize;
    private const int RelaEntrySize = Relocation.Size;
    private const ulong MaxSectionAlignment = 1UL << 32;

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
        return Read(path, order, bytes, 0, bytes.Length);
    }

    /// <summary>Parses a copy of <paramref name="image"/> (symbol names stay views of the buffer they were read from).</summary>
    public static InputFile Read(string path, int order, ReadOnlySpan<byte> image) =>
        Read(path, order, image.ToArray(), 0, image.Length);

    /// <summary>Parses the <paramref name="length"/> bytes at <paramref name="start"/> of <paramref name="buffer"/>,
    /// which may be a larger buffer (an archive), so members are parsed without being copied out first. The
    /// buffer must not change afterwards: symbol names are views of its string table.</summary>
    public static InputFile Read(string path, int order, byte[] buffer, int start, int length) =>
        Read(path, order, buffer, new ReadOnlySpan<byte>(buffer, start, length), start);

    /// <summary>Parses a whole mapped file; symbol names stay views of the mapping.</summary>
    public static InputFile Read(string path, int order, MappedFile file) => Read(path, order, file, file.Span, 0);

    /// <summary>An archive member, parsed where it lies in the archive's bytes.</summary>
    public static InputFile Read(string path, int order, Archive archive, ArchiveMember member) =>
        Read(path, order, archive.Owner, archive.Bytes.Slice(member.DataOffset, member.Size), member.DataOffset);

    private static InputFile Read(string path, int order, object owner, ReadOnlySpan<byte> image, int start)
    {
        try
        {
            return Parse(path, order, owner, image, start);
        }
        catch (LinkerException)
        {
            throw;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Every read below is bounds-checked first; this is the backstop that keeps the promise
            // "a corrupt input is a linker error" should a check ever be missing.
            throw new LinkerException($"corrupt ELF file: {error.Message}", file: path);
        }
    }

    /// <summary><paramref name="image"/> is the object's bytes, at <paramref name="start"/> in
    /// <paramref name="owner"/> (a byte[] or a <see cref="MappedFile"/>).</summary>
    private static InputFile Parse(string path, int order, object owner, ReadOnlySpan<byte> image, int start)
    {
        var header = CheckIdentity(path, image);
        var headers = ReadSectionHeaders(path, image, header, out int nameTableIndex);
        var sectionNames = SectionNameTable(path, image, headers, nameTableIndex);

        var file = new InputFile(path, order);
        var sections = new InputSection?[headers.Length];
        int symbolTableIndex = -1;
        for (int i = 1; i < headers.Length; i++)
        {
            ref readonly var section = ref headers[i];
            string name = sectionNames.Get(section.NameOffset);
            if (section.Type == SHT_SYMTAB)
            {
                if (symbolTableIndex >= 0)
                    throw new LinkerException("corrupt ELF file: more than one symbol table", file: path, section: name);
                symbolTableIndex = i;
            }
            sections[i] = MakeSection(path, file, owner, start, section, name);
        }
        file.Sections = sections;

        file.Symbols = symbolTableIndex < 0 ? [] : ReadSymbols(path, owner, start, image, headers, sections, symbolTableIndex);

        for (int i = 1; i < headers.Length; i++)
            if (headers[i].Type == SHT_GROUP)
                ReadGroup(path, file, image, headers[i], sections[i]!.Name, symbolTableIndex >= 0);

        for (int i = 1; i < headers.Length; i++)
            if (headers[i].Type is SHT_RELA or SHT_REL)
                ReadRelocations(path, file, owner, start, image, headers[i], sections[i]!.Name);

        return file;
    }

    /// <summary>The header checks come first so that the common mistakes get a precise message
    /// instead of a generic "corrupt" one.</summary>
    private static Elf64Header CheckIdentity(string path, ReadOnlySpan<byte> image)
    {
        if (image.Length < 4 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            throw new LinkerException("not an ELF file", file: path);
        if (image.Length < ElfHeaderSize)
            throw new LinkerException("truncated ELF header", file: path);
        if (image[EI_CLASS] != ELFCLASS64)
            throw new LinkerException("not a 64-bit ELF file (ELFCLASS32)", file: path);
        if (image[EI_DATA] != ELFDATA2LSB)
            throw new LinkerException("not a little-endian ELF file", file: path);

        var header = MemoryMarshal.Read<Elf64Header>(image);
        if (header.Machine != EM_X86_64)
            throw new LinkerException($"wrong machine {MachineName(header.Machine)} ({header.Machine}), expected EM_X86_64",
                file: path);
        if (header.Type != ET_REL)
            throw new LinkerException($"not a relocatable object ({FileTypeName(header.Type)}), expected ET_REL", file: path);
        return header;
    }

    /// <summary>Decodes the section header table after checking that it, and every section's contents,
    /// lie inside the file, and that tables have the entry size the decoders assume.</summary>
    private static Elf64SectionHeader[] ReadSectionHeaders(string path, ReadOnlySpan<byte> image, Elf64Header header,
        out int nameTableIndex)
    {
        ulong tableOffset = header.SectionHeaderOffset;
        ulong count = header.SectionCount;
        nameTableIndex = header.SectionNameTableIndex;
        bool extendedNumbering = count == 0 && tableOffset != 0;
        if ((count != 0 || extendedNumbering) && header.SectionHeaderEntrySize != SectionHeaderSize)
            throw new LinkerException($"corrupt ELF file: section header entry size {header.SectionHeaderEntrySize}",
                file: path);
        if (extendedNumbering)
        {
            // More than 0xff00 sections: e_shnum is 0 and the count is section 0's sh_size (and a large
            // e_shstrndx is in its sh_link), as the gABI's extended section numbering says.
            if (tableOffset > (ulong)image.Length || (ulong)image.Length - tableOffset < SectionHeaderSize)
                throw new LinkerException("truncated file: section header table extends past the end", file: path);
            var first = MemoryMarshal.Read<Elf64SectionHeader>(image.Slice((int)tableOffset, SectionHeaderSize));
            count = first.Size;
            if (nameTableIndex == SHN_XINDEX)
                nameTableIndex = (int)Math.Min(first.Link, int.MaxValue);
        }
        // Checked before allocating: a corrupt count can not ask for more headers than the file holds.
        if (tableOffset > (ulong)image.Length || ((ulong)image.Length - tableOffset) / SectionHeaderSize < count)
            throw new LinkerException("truncated file: section header table extends past the end", file: path);

        var headers = new Elf64SectionHeader[(int)count];
        var table = image[(int)tableOffset..];
        for (int i = 0; i < headers.Length; i++)
        {
            var section = MemoryMarshal.Read<Elf64SectionHeader>(table.Slice(i * SectionHeaderSize, SectionHeaderSize));
            if (i > 0)
                CheckSectionBounds(path, image.Length, i, section);
            headers[i] = section;
        }
        return headers;
    }

    private static void CheckSectionBounds(string path, int fileLength, int index, in Elf64SectionHeader section)
    {
        if (section.HasFileContents && (section.Offset > (ulong)fileLength || (ulong)fileLength - section.Offset < section.Size))
            throw new LinkerException(
                $"truncated or corrupt file: section {index} (offset 0x{section.Offset:x}, size 0x{section.Size:x}) extends past the end",
                file: path);
        bool isTable = section.Type is SHT_RELA or SHT_SYMTAB;
        if (isTable && (section.EntrySize != RelaEntrySize || section.Size % RelaEntrySize != 0))
            throw new LinkerException(
                $"corrupt ELF file: section {index} has entry size {section.EntrySize} and size 0x{section.Size:x}, expected 24-byte entries",
                file: path);
    }

    private static ElfStringTable SectionNameTable(string path, ReadOnlySpan<byte> image, Elf64SectionHeader[] headers,
        int index)
    {
        if (index == SHN_UNDEF)
            return ElfStringTable.Empty(path);
        if (index >= headers.Length || headers[index].Type != SHT_STRTAB)
            throw new LinkerException($"corrupt ELF file: section name table index {index} is not a string table", file: path);
        return new ElfStringTable(Contents(image, headers[index]), path, ".shstrtab");
    }

    /// <summary>Only valid after <see cref="CheckSectionBounds"/> accepted the header.</summary>
    private static ReadOnlySpan<byte> Contents(ReadOnlySpan<byte> image, in Elf64SectionHeader section) =>
        section.HasFileContents ? image.Slice((int)section.Offset, (int)section.Size) : [];

    private static InputSection MakeSection(string path, InputFile file, object owner, int start,
        in Elf64SectionHeader section, string name)
    {
        ulong alignment = section.Alignment;
        if (alignment > 1 && (alignment & (alignment - 1)) != 0)
            throw new LinkerException($"corrupt ELF file: section alignment {alignment} is not a power of two",
                file: path, section: name);
        // Like lld: no real section asks for more than 4 GiB, and the layout's arithmetic stays far from wrapping.
        if (alignment > MaxSectionAlignment)
            throw new LinkerException($"corrupt ELF file: section alignment 0x{alignment:x} is too large (at most 0x{MaxSectionAlignment:x})",
                file: path, section: name);

        bool loadable = (section.Flags & SHF_ALLOC) != 0 && section.Type is not (SHT_NULL or SHT_SYMTAB or SHT_STRTAB
            or SHT_RELA or SHT_REL or SHT_GROUP);
        // Loadable contents stay in the input (mapped, mostly): the image writer copies the sections that survive
        // --gc-sections straight into the output, where relocation patches them.
        if (loadable && section.Type != SHT_NOBITS)
            return new InputSection(file, name, section.Type, section.Flags, alignment, section.Size, owner,
                start + (int)section.Offset);

        // Non-loadable sections still get a (dead) model object so that symbols defined in them
        // (debug info, group signatures) have somewhere to point.
        return new InputSection(file, name, section.Type, section.Flags, alignment, section.Size, null) { IsLive = loadable };
    }

    private static Symbol[] ReadSymbols(string path, object owner, int start, ReadOnlySpan<byte> image, Elf64SectionHeader[] headers,
        InputSection?[] sections, int symbolTableIndex)
    {
        ref readonly var table = ref headers[symbolTableIndex];
        string tableName = sections[symbolTableIndex]!.Name;
        uint stringTableIndex = table.Link;
        if (stringTableIndex == 0 || stringTableIndex >= (uint)headers.Length || headers[stringTableIndex].Type != SHT_STRTAB)
            throw new LinkerException($"corrupt ELF file: symbol table links to section {stringTableIndex}, which is not a string table",
                file: path, section: tableName);
        int count = (int)(table.Size / SymbolEntrySize);
        ExtendedSectionIndices(path, image, headers, symbolTableIndex, count); // checked up front, before any symbol

        var symbols = new Symbol[count];
        if (count < ParallelSymbolChunk * 2)
        {
            ReadSymbolRange(path, owner, start, image, headers, sections, symbolTableIndex, symbols, 0, count);
            return symbols;
        }
        // An ILC object has ~100k symbols with long names to hash: chunks on every core. A corrupt entry
        // is reported as a sequential read would: the lowest-numbered chunk's first error.
        int chunks = (count + ParallelSymbolChunk - 1) / ParallelSymbolChunk;
        var failures = new LinkerException?[chunks];
        int imageLength = image.Length;
        var measured = MeasureNamesInTableOrder(owner, start, headers[stringTableIndex], Contents(image, table), count);
        Parallel.For(0, chunks, chunk =>
        {
            int first = chunk * ParallelSymbolChunk;
            try
            {
                ReadSymbolRange(path, owner, start, MappedFile.View(owner, start, imageLength), headers, sections, symbolTableIndex,
                    symbols, first, Math.Min(count, first + ParallelSymbolChunk), measured);
            }
            catch (LinkerException error)
            {
                failures[chunk] = error;
            }
        });
        foreach (var failure in failures)
            if (failure is not null)
                throw failure;
        return symbols;
    }

    private const int ParallelSymbolChunk = 16384;

    /// <summary>Each name's length and hash, or -1 for a name <see cref="ElfStringTable.Measure"/> rejects.</summary>
    private sealed record MeasuredNames(int[] Lengths, int[] Hashes);

    /// <summary>
    /// An ILC object's names lie in no particular order in .strtab: visiting them in symbol order is a random walk over
    /// 13 MB (a cache and TLB miss, often a page fault, per name: most of the symbol read on an ASP.NET Core app).
    /// So the names are measured and hashed first in .strtab order -- a counting sort of the symbols by the 4 KiB page
    /// their name starts in -- and the symbols are then made in table order from the results.
    /// </summary>
    private static MeasuredNames MeasureNamesInTableOrder(object owner, int start, in Elf64SectionHeader strings,
        ReadOnlySpan<byte> entries, int count)
    {
        const int PageShift = 12;
        int namesStart = start + (int)strings.Offset;
        int namesLength = (int)strings.Size;
        int pages = (namesLength >> PageShift) + 1;
        var nameOffsets = new uint[count];
        var pageStarts = new int[pages + 1];
        for (int i = 0; i < count; i++)
        {
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(entries[(i * SymbolEntrySize)..]);
            nameOffsets[i] = offset;
            pageStarts[Math.Min(offset >> PageShift, (uint)pages - 1) + 1]++;
        }
        for (int page = 1; page <= pages; page++)
            pageStarts[page] += pageStarts[page - 1];
        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[pageStarts[Math.Min(nameOffsets[i] >> PageShift, (uint)pages - 1)]++] = i;

        var lengths = new int[count];
        var hashes = new int[count];
        int chunks = (count + ParallelSymbolChunk - 1) / ParallelSymbolChunk;
        Parallel.For(0, chunks, chunk =>
        {
            var names = MappedFile.View(owner, namesStart, namesLength);
            int end = Math.Min(count, (chunk + 1) * ParallelSymbolChunk);
            for (int k = chunk * ParallelSymbolChunk; k < end; k++)
            {
                int i = order[k];
                uint offset = nameOffsets[i];
                int length = ElfStringTable.TryMeasure(names, offset);
                lengths[i] = length;
                if (length >= 0)
                    hashes[i] = SymbolName.Hash(names.Slice((int)offset, length));
            }
        });
        return new MeasuredNames(lengths, hashes);
    }

    private static void ReadSymbolRange(string path, object owner, int start, ReadOnlySpan<byte> image,
        Elf64SectionHeader[] headers, InputSection?[] sections, int symbolTableIndex, Symbol[] symbols, int first, int end,
        MeasuredNames? measured = null)
    {
        ref readonly var table = ref headers[symbolTableIndex];
        string tableName = sections[symbolTableIndex]!.Name;
        uint stringTableIndex = table.Link;
        var names = new ElfStringTable(Contents(image, headers[stringTableIndex]), path, sections[stringTableIndex]!.Name);
        int namesStart = start + (int)headers[stringTableIndex].Offset;
        var entries = Contents(image, table);
        var extendedIndices = ExtendedSectionIndices(path, image, headers, symbolTableIndex, symbols.Length);
        var mapped = owner as MappedFile;
        for (int i = first; i < end; i++)
        {
            var entry = MemoryMarshal.Read<Elf64Symbol>(entries.Slice(i * SymbolEntrySize, SymbolEntrySize));
            SymbolName name;
            if (measured is not null && measured.Lengths[i] >= 0)
            {
                name = mapped is not null
                    ? new SymbolName(mapped, namesStart + (int)entry.NameOffset, measured.Lengths[i], measured.Hashes[i])
                    : new SymbolName((byte[])owner, namesStart + (int)entry.NameOffset, measured.Lengths[i], measured.Hashes[i]);
            }
            else
            {
                int nameLength = names.Measure(entry.NameOffset); // throws for the names measuring rejected
                name = mapped is not null
                    ? new SymbolName(mapped, namesStart + (int)entry.NameOffset, nameLength)
                    : new SymbolName((byte[])owner, namesStart + (int)entry.NameOffset, nameLength);
            }
            var symbol = new Symbol(name, entry.Binding, entry.Type)
            {
                Size = entry.Size,
                Value = entry.Value,
            };
            if (i == 0)
            {
                // The null symbol: relocations against it mean "no symbol", i.e. S = 0.
                symbol.Kind = SymbolKind.Absolute;
                symbol.Value = 0;
            }
            else
            {
                Place(path, tableName, symbol, entry.SectionIndex, i, extendedIndices, sections);
            }
            symbols[i] = symbol;
        }
    }

    /// <summary>Sets where a symbol is defined from its st_shndx.</summary>
    private static void Place(string path, string tableName, Symbol symbol, ushort sectionIndex, int symbolIndex,
        ReadOnlySpan<byte> extendedIndices, InputSection?[] sections)
    {
        uint index = sectionIndex;
        switch (sectionIndex)
        {
            case SHN_UNDEF:
                symbol.Kind = SymbolKind.Undefined;
                return;
            case SHN_ABS:
                symbol.Kind = SymbolKind.Absolute;
                return;
            case SHN_COMMON:
                // st_value is the alignment the tentative definition needs in .bss.
                if (symbol.Value > MaxSectionAlignment || (symbol.Value & (symbol.Value - 1)) != 0)
                    throw new LinkerException($"corrupt ELF file: COMMON symbol's alignment (st_value 0x{symbol.Value:x}) is not " +
                        $"a power of two of at most 0x{MaxSectionAlignment:x}", file: path, section: tableName, symbol: symbol.Name);
                symbol.Kind = SymbolKind.Common;
                return;
            case SHN_XINDEX:
                // The real index did not fit in 16 bits; it is in the SHT_SYMTAB_SHNDX table.
                if ((uint)symbolIndex >= (uint)(extendedIndices.Length / 4))
                    throw new LinkerException("corrupt ELF file: symbol has section index SHN_XINDEX but no SHT_SYMTAB_SHNDX entry",
                        file: path, section: tableName, symbol: symbol.Name);
                index = BinaryPrimitives.ReadUInt32LittleEndian(extendedIndices[(symbolIndex * 4)..]);
                break;
            case >= SHN_LORESERVE:
                throw new LinkerException($"corrupt ELF file: symbol has section index 0x{sectionIndex:x}",
                    file: path, section: tableName, symbol: symbol.Name);
        }
        symbol.Kind = SymbolKind.Section;
        symbol.Section = (index < (uint)sections.Length ? sections[index] : null)
            ?? throw new LinkerException("corrupt ELF file: symbol refers to a missing section", file: path,
                section: tableName, symbol: symbol.Name);
    }

    /// <summary>The SHT_SYMTAB_SHNDX table that belongs to the symbol table, or empty when there is none.</summary>
    private static ReadOnlySpan<byte> ExtendedSectionIndices(string path, ReadOnlySpan<byte> image,
        Elf64SectionHeader[] headers, int symbolTableIndex, int symbolCount)
    {
        for (int i = 1; i < headers.Length; i++)
        {
            if (headers[i].Type != SHT_SYMTAB_SHNDX || headers[i].Link != (uint)symbolTableIndex)
                continue;
            var indices = Contents(image, headers[i]);
            if (indices.Length / 4 < symbolCount)
                throw new LinkerException($"corrupt ELF file: SHT_SYMTAB_SHNDX section {i} is shorter than the symbol table",
                    file: path);
            return indices;
        }
        return [];
    }

    private static void ReadGroup(string path, InputFile file, ReadOnlySpan<byte> image, in Elf64SectionHeader group,
        string name, bool hasSymbolTable)
    {
        string groupName = name.Length == 0 ? ".group" : name;
        var contents = Contents(image, group);
        if (contents.Length < 4 || contents.Length % 4 != 0)
            throw new LinkerException("corrupt ELF file: malformed section group", file: path, section: groupName);

        uint groupFlags = BinaryPrimitives.ReadUInt32LittleEndian(contents);
        if ((groupFlags & GRP_COMDAT) == 0)
            return; // A plain group only ties sections together for -r links; nothing to deduplicate.

        // sh_info is the index of the signature symbol.
        uint signatureIndex = group.Info;
        if (!hasSymbolTable || signatureIndex >= (uint)file.Symbols.Length)
            throw new LinkerException("corrupt ELF file: section group signature symbol out of range", file: path,
                section: groupName);
        var signatureSymbol = file.Symbols[signatureIndex];
        string signature = signatureSymbol.Type == STT_SECTION && signatureSymbol.Section is not null
            ? signatureSymbol.Section.Name
            : signatureSymbol.Name;

        var members = new int[contents.Length / 4 - 1];
        for (int i = 0; i < members.Length; i++)
        {
            uint member = BinaryPrimitives.ReadUInt32LittleEndian(contents[(4 + i * 4)..]);
            if (member == 0 || member >= (uint)file.Sections.Length)
                throw new LinkerException($"corrupt ELF file: section group member {member} out of range", file: path,
                    section: groupName);
            members[i] = (int)member;
        }
        file.ComdatGroups.Add(new ComdatGroup(signature, groupName, members));
    }

    /// <summary>Checks every entry's symbol index, then leaves the table where it is (<see cref="Relocation"/>).</summary>
    private static void ReadRelocations(string path, InputFile file, object owner, int start, ReadOnlySpan<byte> image,
        in Elf64SectionHeader table, string tableName)
    {
        // sh_info names the target section. It is used whether or not SHF_INFO_LINK is set: compilers omit
        // that flag on relocation sections inside COMDAT groups (flag G only), as the NativeAOT runtime
        // archives show.
        uint targetIndex = table.Info;
        if (targetIndex == 0 || targetIndex >= (uint)file.Sections.Length)
            throw new LinkerException($"corrupt ELF file: relocation section targets section {targetIndex}, which does not exist",
                file: path, section: tableName);
        var targetSection = file.Sections[targetIndex];
        if (targetSection is null || !targetSection.IsLive)
            return; // Relocations for debug info and other dropped sections are never decoded.

        if (table.Type != SHT_RELA)
            throw new LinkerException("SHT_REL relocations are not supported on x86-64 (expected SHT_RELA)", file: path,
                section: tableName);

        var relocations = MemoryMarshal.Cast<byte, Relocation>(Contents(image, table));
        uint symbolCount = (uint)file.Symbols.Length;
        foreach (ref readonly var relocation in relocations)
            if (relocation.SymbolIndex >= symbolCount)
                throw new LinkerException($"corrupt ELF file: relocation symbol index {relocation.SymbolIndex} out of range",
                    file: path, section: targetSection.Name, offset: relocation.Offset);

        // An object may split one section's relocations over several tables; keep them all.
        if (targetSection.Relocations.Length == 0)
            targetSection.SetRelocations(owner, start + (int)table.Offset, relocations.Length);
        else
            targetSection.SetRelocations([.. targetSection.Relocations, .. relocations]);
    }

    internal static string MachineName(ushort machine) => machine switch
    {
        3 => "EM_386",
        40 => "EM_ARM",
        183 => "EM_AARCH64",
        243 => "EM_RISCV",
        _ => $"machine {machine}",
    };

    internal static string FileTypeName(ushort type) => type switch
    {
        0 => "ET_NONE",
        1 => "ET_REL",
        2 => "ET_EXEC",
        3 => "ET_DYN",
        4 => "ET_CORE",
        _ => $"type {type}",
    };
}
