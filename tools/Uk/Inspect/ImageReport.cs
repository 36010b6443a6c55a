namespace Unikernel.Tools.Inspect;

/// <summary>One part of an image and what it costs: bytes in the image file as it is, bytes expanded, and bytes of
/// guest memory once loaded (with .bss). Parts nest; a parent's bytes are the sum of its children's when it has any.</summary>
public sealed class Part
{
    private ulong? _expandedBytes;

    public required string Name { get; init; }
    /// <summary>kernel, runtime, libc, app-code, app, other (the top-level groups) and, below them, what the part is.</summary>
    public required string Kind { get; init; }
    /// <summary>Bytes in the uncompressed ELF file (for a compressed image: the file uk-ld --no-compress would write).</summary>
    public ulong FileBytes { get; set; }
    /// <summary>Bytes in the image file as it is: for a compressed image, the part's share of the LZ4 payload
    /// (<see cref="ImageBytesAttribution"/>); else <see cref="FileBytes"/>.</summary>
    public ulong ImageBytes { get; set; }
    /// <summary>Bytes with everything expanded: <see cref="FileBytes"/>, but for uk_files with its packed files expanded.</summary>
    public ulong ExpandedBytes { get => _expandedBytes ?? FileBytes; set => _expandedBytes = value; }
    public ulong MemoryBytes { get; set; }
    /// <summary>A short explanation (where the number comes from, what is inside).</summary>
    public string? Detail { get; init; }
    public List<Part> Children { get; } = [];

    public Part WithChildren(IEnumerable<Part> children)
    {
        Children.AddRange(children);
        return this;
    }

    public Part Add(Part child)
    {
        Children.Add(child);
        return child;
    }

    /// <summary>Makes this part's bytes the sum of its children's (recursively).</summary>
    public Part Total()
    {
        if (Children.Count == 0) return this;
        foreach (var c in Children) c.Total();
        FileBytes = Children.Aggregate(0UL, (s, c) => s + c.FileBytes);
        ImageBytes = Children.Aggregate(0UL, (s, c) => s + c.ImageBytes);
        ExpandedBytes = Children.Aggregate(0UL, (s, c) => s + c.ExpandedBytes);
        MemoryBytes = Children.Aggregate(0UL, (s, c) => s + c.MemoryBytes);
        return this;
    }
}

/// <summary>Compiled .NET methods of one assembly, or of one namespace in it (from the image's function table);
/// ImageBytes: what they take in the image file as it is (Part.ImageBytes).</summary>
public sealed record CodeGroup(string Assembly, string? Namespace, ulong Bytes, int Functions, ulong ImageBytes = 0);

/// <summary>One segment of a compressed image: its bytes as loaded, and as they travel in the payload.</summary>
public sealed record CompressedSegment(string Holds, string Flags, ulong Address, ulong Bytes, ulong CompressedBytes);

/// <summary>A compressed image (uk-ld without --no-compress): the file's real size, and the payload the kernel expands.
/// The parts' FileBytes describe the image expanded, as --no-compress would have written it; their ImageBytes the file.</summary>
public sealed record CompressionInfo(long FileSize, long ExpandedFileSize, ulong PayloadBytes, ulong ExpandedBytes,
    IReadOnlyList<CompressedSegment> Segments);

public sealed record SegmentInfo(string Owner, string Flags, ulong Address, ulong Offset, ulong FileSize, ulong MemorySize);

/// <summary>Everything `uk inspect` found out about an image; the table, --json and --html all render this.</summary>
public sealed class ImageReport
{
    public required string ImagePath { get; init; }
    /// <summary>The ELF file's size; for a compressed image, the expanded file's (<see cref="CompressionInfo.FileSize"/>
    /// is the file's own).</summary>
    public long FileSize { get; init; }
    /// <summary>The image file's size as it is: what the parts' <see cref="Part.ImageBytes"/> add up to.</summary>
    public long ImageFileSize { get; init; }
    /// <summary>The image with the payload and uk_files' packed files expanded: what the parts' <see cref="Part.ExpandedBytes"/> add up to.</summary>
    public ulong ExpandedSize { get; set; }
    public ulong LoadedSize { get; init; }
    public ulong Entry { get; init; }
    /// <summary>True for a PVH-bootable kernel image; false for a plain ELF (an app's static executable).</summary>
    public bool Bootable { get; init; }
    public string? MapPath { get; set; }
    public string? AppPath { get; set; }
    public string? AppMapPath { get; set; }
    /// <summary>The function table beside the image (uk-ld --symbols-file) the names came from; null: from the image.</summary>
    public string? SymbolsFilePath { get; set; }
    public long SymbolsFileSize { get; set; }
    public ImageInfoReader.Result ImageInfo { get; set; } = new(ImageInfoReader.Status.NotPresent, null, null);
    /// <summary>The image's file system (uk_files): its files by path and size.</summary>
    public ImageFilesReader.Result Files { get; set; } = new(null, null);
    /// <summary>The image's SBOM (uk_sbom): present, its component count, and whether it matches the image.</summary>
    public SbomReader.Result Sbom { get; set; } = new(SbomReader.Status.NotPresent, null, 0, null, "");
    public List<SegmentInfo> Segments { get; } = [];
    /// <summary>Null for an uncompressed image; else <see cref="FileSize"/> and the parts are the expanded image's.</summary>
    public CompressionInfo? Compression { get; set; }
    /// <summary>The top-level groups; their file bytes add up to <see cref="FileSize"/>, their image bytes to
    /// <see cref="ImageFileSize"/>, their expanded bytes to <see cref="ExpandedSize"/>.</summary>
    public List<Part> Parts { get; } = [];
    public int KernelFunctions { get; set; }
    public int AppFunctions { get; set; }
    /// <summary>Bytes of the app's compiled .NET methods that were attributed to an assembly.</summary>
    public ulong ManagedCodeBytes { get; set; }
    public int ManagedFunctions { get; set; }
    public List<CodeGroup> Assemblies { get; } = [];
    public List<CodeGroup> Namespaces { get; } = [];
    /// <summary>Things the reader should know: missing maps, mismatches, fall-backs.</summary>
    public List<string> Notes { get; } = [];
}
