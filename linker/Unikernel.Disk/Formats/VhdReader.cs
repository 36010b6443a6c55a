using System.Buffers.Binary;

namespace Unikernel.Disk.Formats;

/// <summary>The disk inside a fixed or dynamic VHD (not a differencing one). The footer's current size is the disk's
/// size; a dynamic disk's sector bitmaps are not consulted (as QEMU does): a stored block is read whole.</summary>
internal static class VhdReader
{
    public static byte[] Read(ContainerFile file, long? upTo)
    {
        if (file.Length < VhdFooter.Size)
            throw file.Error($"the file ({file.Length} bytes) is shorter than a footer");
        byte[] footer = file.Read(file.Length - VhdFooter.Size, VhdFooter.Size, "the footer");
        if (!footer.AsSpan().StartsWith("conectix"u8))
            throw file.Error($"no footer cookie \"conectix\" at offset {file.Length - VhdFooter.Size}");
        CheckSum(file, footer, 64, "footer");
        long size = (long)BinaryPrimitives.ReadUInt64BigEndian(footer.AsSpan(48));
        uint type = BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(60));
        byte[] disk = file.DiskBuffer(size, upTo);
        if (type == VhdFooter.FixedDisk)
        {
            if (size > file.Length - VhdFooter.Size)
                throw file.Error($"the footer's size {size} exceeds the data before it ({file.Length - VhdFooter.Size} bytes)");
            file.Read(0, disk, "the disk");
            return disk;
        }
        if (type != VhdFooter.DynamicDisk)
            throw file.Error($"disk type {type} at footer offset 60 is not read here (2 fixed, 3 dynamic)");

        long headerOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(footer.AsSpan(16));
        byte[] header = file.Read(headerOffset, VhdDynamicWriter.DynamicHeaderSize, "the dynamic disk header");
        if (!header.AsSpan().StartsWith("cxsparse"u8))
            throw file.Error($"no dynamic header cookie \"cxsparse\" at offset {headerOffset}");
        CheckSum(file, header, 36, "dynamic header");
        long tableOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(16));
        uint entries = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(28));
        uint blockSize = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(32));
        if (blockSize == 0 || blockSize % 512 != 0 || blockSize > 256u << 20)
            throw file.Error($"block size {blockSize} at offset {headerOffset + 32} is not a sector multiple up to 256 MiB");
        long blocks = RawDisk.PieceCount(disk.Length, (int)blockSize);
        if (blocks > entries)
            throw file.Error($"the BAT ({entries} entries) does not cover the disk's {size} bytes");
        byte[] table = file.Read(tableOffset, checked((int)blocks * sizeof(uint)), "the block allocation table");
        long bitmapBytes = RawDisk.PieceCount(blockSize / 512 / 8, 512) * 512;
        for (long block = 0; block < blocks; block++)
        {
            uint sector = BinaryPrimitives.ReadUInt32BigEndian(table.AsSpan((int)(block * sizeof(uint))));
            if (sector == uint.MaxValue)
                continue;
            long start = block * blockSize;
            int length = (int)Math.Min(blockSize, disk.Length - start);
            file.Read(sector * 512L + bitmapBytes, disk.AsSpan((int)start, length), $"block {block}");
        }
        return disk;
    }

    private static void CheckSum(ContainerFile file, byte[] structure, int field, string what)
    {
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(structure.AsSpan(field));
        var copy = (byte[])structure.Clone();
        copy.AsSpan(field, 4).Clear();
        if (VhdFooter.Checksum(copy) != stored)
            throw file.Error($"the {what}'s checksum 0x{stored:x8} is wrong (0x{VhdFooter.Checksum(copy):x8})");
    }
}
