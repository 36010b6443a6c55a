using System.Runtime.InteropServices;
using System.Text;

namespace Unikernel.Tools.Inspect;

/// <summary>Thrown when a file is not an ELF64 little-endian file `uk inspect` can read.</summary>
public sealed class NotAnElfException(string message) : Exception(message);

public sealed record ElfProgramHeader(int Index, uint Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong FileSize,
                                      ulong MemorySize, ulong Alignment)
{
    public const uint Load = ElfConstants.PT_LOAD, Note = ElfConstants.PT_NOTE, Tls = ElfConstants.PT_TLS;
    /// <summary>Where a boot loader puts the segment in guest memory (PVH loaders use it, not the virtual address).</summary>
    public ulong PhysicalAddress { get; init; }
    public bool IsLoad => Type == Load;
    public bool Executable => (Flags & ElfConstants.PF_X) != 0;
    public bool Writable => (Flags & ElfConstants.PF_W) != 0;
    /// <summary>As the link map writes segment flags: "R-X", "RW-", "R--".</summary>
    public string FlagsText => $"{((Flags & ElfConstants.PF_R) != 0 ? 'R' : '-')}{(Writable ? 'W' : '-')}{(Executable ? 'X' : '-')}";
    public bool ContainsAddress(ulong address) => address >= VirtualAddress && address < VirtualAddress + MemorySize;
}

public sealed record ElfSection(int Index, string Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link = 0)
{
    public const uint NoBits = ElfConstants.SHT_NOBITS;
    public bool IsAllocated => (Flags & ElfConstants.SHF_ALLOC) != 0;
    public bool IsWritable => (Flags & ElfConstants.SHF_WRITE) != 0;
    public bool IsExecutable => (Flags & ElfConstants.SHF_EXECINSTR) != 0;
    /// <summary>Bytes the section takes in the file (0 for SHT_NOBITS such as .bss).</summary>
    public ulong FileSize => Type == NoBits ? 0 : Size;
}

/// <summary>
/// A minimal read-only ELF64 little-endian reader: the header, program headers and section headers, and the
/// bytes behind them. Enough for `uk inspect`; it trusts nothing (every offset is range-checked).
/// </summary>
public sealed class ElfFile
{
    public const int HeaderSize = ElfConstants.ElfHeaderSize;

    public byte[] Bytes { get; }
    public ushort Type { get; }
    public ushort Machine { get; }
    public ulong Entry { get; }
    public ulong ProgramHeaderOffset { get; }
    public ulong SectionHeaderOffset { get; }
    public int ProgramHeaderEntrySize { get; }
    public int SectionHeaderEntrySize { get; }
    public IReadOnlyList<ElfProgramHeader> ProgramHeaders { get; }
    public IReadOnlyList<ElfSection> Sections { get; }

    public long FileSize => Bytes.LongLength;
    public IEnumerable<ElfProgramHeader> Loads => ProgramHeaders.Where(p => p.IsLoad);

    private ElfFile(byte[] bytes)
    {
        Bytes = bytes;
        if (bytes.Length < HeaderSize || MemoryMarshal.Read<Elf64Header>(bytes).Magic != ElfConstants.ELFMAG)
            throw new NotAnElfException("not an ELF file (no \\x7fELF magic)");
        if (bytes[ElfConstants.EI_CLASS] != ElfConstants.ELFCLASS64) throw new NotAnElfException("not a 64-bit ELF file (EI_CLASS is not ELFCLASS64)");
        if (bytes[ElfConstants.EI_DATA] != ElfConstants.ELFDATA2LSB) throw new NotAnElfException("not a little-endian ELF file");
        var span = bytes.AsSpan();
        var header = MemoryMarshal.Read<Elf64Header>(span);
        Type = header.Type;
        Machine = header.Machine;
        Entry = header.Entry;
        ProgramHeaderOffset = header.ProgramHeaderOffset;
        SectionHeaderOffset = header.SectionHeaderOffset;
        ProgramHeaderEntrySize = header.ProgramHeaderEntrySize;
        int phnum = header.ProgramHeaderCount;
        SectionHeaderEntrySize = header.SectionHeaderEntrySize;
        int shnum = header.SectionCount;
        int shstrndx = header.SectionNameTableIndex;

        var phdrs = new List<ElfProgramHeader>();
        if (phnum > 0)
        {
            if (ProgramHeaderEntrySize < ElfConstants.ProgramHeaderSize)
                throw new NotAnElfException($"program header entries of {ProgramHeaderEntrySize} bytes (expected {ElfConstants.ProgramHeaderSize})");
            for (int i = 0; i < phnum; i++)
            {
                ulong at = ProgramHeaderOffset + (ulong)(i * ProgramHeaderEntrySize);
                if (!InFile(at, ElfConstants.ProgramHeaderSize)) throw new NotAnElfException($"truncated or corrupt: program header {i} lies past the end of the file ({bytes.Length:N0} bytes)");
                var p = MemoryMarshal.Read<Elf64ProgramHeader>(span[(int)at..]);
                phdrs.Add(new ElfProgramHeader(i, p.Type, p.Flags, p.Offset, p.VirtualAddress, p.FileSize, p.MemorySize, p.Alignment) { PhysicalAddress = p.PhysicalAddress });
            }
        }
        ProgramHeaders = phdrs;

        var raw = new List<(uint Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link)>();
        if (shnum > 0 && SectionHeaderOffset != 0 && SectionHeaderEntrySize >= ElfConstants.SectionHeaderSize)
        {
            for (int i = 0; i < shnum; i++)
            {
                ulong at = SectionHeaderOffset + (ulong)(i * SectionHeaderEntrySize);
                if (!InFile(at, ElfConstants.SectionHeaderSize)) { raw.Clear(); break; }   // a damaged section table: keep the program headers' view
                var s = MemoryMarshal.Read<Elf64SectionHeader>(span[(int)at..]);
                raw.Add((s.NameOffset, s.Type, s.Flags, s.Address, s.Offset, s.Size, s.Link));
            }
        }
        if (shnum > 0 && SectionHeaderOffset != 0 && raw.Count == 0)
            Damage = $"truncated: the section table at offset {SectionHeaderOffset:N0} lies past the end of the file ({bytes.Length:N0} bytes)";
        var sections = new List<ElfSection>();
        (ulong Offset, ulong Size)? names = shstrndx < raw.Count ? (raw[shstrndx].Offset, raw[shstrndx].Size) : null;
        for (int i = 0; i < raw.Count; i++)
        {
            var r = raw[i];
            string name = names is { } n && r.Name < n.Size ? CString(n.Offset + r.Name, n.Offset + n.Size) : "";
            sections.Add(new ElfSection(i, name, r.Type, r.Flags, r.Address, r.Offset, r.Size, r.Link));
        }
        Sections = sections;
        Damage ??= FindDamage();
    }

    /// <summary>
    /// Why the file cannot be what its headers say, one line starting "truncated" (bytes the headers point to are past
    /// its end) or "corrupt" (sizes and addresses that cannot be); null for a whole, consistent file. Figures computed
    /// from such a file would be impossible, so readers refuse it or say so.
    /// </summary>
    public string? Damage { get; }

    private string? FindDamage()
    {
        foreach (var p in ProgramHeaders)
        {
            if (p.Offset + p.FileSize < p.Offset || p.VirtualAddress + p.MemorySize < p.VirtualAddress)
                return $"corrupt: program header {p.Index} has an offset or size that overflows";
            if (p.IsLoad && p.FileSize > p.MemorySize)
                return $"corrupt: program header {p.Index} has more file bytes ({p.FileSize:N0}) than memory bytes ({p.MemorySize:N0})";
            if ((p.IsLoad || p.Type == ElfProgramHeader.Note) && !InFile(p.Offset, p.FileSize))
                return $"truncated: segment {p.Index} needs the file's bytes up to {p.Offset + p.FileSize:N0}, the file has {Bytes.LongLength:N0}";
        }
        foreach (var section in Sections)
        {
            if (section.Type == ElfSection.NoBits || section.Type == ElfConstants.SHT_NULL) continue;
            if (section.Offset + section.Size < section.Offset) return $"corrupt: section {section.Index} has an offset or size that overflows";
            if (!InFile(section.Offset, section.Size))
                return $"truncated: section {section.Index} ({section.Name}) needs the file's bytes up to {section.Offset + section.Size:N0}, the file has {Bytes.LongLength:N0}";
        }
        return null;
    }

    /// <summary>Files larger than this are no image uk reads (the largest sample image is ~20 MiB).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>
    /// Reads at most <see cref="MaxFileBytes"/>, and only as many bytes as the file's size says: a device such as
    /// /dev/zero has size 0 and is refused instead of read until memory runs out.
    /// </summary>
    public static ElfFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        long length = stream.Length;
        if (length == 0) throw new NotAnElfException("empty (0 bytes), or not a regular file");
        if (length > MaxFileBytes) throw new NotAnElfException($"{length:N0} bytes, larger than any image uk reads ({MaxFileBytes >> 30} GiB)");
        var bytes = new byte[length];
        try { stream.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw new NotAnElfException("shorter than its size says (changed while it was read?)"); }
        return Parse(bytes);
    }

    public static ElfFile Parse(byte[] bytes) => new(bytes);

    /// <summary>The PVH entry note (Xen ELF note 18) marks a bootable kernel image.</summary>
    public bool HasPvhNote => ProgramHeaders.Where(p => p.Type == ElfProgramHeader.Note).Any(p => NoteTypes(p).Contains(ElfConstants.XEN_ELFNOTE_PHYS32_ENTRY));

    public ElfSection? FindSection(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>The file bytes of a section, or null when they are not in the file.</summary>
    public byte[]? SectionBytes(ElfSection section)
        => section.Type != ElfSection.NoBits && InFile(section.Offset, section.Size) ? Bytes.AsSpan((int)section.Offset, (int)section.Size).ToArray() : null;

    /// <summary>Bytes at a virtual address, through the PT_LOAD that holds them in the file; null if none does.</summary>
    public byte[]? ReadVirtual(ulong address, ulong size)
    {
        foreach (var load in Loads)
        {
            if (address >= load.VirtualAddress && address + size <= load.VirtualAddress + load.FileSize)
            {
                ulong offset = load.Offset + (address - load.VirtualAddress);
                if (InFile(offset, size)) return Bytes.AsSpan((int)offset, (int)size).ToArray();
            }
        }
        return null;
    }

    /// <summary>The STT_FUNC symbols of .symtab with their sizes (an unstripped static executable's functions).</summary>
    public IReadOnlyList<(ulong Address, ulong Size, string Name)> FunctionSymbols()
    {
        var result = new List<(ulong, ulong, string)>();
        foreach (var symtab in Sections.Where(s => s.Type == ElfConstants.SHT_SYMTAB))
        {
            if (symtab.Link >= Sections.Count) continue;
            var strings = Sections[(int)symtab.Link];
            if (!InFile(symtab.Offset, symtab.Size) || !InFile(strings.Offset, strings.Size)) continue;
            for (ulong at = symtab.Offset; at + ElfConstants.SymbolSize <= symtab.Offset + symtab.Size; at += ElfConstants.SymbolSize)
            {
                var e = MemoryMarshal.Read<Elf64Symbol>(Bytes.AsSpan((int)at, ElfConstants.SymbolSize));
                if (e.Type != ElfConstants.STT_FUNC) continue;
                if (e.NameOffset >= strings.Size) continue;
                result.Add((e.Value, e.Size, CString(strings.Offset + e.NameOffset, strings.Offset + strings.Size)));
            }
        }
        return result;
    }

    /// <summary>The bytes of the ELF header and the program header table (when it follows the header).</summary>
    public ulong HeadersSize
    {
        get
        {
            ulong end = HeaderSize;
            if (ProgramHeaders.Count > 0) end = Math.Max(end, ProgramHeaderOffset + (ulong)(ProgramHeaders.Count * ProgramHeaderEntrySize));
            return end;
        }
    }

    public ulong SectionTableSize => Sections.Count == 0 ? 0 : (ulong)(Sections.Count * SectionHeaderEntrySize);

    private IEnumerable<uint> NoteTypes(ElfProgramHeader note)
    {
        ulong at = note.Offset, end = note.Offset + note.FileSize;
        ulong align = Math.Max(4, note.Alignment);
        while (at + ElfConstants.NoteHeaderSize <= end && InFile(at, ElfConstants.NoteHeaderSize))
        {
            var h = MemoryMarshal.Read<Elf64NoteHeader>(Bytes.AsSpan((int)at, ElfConstants.NoteHeaderSize));
            yield return h.Type;
            at += ElfConstants.NoteHeaderSize + Align(h.NameSize, align) + Align(h.DescriptorSize, align);
        }
    }

    private static ulong Align(ulong value, ulong align) => (value + align - 1) / align * align;

    private bool InFile(ulong offset, ulong size) => offset <= (ulong)Bytes.LongLength && size <= (ulong)Bytes.LongLength - offset;

    private string CString(ulong at, ulong limit)
    {
        if (at >= (ulong)Bytes.Length) return "";
        int end = (int)at;
        int max = (int)Math.Min(limit, (ulong)Bytes.Length);
        while (end < max && Bytes[end] != 0) end++;
        return Encoding.UTF8.GetString(Bytes, (int)at, end - (int)at);
    }

}
