using Unikernel.Disk.Formats;
using System.Buffers.Binary;

namespace Unikernel.Disk.Layout;

/// <summary>A file found on a FAT32 volume: its path ('/' between 8.3 names), size, cluster chain, and where its first
/// cluster starts (sectors from the volume's start); <see cref="Contiguous"/> when the chain is one run.</summary>
public sealed record FatFileEntry(string Path, long Bytes, IReadOnlyList<uint> Clusters, long FirstSector, bool Contiguous);

/// <summary>
/// Reads a FAT32 volume well enough to find files by path: checks the boot sector's FAT32 fields (FAT spec 1.03 section
/// 3), follows cluster chains through FAT 1 and walks the directories (short names; long-name entries and deleted ones
/// are skipped). Damage is reported as one line naming the field or the cluster.
/// </summary>
public sealed class Fat32Reader
{
    private readonly byte[] _volume;
    public FatGeometry Geometry { get; }
    public uint Serial { get; }
    public string Label { get; }

    public Fat32Reader(byte[] volume)
    {
        _volume = volume;
        if (volume.Length < Sectors.Bytes || volume[510] != 0x55 || volume[511] != 0xAA) throw new DiskFormatException("ESP: boot sector has no 0x55AA signature");
        var s = volume.AsSpan(0, Sectors.Bytes);
        int bytesPerSector = BinaryPrimitives.ReadUInt16LittleEndian(s[11..]);
        int perCluster = s[13];
        int reserved = BinaryPrimitives.ReadUInt16LittleEndian(s[14..]);
        int fats = s[16];
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(s[32..]);
        uint fatSize = BinaryPrimitives.ReadUInt32LittleEndian(s[36..]);
        if (bytesPerSector != Sectors.Bytes) throw new DiskFormatException($"ESP: BPB_BytsPerSec is {bytesPerSector}, not {Sectors.Bytes}");
        if (perCluster == 0 || (perCluster & (perCluster - 1)) != 0) throw new DiskFormatException($"ESP: BPB_SecPerClus is {perCluster}");
        if (BinaryPrimitives.ReadUInt16LittleEndian(s[17..]) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(s[22..]) != 0 || fatSize == 0)
            throw new DiskFormatException("ESP: not FAT32 (BPB_RootEntCnt or BPB_FATSz16 is not zero)");
        if (reserved == 0 || fats == 0 || (long)total * Sectors.Bytes > volume.Length || reserved + (long)fats * fatSize >= total)
            throw new DiskFormatException($"ESP: BPB_TotSec32 {total}, BPB_RsvdSecCnt {reserved}, BPB_NumFATs {fats}, BPB_FATSz32 {fatSize} do not fit the partition");
        if (reserved != FatGeometry.ReservedSectors || fats != FatGeometry.FatCount)
            throw new DiskFormatException($"ESP: {reserved} reserved sectors and {fats} FATs; this reader knows the layout with {FatGeometry.ReservedSectors} and {FatGeometry.FatCount}");
        Geometry = new FatGeometry(total, perCluster, fatSize);
        if (Geometry.ClusterCount < FatGeometry.MinClusters) throw new DiskFormatException($"ESP: {Geometry.ClusterCount} clusters: FAT12/16, not FAT32");
        Serial = BinaryPrimitives.ReadUInt32LittleEndian(s[67..]);
        Label = System.Text.Encoding.ASCII.GetString(s.Slice(71, 11)).TrimEnd();
        _rootCluster = BinaryPrimitives.ReadUInt32LittleEndian(s[44..]);
    }

    private readonly uint _rootCluster;

    /// <summary>Every file on the volume, depth first.</summary>
    public IReadOnlyList<FatFileEntry> Files()
    {
        var files = new List<FatFileEntry>();
        Walk(_rootCluster, "", files, depth: 0);
        return files;
    }

    public FatFileEntry? Find(string path) => Files().FirstOrDefault(f => string.Equals(f.Path, path, StringComparison.OrdinalIgnoreCase));

    public byte[] ReadFile(FatFileEntry file)
    {
        var bytes = new byte[file.Bytes];
        long done = 0;
        foreach (var cluster in file.Clusters)
        {
            if (done >= file.Bytes) break;
            int n = (int)Math.Min(Geometry.ClusterBytes, file.Bytes - done);
            _volume.AsSpan((int)(Geometry.SectorOfCluster(cluster) * Sectors.Bytes), n).CopyTo(bytes.AsSpan((int)done));
            done += n;
        }
        return bytes;
    }

    private void Walk(uint cluster, string prefix, List<FatFileEntry> files, int depth)
    {
        if (depth > 8) throw new DiskFormatException($"ESP: directories nested deeper than 8 at '{prefix}'");
        var chain = Chain(cluster, prefix.Length == 0 ? "root directory" : prefix);
        foreach (var c in chain)
        {
            var data = _volume.AsSpan((int)(Geometry.SectorOfCluster(c) * Sectors.Bytes), Geometry.ClusterBytes);
            for (int at = 0; at < data.Length; at += Fat32Writer.DirEntryBytes)
            {
                var e = data.Slice(at, Fat32Writer.DirEntryBytes);
                if (e[0] == 0x00) return;
                if (e[0] == 0xE5 || e[0] == (byte)'.') continue;
                byte attributes = e[11];
                if ((attributes & 0x0F) == 0x0F || (attributes & Fat32Writer.AttrVolumeId) != 0) continue;
                string name = FatNames.FromShortName(e[..11]);
                uint first = (uint)BinaryPrimitives.ReadUInt16LittleEndian(e[20..]) << 16 | BinaryPrimitives.ReadUInt16LittleEndian(e[26..]);
                string path = prefix.Length == 0 ? name : prefix + "/" + name;
                if ((attributes & Fat32Writer.AttrDirectory) != 0) { Walk(first, path, files, depth + 1); continue; }
                long size = BinaryPrimitives.ReadUInt32LittleEndian(e[28..]);
                var clusters = size == 0 ? [] : Chain(first, path);
                if ((long)clusters.Count * Geometry.ClusterBytes < size)
                    throw new DiskFormatException($"ESP: {path} is {size} bytes but its cluster chain holds {clusters.Count * (long)Geometry.ClusterBytes}");
                bool contiguous = clusters.Select((x, i) => x == clusters[0] + i).All(b => b);
                files.Add(new FatFileEntry(path, size, clusters, clusters.Count == 0 ? 0 : Geometry.SectorOfCluster(clusters[0]), contiguous));
            }
        }
    }

    private List<uint> Chain(uint first, string what)
    {
        var chain = new List<uint>();
        uint cluster = first;
        while (true)
        {
            if (cluster < 2 || cluster >= Geometry.ClusterCount + 2) throw new DiskFormatException($"ESP: {what}: cluster {cluster} is outside the volume's clusters");
            if (chain.Count > Geometry.ClusterCount) throw new DiskFormatException($"ESP: {what}: the cluster chain loops");
            chain.Add(cluster);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(_volume.AsSpan((int)(FatGeometry.ReservedSectors * Sectors.Bytes + cluster * 4L))) & 0x0FFFFFFF;
            if (next >= 0x0FFFFFF8) return chain;
            cluster = next;
        }
    }
}
