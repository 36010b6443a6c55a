using System.Buffers.Binary;

namespace Unikernel.Disk.Formats;

/// <summary>
/// QEMU's qcow2, version 3 (docs/interop/qcow2.txt in QEMU): 64 KiB clusters, 16-bit refcounts, no backing file, no
/// compression, no snapshots. Only clusters holding a non-zero byte are stored; an L2 table exists only for a 512 MiB
/// range with data. The file is laid out in one pass, every cluster in it used exactly once (refcount 1, the COPIED
/// flag on every L1/L2 entry), so `qemu-img check` finds neither errors nor leaks:
/// header | refcount table | refcount blocks | L1 table | L2 tables | data clusters.
/// </summary>
public sealed class Qcow2Writer : IDiskFormatWriter
{
    internal const int ClusterBits = 16;
    internal const int ClusterSize = 1 << ClusterBits;
    internal const int HeaderLength = 104;
    private const int EntriesPerTable = ClusterSize / sizeof(ulong);
    private const int RefcountOrder = 4;
    private const int RefcountsPerBlock = ClusterSize / (1 << RefcountOrder >> 3);
    private const ulong Copied = 1UL << 63;

    /// <summary>"QFI" and 0xFB.</summary>
    internal static ReadOnlySpan<byte> Magic => [0x51, 0x46, 0x49, 0xFB];

    public string Name => "qcow2";

    public string Extension => ".qcow2";

    public void Write(ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, Stream output)
    {
        RawDisk.Validate(rawDisk, Name);
        ReadOnlySpan<byte> disk = rawDisk.Span;
        long guestClusters = RawDisk.PieceCount(disk.Length, ClusterSize);
        var dataClusters = new List<long>();
        for (long cluster = 0; cluster < guestClusters; cluster++)
        {
            if (!RawDisk.IsZero(RawDisk.Piece(disk, cluster, ClusterSize)))
                dataClusters.Add(cluster);
        }

        int l1Size = (int)RawDisk.PieceCount(guestClusters, EntriesPerTable);
        var l2Ranges = dataClusters.Select(cluster => cluster / EntriesPerTable).Distinct().ToList();
        long l1Clusters = RawDisk.PieceCount((long)l1Size * sizeof(ulong), ClusterSize);
        long fixedClusters = 1 + l1Clusters + l2Ranges.Count + dataClusters.Count;

        // The refcount structures count themselves too: grow them until they cover the whole file.
        long refcountBlocks = 0, refcountTableClusters = 0;
        while (true)
        {
            long total = fixedClusters + refcountTableClusters + refcountBlocks;
            long blocks = RawDisk.PieceCount(total, RefcountsPerBlock);
            long tableClusters = RawDisk.PieceCount(blocks, EntriesPerTable);
            if (blocks == refcountBlocks && tableClusters == refcountTableClusters)
                break;
            (refcountBlocks, refcountTableClusters) = (blocks, tableClusters);
        }
        long totalClusters = fixedClusters + refcountTableClusters + refcountBlocks;

        long refcountTableCluster = 1;
        long firstRefcountBlock = refcountTableCluster + refcountTableClusters;
        long l1Cluster = firstRefcountBlock + refcountBlocks;
        long firstL2Cluster = l1Cluster + l1Clusters;
        long firstDataCluster = firstL2Cluster + l2Ranges.Count;

        var writer = new ClusterWriter(output);
        writer.Write(Header(disk.Length, l1Size, l1Cluster, refcountTableCluster, refcountTableClusters));

        byte[] table = new byte[refcountTableClusters * ClusterSize];
        for (long block = 0; block < refcountBlocks; block++)
            BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan((int)(block * sizeof(ulong))), (ulong)((firstRefcountBlock + block) * ClusterSize));
        writer.Write(table);

        for (long block = 0; block < refcountBlocks; block++)
        {
            var refcounts = new byte[ClusterSize];
            long first = block * RefcountsPerBlock;
            long count = Math.Min(RefcountsPerBlock, totalClusters - first);
            for (int index = 0; index < count; index++)
                BinaryPrimitives.WriteUInt16BigEndian(refcounts.AsSpan(index * sizeof(ushort)), 1);
            writer.Write(refcounts);
        }

        byte[] l1 = new byte[l1Clusters * ClusterSize];
        for (int range = 0; range < l2Ranges.Count; range++)
        {
            ulong offset = (ulong)((firstL2Cluster + range) * ClusterSize) | Copied;
            BinaryPrimitives.WriteUInt64BigEndian(l1.AsSpan((int)(l2Ranges[range] * sizeof(ulong))), offset);
        }
        writer.Write(l1);

        int next = 0;
        foreach (long range in l2Ranges)
        {
            var l2 = new byte[ClusterSize];
            for (; next < dataClusters.Count && dataClusters[next] / EntriesPerTable == range; next++)
            {
                ulong offset = (ulong)((firstDataCluster + next) * ClusterSize) | Copied;
                BinaryPrimitives.WriteUInt64BigEndian(l2.AsSpan((int)(dataClusters[next] % EntriesPerTable * sizeof(ulong))), offset);
            }
            writer.Write(l2);
        }

        foreach (long cluster in dataClusters)
            writer.Write(RawDisk.Piece(disk, cluster, ClusterSize));
    }

    private static byte[] Header(long virtualSize, int l1Size, long l1Cluster, long refcountTableCluster, long refcountTableClusters)
    {
        var header = new byte[ClusterSize];
        Span<byte> h = header;
        Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], 3);
        BinaryPrimitives.WriteUInt32BigEndian(h[20..], ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(h[24..], (ulong)virtualSize);
        BinaryPrimitives.WriteUInt32BigEndian(h[36..], (uint)l1Size);
        BinaryPrimitives.WriteUInt64BigEndian(h[40..], (ulong)(l1Cluster * ClusterSize));
        BinaryPrimitives.WriteUInt64BigEndian(h[48..], (ulong)(refcountTableCluster * ClusterSize));
        BinaryPrimitives.WriteUInt32BigEndian(h[56..], (uint)refcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(h[96..], RefcountOrder);
        BinaryPrimitives.WriteUInt32BigEndian(h[100..], HeaderLength);
        // Bytes 104..111 stay zero: the end-of-extensions marker.
        return header;
    }

    /// <summary>Writes whole clusters: a shorter piece (the disk's last cluster) is padded with zeros.</summary>
    private sealed class ClusterWriter(Stream output)
    {
        private readonly byte[] _padding = new byte[ClusterSize];

        public void Write(ReadOnlySpan<byte> bytes)
        {
            output.Write(bytes);
            int remainder = bytes.Length % ClusterSize;
            if (remainder != 0)
                output.Write(_padding.AsSpan(remainder));
        }
    }
}
