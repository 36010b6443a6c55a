namespace Unikernel.Disk.Formats;

/// <summary>Bounds-checked reads of a container file: a structure pointing outside the file is a one-line error
/// naming the format, the offset and what was being read, never an exception from deeper down.</summary>
internal sealed class ContainerFile(Stream stream, string format)
{
    public string Format => format;

    public long Length => stream.Length;

    public void Read(long offset, Span<byte> destination, string what)
    {
        if (offset < 0 || offset > stream.Length - destination.Length)
            throw Error($"{what} at offset {offset} ({destination.Length} bytes) lies outside the file ({stream.Length} bytes)");
        stream.Position = offset;
        stream.ReadExactly(destination);
    }

    public byte[] Read(long offset, int length, string what)
    {
        var bytes = new byte[length];
        Read(offset, bytes, what);
        return bytes;
    }

    public DiskFormatException Error(string problem) => new($"{format}: {problem}");

    /// <summary>The array the disk (or its first <paramref name="upTo"/> bytes) is read into.</summary>
    public byte[] DiskBuffer(long virtualSize, long? upTo)
    {
        long length = Math.Min(virtualSize, upTo ?? long.MaxValue);
        if (virtualSize < 0 || length > Array.MaxLength)
            throw Error($"a disk of {virtualSize} bytes does not fit in memory: read a prefix of it");
        return new byte[length];
    }
}
