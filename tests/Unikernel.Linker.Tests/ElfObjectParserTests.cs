using System.Buffers.Binary;
using Unikernel.Formats;
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

    // Past 32k symbols the names are measured in .strtab order, apart from the symbols (ElfObjectParser's
    // MeasureNamesInTableOrder): the names must still come out right, and of two bad ones the first in the table is
    // reported, as a symbol-by-symbol read would.
    [Fact]
    public void LargeSymbolTablesKeepTheirNamesAndReportTheFirstBadOne()
    {
        var builder = LinkTests.Caller();
        // Reversed, so that .strtab order and symbol order disagree.
        for (int i = 40_000; i > 0; i--)
            builder.Undefined($"name_{i}_{new string('x', i % 97)}");
        byte[] bytes = builder.Build();

        var file = ElfObjectParser.Read(Path, 0, bytes);
        var names = file.Symbols.Select(symbol => symbol.Name).ToHashSet();
        for (int i = 1; i <= 40_000; i++)
            Assert.Contains($"name_{i}_{new string('x', i % 97)}", names);
        Assert.All(file.Symbols, symbol => Assert.Equal(symbol.Key, Model.SymbolName.Of(symbol.Name)));

        var (offset, _) = Section(bytes, ElfConstants.SHT_SYMTAB);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)offset + 36_000 * ElfConstants.SymbolSize), 0x7fff_1111);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)offset + 20_000 * ElfConstants.SymbolSize), 0x7fff_0000);
        var error = Assert.Throws<LinkerException>(() => ElfObjectParser.Read(Path, 0, bytes));
        Assert.Contains("name offset 0x7fff0000 is outside the string table", error.Problem);
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
