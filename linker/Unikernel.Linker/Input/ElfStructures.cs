using System.Buffers.Binary;

namespace Unikernel.Linker.Input;

/// <summary>
/// The ELF64 little-endian records the object parser needs, decoded field by field from the file bytes
/// (gABI layouts). Each decoder takes a span that the caller has already bounds-checked, so a corrupt
/// file can make a decoder return nonsense values but never read outside the buffer.
/// </summary>
internal readonly struct ElfSectionHeader
{
    public readonly uint NameOffset;
    public readonly uint Type;
    public readonly ulong Flags;
    public readonly ulong Offset;
    public readonly ulong Size;
    public readonly uint Link;
    public readonly uint Info;
    public readonly ulong Alignment;
    public readonly ulong EntrySize;

    /// <summary>Decodes one Elf64_Shdr from its 64 bytes.</summary>
    public ElfSectionHeader(ReadOnlySpan<byte> entry)
    {
        NameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
        Type = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
        Flags = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
        // sh_addr (16..24) is always 0 in a relocatable object and unused here.
        Offset = BinaryPrimitives.ReadUInt64LittleEndian(entry[24..]);
        Size = BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]);
        Link = BinaryPrimitives.ReadUInt32LittleEndian(entry[40..]);
        Info = BinaryPrimitives.ReadUInt32LittleEndian(entry[44..]);
        Alignment = BinaryPrimitives.ReadUInt64LittleEndian(entry[48..]);
        EntrySize = BinaryPrimitives.ReadUInt64LittleEndian(entry[56..]);
    }

    /// <summary>Whether the section occupies bytes of the file (SHT_NOBITS and SHT_NULL do not).</summary>
    public bool HasFileContents => Type is not (ElfConstants.SHT_NOBITS or ElfConstants.SHT_NULL);
}

/// <summary>One Elf64_Sym (24 bytes).</summary>
internal readonly struct ElfSymbolEntry
{
    public readonly uint NameOffset;
    public readonly byte Info;
    public readonly ushort SectionIndex;
    public readonly ulong Value;
    public readonly ulong Size;

    public ElfSymbolEntry(ReadOnlySpan<byte> entry)
    {
        NameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
        Info = entry[4];
        // st_other (5) holds visibility, which a static link does not act on.
        SectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
        Value = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
        Size = BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]);
    }

    public byte Binding => (byte)(Info >> 4);
    public byte Type => (byte)(Info & 0xf);
}

/// <summary>The ELF header fields that locate the section header table (extended numbering resolved
/// by the parser, since it needs section 0).</summary>
internal readonly struct ElfFileHeader
{
    public const int Size = ElfConstants.ElfHeaderSize;

    public readonly ushort Type;
    public readonly ushort Machine;
    public readonly ulong SectionHeaderOffset;
    public readonly ushort SectionHeaderEntrySize;
    public readonly ushort SectionCount;
    public readonly ushort SectionNameTableIndex;

    public ElfFileHeader(ReadOnlySpan<byte> header)
    {
        Type = BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        Machine = BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
        SectionHeaderOffset = BinaryPrimitives.ReadUInt64LittleEndian(header[40..]);
        SectionHeaderEntrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[58..]);
        SectionCount = BinaryPrimitives.ReadUInt16LittleEndian(header[60..]);
        SectionNameTableIndex = BinaryPrimitives.ReadUInt16LittleEndian(header[62..]);
    }
}
