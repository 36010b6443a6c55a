using System.Runtime.InteropServices;
using Kernel.Console;
using Kernel.Files;
using Kernel.Files.Image;
using Kernel.LinuxAbi;
using Unikernel.Formats;
using Unikernel.Tests.Shared;

namespace Unikernel.Runtime.Tests.Files;

// Packed files of the image (formats/UkFilesFormat.cs, "Packed files") as the kernel reads them: bytes that span
// blocks, reads at any offset, a block expanded once and kept, a corrupt block an I/O error for the files in it and
// nobody else, and files read in place beside them. The section is written by the linker's codec; the blocks here
// are LZ4 blocks of literals only (the real encoder's blocks are held to the lz4 tool by the linker's tests).
public sealed unsafe class PackedImageFilesTests : VfsTestBase, IDisposable
{
    private const int BlockSize = 4096;
    private static readonly byte[] Big = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7 + i / 251)).ToArray();
    private byte* _section;
    private byte[] _bytes;

    public PackedImageFilesTests()
    {
        KernelConsole.Output.Clear();
        _bytes = UkFilesCodec.Encode(
        [
            new UkFilesItem("/app/hello", UkFilesFormat.TypeRegular | 0x1ED, []),
            new UkFilesItem("/app/big.bin", UkFilesFormat.TypeRegular | 0x1A4, Big),
            new UkFilesItem("/app/copy.bin", UkFilesFormat.TypeRegular | 0x1A4, Big),
            new UkFilesItem("/app/small.txt", UkFilesFormat.TypeRegular | 0x1A4, "packed, after big"u8.ToArray()),
            new UkFilesItem("/etc/plain", UkFilesFormat.TypeRegular | 0x1A4, "in place"u8.ToArray()),
        ], "/app/hello", 0, new UkFilesPacking(BlockSize, Lz4LiteralBlock.Of, path => path != "/etc/plain"));
        Attach();
    }

    private void Attach()
    {
        if (_section != null) NativeMemory.Free(_section);
        _section = (byte*)NativeMemory.Alloc((nuint)_bytes.Length);
        _bytes.CopyTo(new Span<byte>(_section, _bytes.Length));
        ImageFileSystem.Attach(_section, (ulong)_bytes.Length);
        DirectoryNode app = ImageFileSystem.Mount(Vfs.Root, Vfs.RootFileSystem);
        Assert.NotNull(app);
        Vfs.ChangeDirectory(app);
    }

    public void Dispose() => NativeMemory.Free(_section);

    private static byte[] ReadAt(string path, long offset, int count)
    {
        OpenFile file = OpenOk(path, RdOnly);
        var buffer = new byte[count];
        long n;
        fixed (byte* b = buffer) n = file.ReadAt(offset, b, count);
        Assert.True(n >= 0, $"pread {path} at {offset}: {n}");
        return buffer.AsSpan(0, (int)n).ToArray();
    }

    [Fact]
    public void PackedFilesReadAsTheirBytesAcrossBlocks()
    {
        UkFilesHeader header = MemoryMarshal.Read<UkFilesHeader>(_bytes);
        Assert.Equal((UkFilesFormat.Magic, 3u, (uint)BlockSize), (header.Magic, header.BlockCount, header.BlockSize));
        Assert.Equal(Big, ReadAt("/app/big.bin", 0, 20_000));
        Assert.Equal(Big, ReadAt("/app/copy.bin", 0, 20_000));
        Assert.Equal(Big.AsSpan(4000, 5000).ToArray(), ReadAt("big.bin", 4000, 5000));   // three blocks
        Assert.Equal(Big.AsSpan(9990).ToArray(), ReadAt("big.bin", 9990, 100));
        Assert.Empty(ReadAt("big.bin", 10_000, 10));
        Assert.Equal("packed, after big", ReadAll(OpenOk("/app/small.txt", RdOnly)));
        Assert.Equal(0, Stat("/app/big.bin", out LinuxStat st));
        Assert.Equal(10_000, st.FileSize);
        Assert.Equal(0x81A4u, st.Mode);
    }

    [Fact]
    public void OnlyFilesInPlaceAreFoundForBootAndPackedOnesAreNot()
    {
        byte* plain = ImageFileSystem.FindFile("/etc/plain", out ulong size);
        Assert.True(plain != null);
        Assert.Equal("in place", System.Text.Encoding.ASCII.GetString(plain, (int)size));
        Assert.True(ImageFileSystem.FindFile("/app/small.txt", out _) == null);
        Assert.Equal("in place", ReadAll(OpenOk("/etc/plain", RdOnly)));
    }

    [Fact]
    public void ACorruptBlockIsAnIOErrorForItsFilesOnly()
    {
        // Block 1's token says "no literals, a match" with an offset of 0: no valid block starts so.
        UkFilesHeader header = MemoryMarshal.Read<UkFilesHeader>(_bytes);
        var block = MemoryMarshal.Read<UkFilesBlock>(_bytes.AsSpan((int)header.BlockTableOffset + UkFilesFormat.BlockRecordSize));
        _bytes[block.DataOffset] = 0x00;
        _bytes[block.DataOffset + 1] = 0x00;
        _bytes[block.DataOffset + 2] = 0x00;
        Attach();

        Assert.Equal(Big.AsSpan(0, 4096).ToArray(), ReadAt("/app/big.bin", 0, 4096));   // block 0 is whole
        OpenFile file = OpenOk("/app/big.bin", RdOnly);
        var buffer = new byte[100];
        fixed (byte* b = buffer) Assert.Equal(E(Errno.EIO), file.ReadAt(5000, b, 100));
        Assert.Contains("packed block of the image is corrupt (block 1)", KernelConsole.Output.ToString());
        Assert.Equal("packed, after big", ReadAll(OpenOk("/app/small.txt", RdOnly)));   // in block 2
    }

    [Fact]
    public void ABlockTableOutsideTheSectionIsNotMounted()
    {
        UkFilesHeader header = MemoryMarshal.Read<UkFilesHeader>(_bytes);
        header.BlockTableOffset = (uint)_bytes.Length - 8;
        MemoryMarshal.Write(_bytes, in header);
        NativeMemory.Free(_section);
        _section = (byte*)NativeMemory.Alloc((nuint)_bytes.Length);
        _bytes.CopyTo(new Span<byte>(_section, _bytes.Length));
        KernelConsole.Output.Clear();
        ImageFileSystem.Attach(_section, (ulong)_bytes.Length);
        Assert.Contains("uk_files section is malformed", KernelConsole.Output.ToString());
    }
}
