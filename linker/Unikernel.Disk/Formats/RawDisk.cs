namespace Unikernel.Disk.Formats;

/// <summary>What every writer checks and asks of the raw disk it is given.</summary>
internal static class RawDisk
{
    public const int MiB = 1 << 20;

    /// <summary>The contract of <see cref="IDiskFormatWriter"/>: a disk of whole MiB (which every format here holds
    /// exactly, and Azure demands of a VHD).</summary>
    public static void Validate(ReadOnlyMemory<byte> rawDisk, string format)
    {
        if (rawDisk.Length == 0 || rawDisk.Length % MiB != 0)
            throw new DiskFormatException($"{format}: the raw disk has {rawDisk.Length} bytes, not a positive multiple of 1 MiB");
    }

    public static bool IsZero(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>The <paramref name="index"/>th piece of <paramref name="size"/> bytes (the last one may be shorter).</summary>
    public static ReadOnlySpan<byte> Piece(ReadOnlySpan<byte> disk, long index, int size)
    {
        long start = index * size;
        return disk.Slice((int)start, (int)Math.Min(size, disk.Length - start));
    }

    public static long PieceCount(long length, int size) => (length + size - 1) / size;
}
