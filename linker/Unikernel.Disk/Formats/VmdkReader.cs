using System.Buffers.Binary;
using System.IO.Compression;

namespace Unikernel.Disk.Formats;

/// <summary>The disk inside a monolithic sparse VMDK extent (versions 1 to 3): stream-optimized (deflate grains behind
/// markers, the directory found through the footer) or plain.</summary>
internal static class VmdkReader
{
    private const int SectorSize = VmdkStreamWriter.SectorSize;

    public static byte[] Read(ContainerFile file, long? upTo)
    {
        byte[] header = file.Read(0, SectorSize, "the sparse extent header");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != VmdkStreamWriter.Magic)
            throw file.Error("no sparse extent magic \"KDMV\" at offset 0");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        if (version is < 1 or > 3)
            throw file.Error($"version {version} at offset 4 (1 to 3 are read)");
        ulong directory = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(56));
        if (directory == VmdkStreamWriter.DirectoryAtEnd)
        {
            // The footer is the last sector but one (before the end-of-stream marker) and has the real offset.
            header = file.Read(file.Length - 2 * SectorSize, SectorSize, "the footer");
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != VmdkStreamWriter.Magic)
                throw file.Error($"no footer at offset {file.Length - 2 * SectorSize}");
            directory = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(56));
        }
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        long capacity = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(12));
        long grainSectors = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(20));
        uint entriesPerTable = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(44));
        bool compressed = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(77)) == 1;
        bool markers = (flags & VmdkStreamWriter.FlagMarkers) != 0;
        if (grainSectors is < 1 or > 2048 || entriesPerTable is < 1 or > 4096 || capacity < 0 || capacity > long.MaxValue / SectorSize)
            throw file.Error($"grain size {grainSectors}, {entriesPerTable} entries per table or capacity {capacity} is out of range");

        byte[] disk = file.DiskBuffer(capacity * SectorSize, upTo);
        int grainSize = (int)grainSectors * SectorSize;
        long grains = RawDisk.PieceCount(disk.Length, grainSize);
        long tables = RawDisk.PieceCount(grains, (int)entriesPerTable);
        byte[] gd = file.Read(checked((long)directory * SectorSize), checked((int)tables * sizeof(uint)), "the grain directory");
        var table = new byte[entriesPerTable * sizeof(uint)];
        var grain = new byte[grainSize];
        for (long index = 0; index < tables; index++)
        {
            uint tableSector = BinaryPrimitives.ReadUInt32LittleEndian(gd.AsSpan((int)(index * sizeof(uint))));
            if (tableSector == 0)
                continue;
            file.Read(tableSector * (long)SectorSize, table, $"grain table {index}");
            for (long entry = 0; entry < entriesPerTable && index * entriesPerTable + entry < grains; entry++)
            {
                uint grainSector = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan((int)(entry * sizeof(uint))));
                if (grainSector <= 1) // 0: never written, 1: a grain of zeros
                    continue;
                long number = index * entriesPerTable + entry;
                ReadGrain(file, grainSector * (long)SectorSize, compressed, markers, grain, number);
                long start = number * grainSize;
                grain.AsSpan(0, (int)Math.Min(grainSize, disk.Length - start)).CopyTo(disk.AsSpan((int)start));
            }
        }
        return disk;
    }

    private static void ReadGrain(ContainerFile file, long offset, bool compressed, bool markers, byte[] grain, long number)
    {
        if (!compressed)
        {
            file.Read(offset + (markers ? 12 : 0), grain, $"grain {number}");
            return;
        }
        byte[] marker = file.Read(offset, 12, $"the marker of grain {number}");
        int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(marker.AsSpan(8));
        if (size <= 0 || size > file.Length)
            throw file.Error($"grain {number} at offset {offset} has compressed size {size}");
        byte[] data = file.Read(offset + 12, size, $"grain {number}");
        try
        {
            Array.Clear(grain);
            using var zlib = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
            int total = 0, read;
            while (total < grain.Length && (read = zlib.Read(grain, total, grain.Length - total)) > 0)
                total += read;
        }
        catch (InvalidDataException)
        {
            throw file.Error($"grain {number} at offset {offset} is not valid zlib data");
        }
    }
}
