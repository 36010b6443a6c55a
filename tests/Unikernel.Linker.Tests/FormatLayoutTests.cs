using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Unikernel.Formats;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Pins the image formats of formats/ (the one definition the kernel, the linker and uk compile): every field at
/// the offset docs/boot-abi.md and the gABI give, and the codecs' bytes for a small example written out by hand.
/// A change here changes what existing images mean to the kernel and to uk.
/// </summary>
public class FormatLayoutTests
{
    private static int Offset<T>(string field) where T : struct => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public void UkImageInfoHasTheDocumentedLayout()
    {
        Assert.Equal(72, Unsafe.SizeOf<UkImageInfoHeader>());
        Assert.Equal(UkImageInfoFormat.HeaderSize, Unsafe.SizeOf<UkImageInfoHeader>());
        Assert.Equal([0, 8, 12, 48, 52, 56, 60, 64, 68], new[]
        {
            Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.Magic)), Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.Size)),
            Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.InputCount)), Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.NameOffset)),
            Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.NameLength)), Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.VersionOffset)),
            Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.VersionLength)), Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.InputsOffset)),
            Offset<UkImageInfoHeader>(nameof(UkImageInfoHeader.InputRecordSize)),
        });
        Assert.Equal(16, UkImageInfoFormat.ImageSha256Offset);
        Assert.Equal(48, Unsafe.SizeOf<UkImageInfoInputRecord>());
        Assert.Equal([32, 40, 44, 46], new[]
        {
            Offset<UkImageInfoInputRecord>(nameof(UkImageInfoInputRecord.Size)), Offset<UkImageInfoInputRecord>(nameof(UkImageInfoInputRecord.NameOffset)),
            Offset<UkImageInfoInputRecord>(nameof(UkImageInfoInputRecord.NameLength)), Offset<UkImageInfoInputRecord>(nameof(UkImageInfoInputRecord.Kind)),
        });
        Assert.Equal("UKIMAGE1"u8.ToArray(), BitConverter.GetBytes(UkImageInfoFormat.Magic));
    }

    [Fact]
    public void UkImageInfoEncodesAsWrittenOutByHand()
    {
        byte[] hash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] inputHash = Enumerable.Repeat((byte)0xAB, 32).ToArray();
        byte[] bytes = UkImageInfoCodec.Encode("hi", "1", hash, [new UkImageInfoInput("k.o", 0x1234, inputHash, UkImageInfoFormat.InputKindLinked)]);

        // Header (72), one record (48), then "hi\0" at 120, "1\0" at 123, "k.o\0" at 125: 129 bytes, padded to 136.
        var expected = new byte[136];
        "UKIMAGE1"u8.CopyTo(expected);
        expected[8] = 136; expected[12] = 1;
        hash.CopyTo(expected, 16);
        expected[48] = 120; expected[52] = 2; expected[56] = 123; expected[60] = 1; expected[64] = 72; expected[68] = 48;
        inputHash.CopyTo(expected, 72);
        expected[104] = 0x34; expected[105] = 0x12; expected[112] = 125; expected[116] = 3; expected[118] = 1;
        "hi\01\0k.o\0"u8.CopyTo(expected.AsSpan(120));
        Assert.Equal(expected, bytes);

        var decoded = UkImageInfoCodec.Decode(bytes, out string? problem)!;
        Assert.Null(problem);
        Assert.Equal(("hi", "1", 136), (decoded.Name, decoded.Version, decoded.Size));
        Assert.Equal(hash, decoded.ImageSha256);
        var input = Assert.Single(decoded.Inputs);
        Assert.Equal(("k.o", 0x1234ul, UkImageInfoFormat.InputKindLinked), (input.Name, input.Size, input.Kind));
        Assert.Equal(inputHash, input.Sha256);
    }

    [Fact]
    public void UkFilesHasTheDocumentedLayout()
    {
        Assert.Equal(48, Unsafe.SizeOf<UkFilesHeader>());
        Assert.Equal(UkFilesFormat.HeaderSize, Unsafe.SizeOf<UkFilesHeader>());
        Assert.Equal([0, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44], new[]
        {
            nameof(UkFilesHeader.Magic), nameof(UkFilesHeader.Size), nameof(UkFilesHeader.EntryCount), nameof(UkFilesHeader.EntriesOffset),
            nameof(UkFilesHeader.EntrySize), nameof(UkFilesHeader.ExecutableEntry), nameof(UkFilesHeader.ModifiedTime),
            nameof(UkFilesHeader.BlockTableOffset), nameof(UkFilesHeader.BlockCount), nameof(UkFilesHeader.BlockSize), nameof(UkFilesHeader.Codec),
        }.Select(Offset<UkFilesHeader>));
        Assert.Equal(32, Unsafe.SizeOf<UkFilesEntry>());
        Assert.Equal(UkFilesFormat.EntrySize, Unsafe.SizeOf<UkFilesEntry>());
        Assert.Equal([0, 8, 16, 20, 24, 28], new[]
        {
            nameof(UkFilesEntry.DataOffset), nameof(UkFilesEntry.Size), nameof(UkFilesEntry.Parent), nameof(UkFilesEntry.Mode),
            nameof(UkFilesEntry.NameOffset), nameof(UkFilesEntry.NameLength),
        }.Select(Offset<UkFilesEntry>));
        Assert.Equal(16, Unsafe.SizeOf<UkFilesBlock>());
        Assert.Equal([0, 4, 8, 12], new[]
        {
            nameof(UkFilesBlock.DataOffset), nameof(UkFilesBlock.StoredSize), nameof(UkFilesBlock.ExpandedSize), nameof(UkFilesBlock.Reserved),
        }.Select(Offset<UkFilesBlock>));
        Assert.Equal("UKFILES2"u8.ToArray(), BitConverter.GetBytes(UkFilesFormat.Magic));
        Assert.Equal("UKFILES1"u8.ToArray(), BitConverter.GetBytes(UkFilesFormat.MagicVersion1));
        Assert.Equal(0x10000u, UkFilesFormat.ModePacked);
    }

    [Fact]
    public void UkFilesEncodesAsWrittenOutByHand()
    {
        byte[] bytes = UkFilesCodec.Encode([new UkFilesItem("/x", 0x81A4, "hi"u8.ToArray())], executablePath: null, modifiedTime: 0x01020304);

        // Header (48), the root's and /x's records (2 x 32), the names ("" and "x") at 112, "hi" at 120: 128 bytes; no
        // packed files, so the block table fields are 0.
        var expected = new byte[128];
        "UKFILES2"u8.CopyTo(expected);
        expected[8] = 128; expected[12] = 2; expected[16] = 48; expected[20] = 32;
        BitConverter.GetBytes(UkFilesFormat.NoEntry).CopyTo(expected, 24);
        expected[28] = 4; expected[29] = 3; expected[30] = 2; expected[31] = 1;
        BitConverter.GetBytes(0x41EDu).CopyTo(expected, 48 + 20);
        expected[48 + 24] = 112;
        expected[80] = 120; expected[80 + 8] = 2; BitConverter.GetBytes(0x81A4u).CopyTo(expected, 80 + 20);
        expected[80 + 24] = 112; expected[80 + 28] = 1;
        expected[112] = (byte)'x';
        "hi"u8.CopyTo(expected.AsSpan(120));
        Assert.Equal(expected, bytes);

        var decoded = UkFilesCodec.Decode(bytes);
        Assert.Equal(["/", "/x"], decoded.Items.Select(i => i.Path));
        Assert.Equal("hi"u8.ToArray(), decoded.Items[1].Data);
        Assert.Null(decoded.ExecutablePath);
        Assert.Equal((128, 2L, 0x01020304u), (decoded.Size, decoded.DataBytes, decoded.ModifiedTime));
        Assert.Null(decoded.Packed);
    }

    [Fact]
    public void KernelSymbolsHaveTheDocumentedLayout()
    {
        Assert.Equal(16, Unsafe.SizeOf<KernelSymbolsHeader>());
        Assert.Equal([0, 4, 8, 12], new[]
        {
            Offset<KernelSymbolsHeader>(nameof(KernelSymbolsHeader.Magic)), Offset<KernelSymbolsHeader>(nameof(KernelSymbolsHeader.Count)),
            Offset<KernelSymbolsHeader>(nameof(KernelSymbolsHeader.StringsOffset)), Offset<KernelSymbolsHeader>(nameof(KernelSymbolsHeader.Reserved)),
        });
        Assert.Equal(16, Unsafe.SizeOf<KernelSymbolsEntry>());
        Assert.Equal([0, 8, 12], new[]
        {
            Offset<KernelSymbolsEntry>(nameof(KernelSymbolsEntry.Address)), Offset<KernelSymbolsEntry>(nameof(KernelSymbolsEntry.Size)),
            Offset<KernelSymbolsEntry>(nameof(KernelSymbolsEntry.NameOffset)),
        });
        Assert.Equal("KSYM"u8.ToArray(), BitConverter.GetBytes(KernelSymbolsFormat.Magic));
    }

    [Fact]
    public void KernelSymbolsEncodeSortedWithEachNameOnce()
    {
        byte[] bytes = KernelSymbolsCodec.Encode([new(0x2000, 8, "b"), new(0x1000, 0x1_0000_0000, "a"), new(0x3000, 4, "a")]);

        var expected = new byte[16 + 3 * 16 + 4];
        "KSYM"u8.CopyTo(expected);
        expected[4] = 3; expected[8] = 64;
        expected[16 + 1] = 0x10; expected[16 + 8] = 0xFF; expected[16 + 9] = 0xFF; expected[16 + 10] = 0xFF; expected[16 + 11] = 0xFF;
        expected[32 + 1] = 0x20; expected[32 + 8] = 8; expected[32 + 12] = 2;
        expected[48 + 1] = 0x30; expected[48 + 8] = 4;
        "a\0b\0"u8.CopyTo(expected.AsSpan(64));
        Assert.Equal(expected, bytes);
        Assert.Equal([(0x1000ul, uint.MaxValue, "a"), (0x2000ul, 8u, "b"), (0x3000ul, 4u, "a")],
            KernelSymbolsCodec.Decode(bytes)!.Select(f => (f.Address, (uint)f.Size, f.Name)));
    }

    [Fact]
    public void ElfRecordsHaveTheGabiLayout()
    {
        Assert.Equal(64, Unsafe.SizeOf<Elf64Header>());
        Assert.Equal([4, 5, 6, 16, 18, 20, 24, 32, 40, 48, 52, 54, 56, 58, 60, 62], new[]
        {
            nameof(Elf64Header.Class), nameof(Elf64Header.Data), nameof(Elf64Header.IdentVersion), nameof(Elf64Header.Type),
            nameof(Elf64Header.Machine), nameof(Elf64Header.Version), nameof(Elf64Header.Entry), nameof(Elf64Header.ProgramHeaderOffset),
            nameof(Elf64Header.SectionHeaderOffset), nameof(Elf64Header.Flags), nameof(Elf64Header.HeaderSize),
            nameof(Elf64Header.ProgramHeaderEntrySize), nameof(Elf64Header.ProgramHeaderCount), nameof(Elf64Header.SectionHeaderEntrySize),
            nameof(Elf64Header.SectionCount), nameof(Elf64Header.SectionNameTableIndex),
        }.Select(Offset<Elf64Header>));
        Assert.Equal(56, Unsafe.SizeOf<Elf64ProgramHeader>());
        Assert.Equal([0, 4, 8, 16, 24, 32, 40, 48], new[]
        {
            nameof(Elf64ProgramHeader.Type), nameof(Elf64ProgramHeader.Flags), nameof(Elf64ProgramHeader.Offset),
            nameof(Elf64ProgramHeader.VirtualAddress), nameof(Elf64ProgramHeader.PhysicalAddress), nameof(Elf64ProgramHeader.FileSize),
            nameof(Elf64ProgramHeader.MemorySize), nameof(Elf64ProgramHeader.Alignment),
        }.Select(Offset<Elf64ProgramHeader>));
        Assert.Equal(64, Unsafe.SizeOf<Elf64SectionHeader>());
        Assert.Equal([0, 4, 8, 16, 24, 32, 40, 44, 48, 56], new[]
        {
            nameof(Elf64SectionHeader.NameOffset), nameof(Elf64SectionHeader.Type), nameof(Elf64SectionHeader.Flags),
            nameof(Elf64SectionHeader.Address), nameof(Elf64SectionHeader.Offset), nameof(Elf64SectionHeader.Size),
            nameof(Elf64SectionHeader.Link), nameof(Elf64SectionHeader.Info), nameof(Elf64SectionHeader.Alignment),
            nameof(Elf64SectionHeader.EntrySize),
        }.Select(Offset<Elf64SectionHeader>));
        Assert.Equal(24, Unsafe.SizeOf<Elf64Symbol>());
        Assert.Equal([0, 4, 5, 6, 8, 16], new[]
        {
            nameof(Elf64Symbol.NameOffset), nameof(Elf64Symbol.Info), nameof(Elf64Symbol.Other), nameof(Elf64Symbol.SectionIndex),
            nameof(Elf64Symbol.Value), nameof(Elf64Symbol.Size),
        }.Select(Offset<Elf64Symbol>));
        Assert.Equal(12, Unsafe.SizeOf<Elf64NoteHeader>());
        Assert.Equal("\x7f" + "ELF", System.Text.Encoding.ASCII.GetString(BitConverter.GetBytes(ElfConstants.ELFMAG)));
    }
}
