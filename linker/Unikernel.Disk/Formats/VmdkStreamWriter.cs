using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Unikernel.Disk.Formats;

/// <summary>
/// A stream-optimized VMDK (VMware Virtual Disk Format 1.1, "Stream-Optimized Compressed Sparse Extents"), the form
/// AWS VM Import takes and VMware reads, written front to back without seeking:
/// header (grain directory "at end") | descriptor | for each 32 MiB with data: its grains (marker + zlib data), a
/// grain table marker and the grain table | grain directory marker and directory | footer marker and footer (the header
/// with the directory's offset) | end-of-stream marker. A 64 KiB grain of zeros is not stored (table entry 0).
/// </summary>
public sealed class VmdkStreamWriter : IDiskFormatWriter
{
    internal const int SectorSize = 512;
    internal const int GrainSectors = 128;
    internal const int GrainSize = GrainSectors * SectorSize;
    internal const int EntriesPerTable = 512;
    internal const int OverheadSectors = 128;
    internal const uint Magic = 0x564D_444B; // "KDMV" in the file
    internal const uint FlagValidNewlineTest = 1 << 0;
    internal const uint FlagCompressed = 1 << 16;
    internal const uint FlagMarkers = 1 << 17;
    internal const ulong DirectoryAtEnd = ulong.MaxValue;
    internal const uint MarkerEndOfStream = 0, MarkerGrainTable = 1, MarkerGrainDirectory = 2, MarkerFooter = 3;

    /// <summary>A fixed zlib level: the same disk always compresses to the same bytes.</summary>
    private const int CompressionLevel = 6;

    public string Name => "vmdk";

    public string Extension => ".vmdk";

    public void Write(ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, Stream output)
    {
        RawDisk.Validate(rawDisk, Name);
        ReadOnlySpan<byte> disk = rawDisk.Span;
        long capacity = disk.Length / SectorSize;
        long grains = RawDisk.PieceCount(disk.Length, GrainSize);
        int tables = (int)RawDisk.PieceCount(grains, EntriesPerTable);
        byte[] descriptor = Encoding.ASCII.GetBytes(VmdkDescriptor.Text(capacity, identity.Number("vmdk-cid")));
        long descriptorSectors = RawDisk.PieceCount(descriptor.Length, SectorSize);
        if (1 + descriptorSectors > OverheadSectors)
            throw new DiskFormatException($"{Name}: the descriptor ({descriptor.Length} bytes) does not fit before the first grain");

        var stream = new SectorWriter(output);
        stream.Write(Header(capacity, descriptorSectors, DirectoryAtEnd));
        stream.Write(descriptor);
        stream.PadTo(OverheadSectors);

        var directory = new byte[tables * sizeof(uint)];
        var table = new byte[EntriesPerTable * sizeof(uint)];
        var compressed = new MemoryStream();
        for (int tableIndex = 0; tableIndex < tables; tableIndex++)
        {
            Array.Clear(table);
            bool any = false;
            for (int entry = 0; entry < EntriesPerTable; entry++)
            {
                long grain = (long)tableIndex * EntriesPerTable + entry;
                if (grain >= grains)
                    break;
                ReadOnlySpan<byte> data = RawDisk.Piece(disk, grain, GrainSize);
                if (RawDisk.IsZero(data))
                    continue;
                any = true;
                BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(entry * sizeof(uint)), checked((uint)stream.Sector));
                Compress(data, compressed);
                var marker = new byte[12];
                BinaryPrimitives.WriteUInt64LittleEndian(marker, (ulong)(grain * GrainSectors));
                BinaryPrimitives.WriteUInt32LittleEndian(marker.AsSpan(8), (uint)compressed.Length);
                stream.Write(marker);
                stream.Write(compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
                stream.PadToSector();
            }
            if (!any)
                continue;
            stream.Write(Marker(MarkerGrainTable, table.Length / SectorSize));
            BinaryPrimitives.WriteUInt32LittleEndian(directory.AsSpan(tableIndex * sizeof(uint)), checked((uint)stream.Sector));
            stream.Write(table);
        }

        stream.Write(Marker(MarkerGrainDirectory, RawDisk.PieceCount(directory.Length, SectorSize)));
        long directorySector = stream.Sector;
        stream.Write(directory);
        stream.PadToSector();
        stream.Write(Marker(MarkerFooter, 1));
        stream.Write(Header(capacity, descriptorSectors, (ulong)directorySector));
        stream.Write(Marker(MarkerEndOfStream, 0));
    }

    private static void Compress(ReadOnlySpan<byte> grain, MemoryStream destination)
    {
        destination.SetLength(0);
        using (var zlib = new ZLibStream(destination, new ZLibCompressionOptions { CompressionLevel = CompressionLevel }, leaveOpen: true))
            zlib.Write(grain);
    }

    /// <summary>The sparse extent header (little-endian), also the footer, which carries the real directory offset.</summary>
    internal static byte[] Header(long capacitySectors, long descriptorSectors, ulong directorySector)
    {
        var header = new byte[SectorSize];
        Span<byte> h = header;
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], 3); // version 3: stream-optimized
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], FlagValidNewlineTest | FlagCompressed | FlagMarkers);
        BinaryPrimitives.WriteUInt64LittleEndian(h[12..], (ulong)capacitySectors);
        BinaryPrimitives.WriteUInt64LittleEndian(h[20..], GrainSectors);
        BinaryPrimitives.WriteUInt64LittleEndian(h[28..], 1); // descriptor right after the header
        BinaryPrimitives.WriteUInt64LittleEndian(h[36..], (ulong)descriptorSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(h[44..], EntriesPerTable);
        BinaryPrimitives.WriteUInt64LittleEndian(h[48..], 0); // no redundant directory
        BinaryPrimitives.WriteUInt64LittleEndian(h[56..], directorySector);
        BinaryPrimitives.WriteUInt64LittleEndian(h[64..], OverheadSectors);
        h[72] = 0; // clean shutdown
        // The newline test: a file moved through a text-mode transfer no longer has these bytes.
        h[73] = (byte)'\n';
        h[74] = (byte)' ';
        h[75] = (byte)'\r';
        h[76] = (byte)'\n';
        BinaryPrimitives.WriteUInt16LittleEndian(h[77..], 1); // deflate
        return header;
    }

    private static byte[] Marker(uint type, long sectors)
    {
        var marker = new byte[SectorSize];
        BinaryPrimitives.WriteUInt64LittleEndian(marker, (ulong)sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(marker.AsSpan(12), type);
        return marker;
    }

    /// <summary>Counts what it wrote, so grain table entries and the directory can name sectors of the file.</summary>
    private sealed class SectorWriter(Stream output)
    {
        private static readonly byte[] Zeros = new byte[SectorSize * OverheadSectors];
        private long _position;

        public long Sector => _position / SectorSize;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            output.Write(bytes);
            _position += bytes.Length;
        }

        public void PadToSector()
        {
            int remainder = (int)(_position % SectorSize);
            if (remainder != 0)
                Write(Zeros.AsSpan(0, SectorSize - remainder));
        }

        public void PadTo(long sector) => Write(Zeros.AsSpan(0, (int)(sector * SectorSize - _position)));
    }
}
