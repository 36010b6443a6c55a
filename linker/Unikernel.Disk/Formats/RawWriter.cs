namespace Unikernel.Disk.Formats;

/// <summary>
/// The disk as it is, byte for byte. Into a file it is written sparse: an all-zero MiB is skipped by seeking, and the
/// length set at the end, so the file system leaves holes where it can (the file reads the same either way).
/// </summary>
public sealed class RawWriter : IDiskFormatWriter
{
    public string Name => "raw";

    public string Extension => ".raw";

    public void Write(ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, Stream output)
    {
        RawDisk.Validate(rawDisk, Name);
        if (output is not FileStream { CanSeek: true } file)
        {
            output.Write(rawDisk.Span);
            return;
        }
        // Skipped ranges must read as zeros: nothing that was in the file before may show through them.
        long start = file.Position;
        file.SetLength(start);
        ReadOnlySpan<byte> disk = rawDisk.Span;
        for (long index = 0; index < disk.Length / RawDisk.MiB; index++)
        {
            ReadOnlySpan<byte> mebibyte = RawDisk.Piece(disk, index, RawDisk.MiB);
            if (RawDisk.IsZero(mebibyte))
                continue;
            file.Position = start + index * RawDisk.MiB;
            file.Write(mebibyte);
        }
        file.SetLength(start + disk.Length);
        file.Position = start + disk.Length;
    }
}
