namespace Unikernel.Tools.Inspect;

/// <summary>A file, symlink or directory of the image's file system; Size is the bytes of a file (a link's target).</summary>
public sealed record ImageFileEntry(string Path, string Type, ulong Size);

/// <summary>The packed files of <c>uk_files</c> (formats/UkFilesFormat.cs, "Packed files"): how many, their distinct
/// bytes expanded, and the LZ4 blocks that hold them.</summary>
public sealed record PackedFiles(int FileCount, long ExpandedBytes, int BlockCount, long StoredBytes, int BlockSize);

/// <summary>The image's file system: its entries in tree order, the executable's path, the section's size and its bytes
/// of distinct contents (files with the same bytes share them), expanded; Packed: what of it is packed, or null.</summary>
public sealed record ImageFileSystem(IReadOnlyList<ImageFileEntry> Entries, string? ExecutablePath, int SectionSize, long DataBytes,
    PackedFiles? Packed = null)
{
    public int FileCount => Entries.Count(e => e.Type != "directory");
}

/// <summary>
/// Reads <c>uk_files</c>, the image's read-only file system (formats/UkFilesFormat.cs, docs/boot-abi.md "uk_files"),
/// with the codec the linker writes it with. Never throws on bad input: no section is "none", a malformed one a problem.
/// </summary>
public static class ImageFilesReader
{
    /// <summary>FileSystem null and Problem null: the image has no file system (no app).</summary>
    public sealed record Result(ImageFileSystem? FileSystem, string? Problem);

    internal static Result Read(ElfFile elf)
    {
        var section = elf.FindSection(UkFilesFormat.SectionName);
        if (section is null) return new Result(null, null);
        var bytes = elf.SectionBytes(section);
        if (bytes is null) return new Result(null, "the section's bytes are not in the file");
        try
        {
            var contents = UkFilesCodec.Decode(bytes);
            var entries = contents.Items.Select(i => new ImageFileEntry(i.Path,
                i.IsDirectory ? "directory" : i.IsSymlink ? "symlink" : "file", (ulong)i.Data.Length)).ToList();
            var packed = contents.Packed is { } p ? new PackedFiles(p.FileCount, p.ExpandedBytes, p.BlockCount, p.StoredBytes, p.BlockSize) : null;
            return new Result(new ImageFileSystem(entries, contents.ExecutablePath, contents.Size, contents.DataBytes, packed), null);
        }
        catch (InvalidDataException error)
        {
            return new Result(null, error.Message);
        }
    }

    /// <summary>Writes a section of regular files in the linker's layout, with the linker's encoder (for tests); with
    /// <paramref name="packWith"/> (an LZ4 block compressor) every file is packed, in blocks of <paramref name="blockSize"/>.</summary>
    public static byte[] Build(IReadOnlyList<(string Path, byte[] Data)> files, string? executablePath,
        Func<byte[], byte[]>? packWith = null, int blockSize = 4096) =>
        UkFilesCodec.Encode(files.Select(f => new UkFilesItem(f.Path, UkFilesFormat.TypeRegular | 0x1A4, f.Data)).ToList(), executablePath,
            packing: packWith is null ? null : new UkFilesPacking(blockSize, packWith, _ => true));
}
