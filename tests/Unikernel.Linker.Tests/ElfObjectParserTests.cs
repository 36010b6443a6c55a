using System.Buffers.Binary;
using Unikernel.Linker.Input;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Corruptions the span-based parser checks itself (LibObjectFile used to catch them): each must be a
/// one-line <see cref="LinkerException"/> naming the file, decided before anything is allocated from a
/// size read out of the file.
/// </summary>
public class ElfObjectParserTests
{
    private const string Path = "corrupt.o";

    [Fact]
    public void SymbolWithExtendedSectionIndexButNoIndexTableIsRejected()
    {
        byte[] bytes = LinkTests.Caller().Build();
        var (offset, _) = Section(bytes, ElfConstants.SHT_SYMTAB);
        // Symbol 1's st_shndx := SHN_XINDEX.
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)offset + ElfConstants.SymbolSize + 6), ElfConstants.SHN_XINDEX);

        var error = Assert.Throws<LinkerException>(() => ElfObjectParser.Read(Path, 0, bytes));

        Assert.Equal(Path, error.File);
        Assert.Contains("SHN_XINDEX", error.Problem);
    }

    [Fact]
    public void SymbolTableLinkedToANonStringTableIsRejected()
    {
        byte[] bytes = LinkTests.Caller().Build();
        int header = SectionHeaderOffset(bytes, ElfConstants.SHT_SYMTAB);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(header + 40), 0); // sh_link := 0

        var error = Assert.Throws<LinkerException>(() => ElfObjectParser.Read(Path, 0, bytes));

        Assert.Contains("is not a string table", error.Problem);
    }

    [Fact]
    public void SymbolNameOutsideTheStringTableIsRejected()
    {
        byte[] bytes = LinkTests.Caller().Build();
        var (offset, _) = Section(bytes, ElfConstants.SHT_SYMTAB);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)offset + ElfConstants.SymbolSize), 0x7fff_ffff);

        var error = Assert.Throws<LinkerException>(() => ElfObjectParser.Read(Path, 0, bytes));

        Assert.Contains("outside the string table", error.Problem);
    }

    [Fact]
    public void HugeSectionCountIsRejectedBeforeAllocation()
    {
        byte[] bytes = LinkTests.Caller().Build();
        // Extended numbering (e_shnum = 0) with section 0 claiming 2^60 sections.
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(60), 0);
        int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(table + 32), 1UL << 60);

        var error = Assert.Throws<LinkerException>(() => ElfObjectParser.Read(Path, 0, bytes));

        Assert.StartsWith("truncated file: section header table", error.Problem);
    }

    [Fact]
    public void ArchiveMemberIsParsedInPlace()
    {
        byte[] object_ = LinkTests.Caller().Build();
        var image = new byte[object_.Length + 100];
        object_.CopyTo(image, 37);

        var file = ElfObjectParser.Read("lib.a(caller.o)", 3, image.AsSpan(37, object_.Length));

        Assert.Equal(3, file.Order);
        Assert.Contains(file.Symbols, symbol => symbol.Name == "callee");
    }

    private static int SectionHeaderOffset(byte[] bytes, uint type)
    {
        int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(60));
        for (int i = 1; i < count; i++)
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(table + i * 64 + 4)) == type)
                return table + i * 64;
        throw new InvalidOperationException($"no section of type {type}");
    }

    private static (ulong Offset, ulong Size) Section(byte[] bytes, uint type)
    {
        int header = SectionHeaderOffset(bytes, type);
        return (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(header + 24)),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(header + 32)));
    }
}
