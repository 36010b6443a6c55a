using System.Runtime.InteropServices;
using System.Text;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Output;

/// <summary>
/// Adds a section that is not loaded (SHT_PROGBITS, no flags, in no PT_LOAD) to an image <see cref="ElfImageWriter"/>
/// wrote, after the image hash is known: its contents may depend on that hash (uk_sbom records it) and cannot change
/// it, because the hash covers only what is loaded. The image keeps ElfImageWriter's tail order: its
/// <c>.shstrtab</c> (now with the new name) is followed by the new section's bytes and the section header table, in which
/// the new section comes just before <c>.shstrtab</c>, which stays last. Nothing loaded moves.
/// </summary>
public static class NonLoadedSection
{
    public static byte[] Append(byte[] image, string name, ReadOnlySpan<byte> contents)
    {
        var header = MemoryMarshal.Read<Elf64Header>(image);
        int count = header.SectionCount, entrySize = header.SectionHeaderEntrySize;
        long table = checked((long)header.SectionHeaderOffset);
        if (entrySize != SectionHeaderSize || header.SectionNameTableIndex != count - 1 || table + (long)count * entrySize != image.Length)
            throw new LinkerException($"cannot add section {name}: the image does not end in .shstrtab's header table as uk-ld writes it");
        var headers = Enumerable.Range(0, count)
            .Select(i => MemoryMarshal.Read<Elf64SectionHeader>(image.AsSpan(checked((int)table + i * entrySize), entrySize))).ToArray();
        var names = headers[count - 1];
        if (checked((long)(names.Offset + names.Size)) > table)
            throw new LinkerException($"cannot add section {name}: .shstrtab does not precede the section header table");

        int namesStart = checked((int)names.Offset);
        byte[] nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        int newNamesSize = checked((int)names.Size + nameBytes.Length);
        int contentsStart = namesStart + newNamesSize;
        int newTable = checked((int)Align8((ulong)(contentsStart + contents.Length)));
        var result = new byte[newTable + (count + 1) * entrySize];
        image.AsSpan(0, namesStart + (int)names.Size).CopyTo(result);
        nameBytes.CopyTo(result.AsSpan(namesStart + (int)names.Size));
        contents.CopyTo(result.AsSpan(contentsStart));

        var added = new Elf64SectionHeader
        {
            NameOffset = (uint)names.Size,
            Type = SHT_PROGBITS,
            Offset = (ulong)contentsStart,
            Size = (ulong)contents.Length,
            Alignment = 1,
        };
        names.Size = (ulong)newNamesSize;
        var written = headers[..^1].Append(added).Append(names).ToArray();
        for (int i = 0; i < written.Length; i++)
            MemoryMarshal.Write(result.AsSpan(newTable + i * entrySize), in written[i]);

        var elf = header;
        elf.SectionHeaderOffset = (ulong)newTable;
        elf.SectionCount = (ushort)(count + 1);
        elf.SectionNameTableIndex = (ushort)count;
        MemoryMarshal.Write(result, in elf);
        return result;
    }

    private static ulong Align8(ulong value) => (value + 7) & ~7UL;
}
