using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Disk.Layout;

/// <summary>A file to put on the volume: an upper-case 8.3 path with '/' between names, and its bytes.</summary>
public sealed record FatFileInput(string Path, ReadOnlyMemory<byte> Content);

/// <summary>Where a file landed: its first cluster and first sector (from the volume's start), all of them contiguous.</summary>
public sealed record FatPlacement(string Path, uint FirstCluster, long FirstSector, long Bytes);

/// <summary>
/// Writes a FAT32 volume holding a few files (FAT spec 1.03): boot sector and FSInfo with their backups in sectors 6 and
/// 7, two identical FATs, the root directory in cluster 2, then each directory and each file in clusters of its own,
/// allocated in order, so every file's clusters are contiguous (a loader without a FAT driver can read them by LBA).
/// Everything that a formatter takes from the clock or at random comes from the caller (volume serial, timestamps).
/// </summary>
public static class Fat32Writer
{
    public const byte AttrReadOnly = 0x01, AttrHidden = 0x02, AttrSystem = 0x04, AttrVolumeId = 0x08, AttrDirectory = 0x10, AttrArchive = 0x20;
    public const int DirEntryBytes = 32;
    public const uint EndOfChain = 0x0FFFFFFF;
    public const int BackupBootSector = 6, FsInfoSector = 1;
    public const byte Media = 0xF8;

    /// <summary>The smallest volume (a whole number of <paramref name="alignSectors"/>) that holds the files.</summary>
    public static long SectorsFor(IReadOnlyList<FatFileInput> files, long alignSectors)
    {
        long total = Align(FatGeometry.MinSectors, alignSectors);
        while (true)
        {
            var geometry = FatGeometry.For(total);
            long needed = Allocate(Tree(files), geometry).Clusters;
            if (needed <= geometry.ClusterCount) return total;
            total = Align(Math.Max(total + alignSectors, geometry.FirstDataSector + needed * geometry.SectorsPerCluster + 2 * (needed * 4 / Sectors.Bytes + 1)), alignSectors);
        }
    }

    private static long Align(long sectors, long alignment) => (sectors + alignment - 1) / alignment * alignment;

    public static IReadOnlyDictionary<string, FatPlacement> Write(Span<byte> volume, IReadOnlyList<FatFileInput> files,
                                                                   uint hiddenSectors, uint serial, string label, DateTime timestamp)
    {
        var geometry = FatGeometry.For(volume.Length / Sectors.Bytes);
        var root = Tree(files);
        var allocation = Allocate(root, geometry);
        if (allocation.Clusters > geometry.ClusterCount)
            throw new ArgumentException($"the files need {allocation.Clusters} clusters, the volume has {geometry.ClusterCount}");
        volume.Clear();

        var bootSector = BootSector(geometry, hiddenSectors, serial, label);
        bootSector.CopyTo(volume);
        bootSector.CopyTo(volume[(BackupBootSector * Sectors.Bytes)..]);
        long freeClusters = geometry.ClusterCount - allocation.Clusters;
        var fsInfo = FsInfo((uint)freeClusters, (uint)(2 + allocation.Clusters));
        fsInfo.CopyTo(volume[(FsInfoSector * Sectors.Bytes)..]);
        fsInfo.CopyTo(volume[((BackupBootSector + FsInfoSector) * Sectors.Bytes)..]);

        // The FAT: entry 0 holds the media byte, entry 1 the end-of-chain mark with the "clean" and "no error" bits set.
        var fat = new byte[geometry.FatSectors * Sectors.Bytes];
        BinaryPrimitives.WriteUInt32LittleEndian(fat, 0x0FFFFF00 | Media);
        BinaryPrimitives.WriteUInt32LittleEndian(fat.AsSpan(4), EndOfChain);
        foreach (var (first, count) in allocation.Chains)
            for (uint i = 0; i < count; i++)
                BinaryPrimitives.WriteUInt32LittleEndian(fat.AsSpan((int)((first + i) * 4)), i + 1 < count ? first + i + 1 : EndOfChain);
        for (int f = 0; f < FatGeometry.FatCount; f++)
            fat.CopyTo(volume[(int)((FatGeometry.ReservedSectors + f * geometry.FatSectors) * Sectors.Bytes)..]);

        ushort date = FatTime.Date(timestamp), time = FatTime.Time(timestamp);
        var placements = new Dictionary<string, FatPlacement>(StringComparer.Ordinal);
        foreach (var dir in allocation.Directories)
        {
            var data = new byte[dir.ClusterCount * geometry.ClusterBytes];
            int index = 0;
            void Entry(byte[] name, byte attributes, uint cluster, uint size)
                => WriteEntry(data.AsSpan(index++ * DirEntryBytes, DirEntryBytes), name, attributes, cluster, size, date, time);
            if (dir.Parent is null) Entry(VolumeLabel(label), AttrVolumeId, 0, 0);
            else
            {
                // ".." names the root as cluster 0 (FAT spec section 6.7), whatever the root's own cluster.
                Entry(DotName("."), AttrDirectory, dir.Cluster, 0);
                Entry(DotName(".."), AttrDirectory, dir.Parent.Parent is null ? 0 : dir.Parent.Cluster, 0);
            }
            foreach (var child in dir.Children)
            {
                if (child is Directory sub) Entry(FatNames.ToShortName(sub.Name), AttrDirectory, sub.Cluster, 0);
                else
                {
                    var file = (FileNode)child;
                    Entry(FatNames.ToShortName(file.Name), AttrArchive, file.Cluster, (uint)file.Input.Content.Length);
                    long sector = file.Cluster == 0 ? 0 : geometry.SectorOfCluster(file.Cluster);
                    if (file.Cluster != 0) file.Input.Content.Span.CopyTo(volume[(int)(sector * Sectors.Bytes)..]);
                    placements[file.Input.Path] = new FatPlacement(file.Input.Path, file.Cluster, sector, file.Input.Content.Length);
                }
            }
            data.CopyTo(volume[(int)(geometry.SectorOfCluster(dir.Cluster) * Sectors.Bytes)..]);
        }
        return placements;
    }

    private static byte[] BootSector(FatGeometry g, uint hiddenSectors, uint serial, string label)
    {
        var s = new byte[Sectors.Bytes];
        s[0] = 0xEB; s[1] = 0x58; s[2] = 0x90;                  // jmp short to the boot code at 0x5A; nop
        Encoding.ASCII.GetBytes("MSWIN4.1").CopyTo(s, 3);       // the OEM name the spec recommends for compatibility
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(11), Sectors.Bytes);
        s[13] = (byte)g.SectorsPerCluster;
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(14), FatGeometry.ReservedSectors);
        s[16] = FatGeometry.FatCount;
        // 17 RootEntCnt, 19 TotSec16, 22 FATSz16: zero on FAT32.
        s[21] = Media;
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(24), 63);    // sectors per track and heads: the usual LBA geometry
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(26), 255);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(28), hiddenSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(32), (uint)g.TotalSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(36), (uint)g.FatSectors);
        // 40 ExtFlags 0 (mirroring on), 42 FSVer 0.0.
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(44), FatGeometry.RootCluster);
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(48), FsInfoSector);
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(50), BackupBootSector);
        s[64] = 0x80;                                           // drive number: a hard disk
        s[66] = 0x29;                                           // extended boot signature: the next three fields are present
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(67), serial);
        VolumeLabel(label).CopyTo(s, 71);
        Encoding.ASCII.GetBytes("FAT32   ").CopyTo(s, 82);
        // Booted as a volume by mistake (a BIOS given the partition), it hands control back: int 18h, "boot failed".
        s[0x5A] = 0xCD; s[0x5B] = 0x18;
        s[510] = 0x55; s[511] = 0xAA;
        return s;
    }

    private static byte[] FsInfo(uint freeClusters, uint nextFree)
    {
        var s = new byte[Sectors.Bytes];
        BinaryPrimitives.WriteUInt32LittleEndian(s, 0x41615252);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(484), 0x61417272);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(488), freeClusters);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(492), nextFree);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(508), 0xAA550000);
        return s;
    }

    private static void WriteEntry(Span<byte> e, byte[] name, byte attributes, uint cluster, uint size, ushort date, ushort time)
    {
        name.CopyTo(e);
        e[11] = attributes;
        BinaryPrimitives.WriteUInt16LittleEndian(e[14..], time);       // creation
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], date);
        BinaryPrimitives.WriteUInt16LittleEndian(e[18..], date);       // last access
        BinaryPrimitives.WriteUInt16LittleEndian(e[20..], (ushort)(cluster >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(e[22..], time);       // last write
        BinaryPrimitives.WriteUInt16LittleEndian(e[24..], date);
        BinaryPrimitives.WriteUInt16LittleEndian(e[26..], (ushort)cluster);
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], size);
    }

    private static byte[] DotName(string dots) => Encoding.ASCII.GetBytes(dots.PadRight(11));

    private static byte[] VolumeLabel(string label)
    {
        if (label.Length > 11 || !label.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9' or ' ' or '_' or '-'))
            throw new ArgumentException($"volume label '{label}' is not up to 11 upper-case letters and digits");
        return Encoding.ASCII.GetBytes(label.PadRight(11));
    }

    private abstract class Node(string name) { public string Name { get; } = name; public uint Cluster { get; set; } }
    private sealed class FileNode(string name, FatFileInput input) : Node(name) { public FatFileInput Input { get; } = input; }
    private sealed class Directory(string name, Directory? parent) : Node(name)
    {
        public Directory? Parent { get; } = parent;
        public List<Node> Children { get; } = [];
        /// <summary>On the root: every file of the tree, in the order given (their clusters follow that order).</summary>
        public List<FileNode> FilesInOrder { get; } = [];
        public long ClusterCount { get; set; }
        public int EntryCount => Children.Count + (Parent is null ? 1 : 2);
    }

    private static Directory Tree(IReadOnlyList<FatFileInput> files)
    {
        var root = new Directory("", null);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var names = file.Path.Split('/');
            foreach (var n in names) FatNames.ToShortName(n);
            if (!seen.Add(file.Path)) throw new ArgumentException($"'{file.Path}' is given twice");
            if (file.Content.Length > uint.MaxValue) throw new ArgumentException($"'{file.Path}' is {file.Content.Length} bytes; a FAT file holds at most {uint.MaxValue}");
            var dir = root;
            foreach (var n in names[..^1])
            {
                var sub = dir.Children.OfType<Directory>().FirstOrDefault(d => d.Name == n);
                if (sub is null) { sub = new Directory(n, dir); dir.Children.Add(sub); }
                dir = sub;
            }
            if (dir.Children.Any(c => c.Name == names[^1])) throw new ArgumentException($"'{file.Path}' clashes with a directory of that name");
            var node = new FileNode(names[^1], file);
            dir.Children.Add(node);
            root.FilesInOrder.Add(node);
        }
        return root;
    }

    private sealed record Allocation(long Clusters, List<Directory> Directories, List<(uint First, uint Count)> Chains);

    /// <summary>Directories first (root in cluster 2, then breadth first), then the files in the order given.</summary>
    private static Allocation Allocate(Directory root, FatGeometry g)
    {
        var directories = new List<Directory> { root };
        for (int i = 0; i < directories.Count; i++) directories.AddRange(directories[i].Children.OfType<Directory>());
        var chains = new List<(uint, uint)>();
        uint next = FatGeometry.RootCluster;
        foreach (var dir in directories)
        {
            dir.ClusterCount = Math.Max(1, ((long)dir.EntryCount * DirEntryBytes + g.ClusterBytes - 1) / g.ClusterBytes);
            dir.Cluster = next;
            chains.Add((next, (uint)dir.ClusterCount));
            next += (uint)dir.ClusterCount;
        }
        foreach (var file in root.FilesInOrder)
        {
            long count = (file.Input.Content.Length + g.ClusterBytes - 1) / g.ClusterBytes;
            if (count == 0) { file.Cluster = 0; continue; }
            file.Cluster = next;
            chains.Add((next, (uint)count));
            next += (uint)count;
        }
        return new Allocation(next - FatGeometry.RootCluster, directories, chains);
    }
}
