namespace Unikernel.Disk.Formats;

/// <summary>
/// The file Google Compute Engine imports (`gcloud compute images create --source-uri`): a gzip'ed tar holding one
/// member, `disk.raw`, whose size is a whole number of GiB, as `tar --format=oldgnu -Sczf` makes it. The disk is padded
/// with zeros to the next GiB; runs of zero 4 KiB blocks become holes of a sparse ('S') member, so the padding and the
/// disk's empty space take no room. Owner, group, names and time are fixed, and gzip records no time.
/// </summary>
public sealed class GceTarballWriter : IDiskFormatWriter
{
    public const string MemberName = "disk.raw";
    internal const long GiB = 1L << 30;
    private const int HoleGranularity = 4096;

    public string Name => "gce";

    public string Extension => ".tar.gz";

    public void Write(ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, Stream output)
    {
        RawDisk.Validate(rawDisk, Name);
        ReadOnlySpan<byte> disk = rawDisk.Span;
        long size = RawDisk.PieceCount(disk.Length, (int)GiB) * GiB;
        List<OldGnuTar.Region> regions = DataRegions(disk);
        bool dense = regions.Count == 1 && regions[0].Offset == 0 && regions[0].Length == size;
        if (!dense && (regions.Count == 0 || regions[^1].Offset + regions[^1].Length < size))
            regions.Add(new OldGnuTar.Region(size, 0)); // GNU tar's way to say the file ends in a hole
        long mtime = new DateTimeOffset(DiskIdentity.Timestamp).ToUnixTimeSeconds();

        using var gzip = new GzipWriter(output);
        long written = 0;
        void Emit(ReadOnlySpan<byte> bytes)
        {
            gzip.Write(bytes);
            written += bytes.Length;
        }
        Emit(OldGnuTar.FileHeader(MemberName, size, mtime, dense ? null : regions));
        foreach (OldGnuTar.Region region in regions)
        {
            if (region.Length > 0)
                Emit(disk.Slice((int)region.Offset, (int)region.Length));
        }
        long padding = RawDisk.PieceCount(written, OldGnuTar.BlockSize) * OldGnuTar.BlockSize - written;
        Emit(new byte[padding]);
        Emit(new byte[2 * OldGnuTar.BlockSize]); // end of archive
        Emit(new byte[RawDisk.PieceCount(written, OldGnuTar.RecordSize) * OldGnuTar.RecordSize - written]);
        gzip.Finish();
    }

    /// <summary>The disk's data as maximal runs of 4 KiB blocks with a non-zero byte.</summary>
    private static List<OldGnuTar.Region> DataRegions(ReadOnlySpan<byte> disk)
    {
        var regions = new List<OldGnuTar.Region>();
        long blocks = RawDisk.PieceCount(disk.Length, HoleGranularity);
        long start = -1;
        for (long block = 0; block <= blocks; block++)
        {
            bool data = block < blocks && !RawDisk.IsZero(RawDisk.Piece(disk, block, HoleGranularity));
            if (data && start < 0)
                start = block * HoleGranularity;
            else if (!data && start >= 0)
            {
                regions.Add(new OldGnuTar.Region(start, Math.Min(block * HoleGranularity, disk.Length) - start));
                start = -1;
            }
        }
        return regions;
    }
}
