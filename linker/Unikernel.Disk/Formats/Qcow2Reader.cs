using System.Buffers.Binary;

namespace Unikernel.Disk.Formats;

/// <summary>The guest bytes of a qcow2 file (version 2 or 3) without backing file, encryption, compressed clusters or
/// extended L2 entries: what our writer and `qemu-img convert -O qcow2` write.</summary>
internal static class Qcow2Reader
{
    private const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00;
    private const ulong CompressedFlag = 1UL << 62;
    private const ulong ZeroFlag = 1UL << 0;
    private const ulong DirtyBit = 1UL << 0;

    public static byte[] Read(ContainerFile file, long? upTo)
    {
        byte[] header = file.Read(0, 104, "the header");
        ReadOnlySpan<byte> h = header;
        if (!h.StartsWith(Qcow2Writer.Magic))
            throw file.Error("no qcow2 magic at offset 0");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(h[4..]);
        if (version is not (2 or 3))
            throw file.Error($"version {version} at offset 4 (2 and 3 are read)");
        if (BinaryPrimitives.ReadUInt64BigEndian(h[8..]) != 0)
            throw file.Error("the image has a backing file (offset 8), which is not read here");
        int clusterBits = (int)BinaryPrimitives.ReadUInt32BigEndian(h[20..]);
        if (clusterBits is < 9 or > 21)
            throw file.Error($"cluster_bits {clusterBits} at offset 20 is outside 9..21");
        ulong size = BinaryPrimitives.ReadUInt64BigEndian(h[24..]);
        if (BinaryPrimitives.ReadUInt32BigEndian(h[32..]) != 0)
            throw file.Error("the image is encrypted (offset 32)");
        uint l1Size = BinaryPrimitives.ReadUInt32BigEndian(h[36..]);
        long l1Offset = (long)BinaryPrimitives.ReadUInt64BigEndian(h[40..]);
        if (version == 3 && (BinaryPrimitives.ReadUInt64BigEndian(h[72..]) & ~DirtyBit) != 0)
            throw file.Error($"incompatible features 0x{BinaryPrimitives.ReadUInt64BigEndian(h[72..]):x} at offset 72 are not read here");

        int clusterSize = 1 << clusterBits;
        int entriesPerTable = clusterSize / sizeof(ulong);
        byte[] disk = file.DiskBuffer((long)Math.Min(size, long.MaxValue), upTo);
        long clusters = RawDisk.PieceCount(disk.Length, clusterSize);
        if (RawDisk.PieceCount(clusters, entriesPerTable) > l1Size)
            throw file.Error($"the L1 table ({l1Size} entries, offset 36) does not cover the disk's {size} bytes");
        byte[] l1 = file.Read(l1Offset, checked((int)(RawDisk.PieceCount(clusters, entriesPerTable) * sizeof(ulong))), "the L1 table");
        var l2 = new byte[clusterSize];
        for (long cluster = 0; cluster < clusters; cluster++)
        {
            if (cluster % entriesPerTable == 0)
            {
                ulong l1Entry = BinaryPrimitives.ReadUInt64BigEndian(l1.AsSpan((int)(cluster / entriesPerTable * sizeof(ulong))));
                long l2Offset = (long)(l1Entry & OffsetMask);
                if (l2Offset == 0)
                    Array.Clear(l2);
                else
                    file.Read(l2Offset, l2, "an L2 table");
            }
            ulong entry = BinaryPrimitives.ReadUInt64BigEndian(l2.AsSpan((int)(cluster % entriesPerTable * sizeof(ulong))));
            if ((entry & CompressedFlag) != 0)
                throw file.Error($"guest cluster {cluster} is compressed, which is not read here");
            long offset = (long)(entry & OffsetMask);
            if (offset == 0 || (entry & ZeroFlag) != 0)
                continue;
            long start = cluster * clusterSize;
            int length = (int)Math.Min(clusterSize, disk.Length - start);
            file.Read(offset, disk.AsSpan((int)start, length), $"guest cluster {cluster}");
        }
        return disk;
    }
}
