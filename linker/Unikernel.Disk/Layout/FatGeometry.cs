namespace Unikernel.Disk.Layout;

/// <summary>
/// The shape of a FAT32 volume of a given size, computed as the Microsoft FAT specification (FAT: General Overview of
/// On-Disk Format, 1.03) does it: sectors per cluster from its DskTableFAT32, 32 reserved sectors, two FATs of the size
/// its FATSz formula gives, the root directory in cluster 2. Only sizes FAT32 allows (at least 65525 clusters, which the
/// table reaches from 66601 sectors on).
/// </summary>
public sealed record FatGeometry(long TotalSectors, int SectorsPerCluster, long FatSectors)
{
    public const int ReservedSectors = 32, FatCount = 2, RootCluster = 2;
    public const long MinClusters = 65525;
    /// <summary>The table's first FAT32 row: smaller volumes have too few clusters for FAT32.</summary>
    public const long MinSectors = 66601;

    public int ClusterBytes => SectorsPerCluster * Sectors.Bytes;
    public long FirstDataSector => ReservedSectors + FatCount * FatSectors;
    public long ClusterCount => (TotalSectors - FirstDataSector) / SectorsPerCluster;
    public long SectorOfCluster(long cluster) => FirstDataSector + (cluster - 2) * SectorsPerCluster;

    public static FatGeometry For(long totalSectors)
    {
        if (totalSectors < MinSectors) throw new ArgumentException($"a FAT32 volume has at least {MinSectors} sectors, not {totalSectors}");
        if (totalSectors > uint.MaxValue) throw new ArgumentException($"a FAT32 volume has at most {uint.MaxValue} sectors");
        int perCluster = totalSectors switch
        {
            <= 532480 => 1,        // up to 260 MB: 512-byte clusters
            <= 16777216 => 8,      // up to 8 GB: 4 KiB
            <= 33554432 => 16,     // up to 16 GB: 8 KiB
            <= 67108864 => 32,     // up to 32 GB: 16 KiB
            _ => 64,               // beyond: 32 KiB
        };
        // FATSz (spec section 3.5): TmpVal2 = (256 * SecPerClus + NumFATs) / 2 for FAT32; rounds up, may over-allocate.
        long tmp1 = totalSectors - ReservedSectors;
        long tmp2 = (256L * perCluster + FatCount) / 2;
        long fatSectors = (tmp1 + tmp2 - 1) / tmp2;
        var geometry = new FatGeometry(totalSectors, perCluster, fatSectors);
        if (geometry.ClusterCount < MinClusters) throw new ArgumentException($"{totalSectors} sectors give {geometry.ClusterCount} clusters, fewer than FAT32's {MinClusters}");
        return geometry;
    }
}
