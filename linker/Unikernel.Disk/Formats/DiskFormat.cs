using System.Buffers.Binary;
using System.IO.Compression;

namespace Unikernel.Disk.Formats;

/// <summary>
/// The container formats by the names users give (`uk image --format`, the publish property), and the recognition of
/// a disk file's format from its bytes (for `uk run` and `uk inspect` of a disk).
/// </summary>
public static class DiskFormat
{
    public static IReadOnlyList<IDiskFormatWriter> Writers { get; } =
    [
        new RawWriter(), new Qcow2Writer(), new VhdFixedWriter(), new VhdDynamicWriter(), new VmdkStreamWriter(), new GceTarballWriter(),
    ];

    public static IEnumerable<string> Names => Writers.Select(writer => writer.Name);

    /// <summary>The writer called <paramref name="name"/> (case-insensitive); an unknown name is an error that lists
    /// the known ones.</summary>
    public static IDiskFormatWriter Writer(string name)
        => Writers.FirstOrDefault(writer => string.Equals(writer.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
           ?? throw new DiskFormatException($"unknown disk format '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>Writes <paramref name="path"/> whole or not at all: into a temporary file next to it, renamed at the
    /// end (a raw disk keeps its holes).</summary>
    public static void WriteFile(IDiskFormatWriter writer, ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, string path)
    {
        string fullPath = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(fullPath) ?? ".", $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                writer.Write(rawDisk, identity, file);
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or DiskFormatException)
        {
            TryDelete(temporary);
            throw error as DiskFormatException ?? new DiskFormatException($"{writer.Name}: cannot write {path}: {error.Message}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The write already failed for a better-explained reason.
        }
    }

    /// <summary>
    /// The raw disk inside <paramref name="file"/> (a seekable stream in <paramref name="format"/>, e.g. from
    /// <see cref="Detect"/>), or its first <paramref name="upTo"/> bytes: what `uk inspect` looks into. Reads raw,
    /// qcow2 (uncompressed, no backing file), VHD (fixed and dynamic) and sparse VMDK; a GCE tarball is unpacked with
    /// tar. A structure that points outside the file is a <see cref="DiskFormatException"/>.
    /// </summary>
    public static byte[] ReadRawDisk(Stream file, string format, long? upTo = null)
    {
        if (!file.CanSeek)
            throw new DiskFormatException($"{format}: reading a disk needs a seekable file");
        var container = new ContainerFile(file, format);
        switch (format)
        {
            case "raw":
                byte[] disk = container.DiskBuffer(file.Length, upTo);
                container.Read(0, disk, "the disk");
                return disk;
            case "qcow2":
                return Qcow2Reader.Read(container, upTo);
            case "vhd" or "vhd-dynamic":
                return VhdReader.Read(container, upTo);
            case "vmdk":
                return VmdkReader.Read(container, upTo);
            case "gce":
                throw new DiskFormatException($"gce: unpack {GceTarballWriter.MemberName} with 'tar -xzf' to read the disk");
            default:
                throw new DiskFormatException($"unknown disk format '{format}' (known: {string.Join(", ", Names)})");
        }
    }

    /// <summary>
    /// The name of the format <paramref name="disk"/> is in (`qcow2`, `vmdk`, `vhd-dynamic`, `vhd`, `gce`, `raw`), or
    /// null when it is none of them. Looks at the start (and, for a fixed VHD's footer, the end) of a seekable stream
    /// and leaves its position where it was.
    /// </summary>
    public static string? Detect(Stream disk)
    {
        long origin = disk.CanSeek ? disk.Position : 0;
        try
        {
            Span<byte> start = stackalloc byte[1024];
            int length = ReadUpTo(disk, start);
            start = start[..length];
            if (start.StartsWith(Qcow2Writer.Magic))
                return "qcow2";
            if (start.StartsWith("KDMV"u8))
                return "vmdk";
            if (start.StartsWith("conectix"u8) && start.Length >= 520 && start[512..].StartsWith("cxsparse"u8))
                return "vhd-dynamic";
            if (start.Length >= 2 && start[0] == 0x1F && start[1] == 0x8B)
                return IsTarInGzip(disk, origin) ? "gce" : null;
            if (disk.CanSeek && HasVhdFooter(disk, origin))
                return "vhd";
            bool gpt = start.Length >= 520 && start[512..].StartsWith("EFI PART"u8);
            bool mbr = start.Length >= 512 && start[510] == 0x55 && start[511] == 0xAA;
            return gpt || mbr ? "raw" : null;
        }
        finally
        {
            if (disk.CanSeek)
                disk.Position = origin;
        }
    }

    private static bool HasVhdFooter(Stream disk, long origin)
    {
        if (disk.Length - origin < 2 * VhdFooter.Size)
            return false;
        Span<byte> footer = stackalloc byte[VhdFooter.Size];
        disk.Position = disk.Length - VhdFooter.Size;
        return ReadUpTo(disk, footer) == VhdFooter.Size && footer.StartsWith("conectix"u8)
            && BinaryPrimitives.ReadUInt32BigEndian(footer[60..]) == VhdFooter.FixedDisk;
    }

    private static bool IsTarInGzip(Stream disk, long origin)
    {
        if (!disk.CanSeek)
            return false;
        disk.Position = origin;
        try
        {
            using var gzip = new GZipStream(disk, CompressionMode.Decompress, leaveOpen: true);
            Span<byte> header = stackalloc byte[OldGnuTar.BlockSize];
            return ReadUpTo(gzip, header) == header.Length && header[257..].StartsWith("ustar"u8);
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static int ReadUpTo(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer[total..]);
            if (read == 0)
                break;
            total += read;
        }
        return total;
    }
}
