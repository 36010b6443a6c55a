namespace Unikernel.Tools.Inspect;

/// <summary>
/// How many bytes of the image file, as it is, a range of the expanded image costs. `uk inspect` finds its parts in the
/// expanded image (the file uk-ld --no-compress would have written: ELF offsets and link maps describe that one), but a
/// compressed image's parts weigh what their share of the LZ4 payload weighs. Every byte of the file is charged to at
/// most one expanded byte: outside the payload each byte is its own (the kernel's segments, the headers and the
/// non-loaded tail travel as they are); the payload's blocks are charged by <see cref="Lz4ByteCharges"/>; the payload's
/// header and region table, and the alignment around it, to none (<see cref="Uncharged"/>). So the charges of disjoint
/// ranges add up, and all of them plus <see cref="Uncharged"/> make the file's size.
/// </summary>
public sealed class ImageBytesAttribution
{
    private readonly IReadOnlyList<ElfProgramHeader> _loads;
    private readonly long _expandedSize;
    // Compressed images only: 1 where an expanded byte is a byte of the file itself (outside the payload, or a literal),
    // and the other bytes of the LZ4 sequences by expanded position, summed in order.
    private readonly byte[]? _own;
    private readonly long[] _overheadAt = [];
    private readonly ulong[] _overheadBefore = [0];

    /// <summary>The image file's size as it is (compressed, for a compressed image).</summary>
    public long ImageFileSize { get; }
    /// <summary>Bytes of the file charged to no expanded byte: the payload's header and region table, and alignment.</summary>
    public ulong Uncharged { get; }
    /// <summary>Of <see cref="Uncharged"/>, the payload's header and region table (0 for an uncompressed image).</summary>
    public ulong PayloadHeaderBytes { get; }
    public bool IsCompressed => _own is not null;

    private ImageBytesAttribution(ElfFile expanded, long imageFileSize)
    {
        _loads = expanded.Loads.ToList();
        _expandedSize = expanded.FileSize;
        ImageFileSize = imageFileSize;
    }

    /// <summary>An uncompressed image: every byte is its own.</summary>
    public static ImageBytesAttribution Uncompressed(ElfFile image) => new(image, image.FileSize);

    /// <summary>A compressed image (<paramref name="image"/>, the file's bytes) whose expanded form is <paramref name="expanded"/>.</summary>
    internal static ImageBytesAttribution Compressed(byte[] image, UkPayloadInfo payload, ElfFile expanded)
        => new(image, payload, expanded);

    private ImageBytesAttribution(byte[] image, UkPayloadInfo payload, ElfFile expanded) : this(expanded, image.LongLength)
    {
        _own = new byte[_expandedSize];
        var header = payload.Header;
        // What UkPayloadCodec.Expand copies unchanged: the file up to the first region (or the payload), and the tail.
        ulong cut = Math.Min(payload.Regions.Count == 0 ? payload.FileOffset : payload.Regions.Min(r => r.OriginalFileOffset), payload.FileOffset);
        _own.AsSpan(0, (int)cut).Fill(1);
        _own.AsSpan((int)header.OriginalTailOffset).Fill(1);
        ulong charged = cut + ((ulong)image.LongLength - header.TailOffset);
        var overhead = new List<(long Position, ulong Bytes)>();
        foreach (var region in payload.Regions)
        {
            var block = image.AsSpan((int)(payload.FileOffset + region.DataOffset), (int)region.DataSize);
            ulong lost = Lz4ByteCharges.Charge(block, _own.AsSpan((int)region.OriginalFileOffset, (int)region.FileSize), (long)region.OriginalFileOffset, overhead);
            charged += region.DataSize - lost;
        }
        overhead.Sort((a, b) => a.Position.CompareTo(b.Position));
        _overheadAt = overhead.Select(o => o.Position).ToArray();
        _overheadBefore = new ulong[overhead.Count + 1];
        for (int i = 0; i < overhead.Count; i++) _overheadBefore[i + 1] = _overheadBefore[i] + overhead[i].Bytes;
        Uncharged = (ulong)image.LongLength - charged;
        PayloadHeaderBytes = Math.Min(Uncharged, header.RegionsOffset + (ulong)header.RegionCount * header.RegionSize);
    }

    /// <summary>The file bytes charged to the expanded image's bytes [offset, offset + length).</summary>
    public ulong OfFileRange(ulong offset, ulong length)
    {
        if (offset >= (ulong)_expandedSize || length == 0) return 0;
        ulong end = Math.Min((ulong)_expandedSize, offset + Math.Min(length, (ulong)_expandedSize));
        if (_own is null) return end - offset;
        ulong own = (ulong)_own.AsSpan((int)offset, (int)(end - offset)).Count((byte)1);
        return own + _overheadBefore[FirstAtOrAfter((long)end)] - _overheadBefore[FirstAtOrAfter((long)offset)];
    }

    /// <summary>The file bytes charged to the loaded bytes at [address, address + size) (the part of it that has file
    /// bytes in the expanded image: none in a segment's bss).</summary>
    public ulong OfAddressRange(ulong address, ulong size)
    {
        ulong total = 0;
        foreach (var load in _loads)
        {
            ulong start = Math.Max(address, load.VirtualAddress), end = Math.Min(address + size, load.VirtualAddress + load.FileSize);
            if (start < end) total += OfFileRange(load.Offset + (start - load.VirtualAddress), end - start);
        }
        return total;
    }

    public ulong OfSection(ElfSection section) => OfFileRange(section.Offset, section.FileSize);

    private int FirstAtOrAfter(long position)
    {
        int index = Array.BinarySearch(_overheadAt, position);
        if (index < 0) return ~index;
        while (index > 0 && _overheadAt[index - 1] == position) index--;
        return index;
    }
}
