using System.Buffers.Binary;
using System.Text;
using Unikernel.Disk.Layout;
using Unikernel.Loaders;

namespace Unikernel.Disk.Tests;

/// <summary>The ESP's FAT32 volume against the Microsoft FAT specification 1.03, and read by fsck.fat and mtools.</summary>
public sealed class FatTests
{
    private static readonly byte[] Elf = DiskTestInputs.Elf();
    private static readonly byte[] Disk = DiskTestInputs.Disk("uk.log=debug -- hello", Elf);
    private static byte[] Esp()
    {
        var esp = Gpt.Read(Disk, 1).Partitions[1];
        return Disk.AsSpan((int)(esp.FirstLba * 512), (int)(esp.Sectors * 512)).ToArray();
    }

    [Fact]
    public void BootSectorHasTheFat32BpbTheSpecAsksFor()
    {
        var v = Esp();
        Assert.Equal(new byte[] { 0xEB, 0x58, 0x90 }, v[..3]);
        Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(11)));
        Assert.Equal(1, v[13]);                               // DskTableFAT32: up to 532480 sectors, 1 sector a cluster
        Assert.Equal(32, BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(14)));
        Assert.Equal(2, v[16]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(17)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(19)));
        Assert.Equal(0xF8, v[21]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(22)));
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(28)));  // hidden sectors: the partition's LBA
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(32));
        Assert.Equal((uint)(v.Length / 512), total);
        uint fatSize = BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(36));
        long tmp1 = total - 32, tmp2 = (256 * 1 + 2) / 2;
        Assert.Equal((tmp1 + tmp2 - 1) / tmp2, fatSize);
        long clusters = (total - 32 - 2 * fatSize) / 1;
        Assert.True(clusters >= 65525, $"{clusters} clusters: FAT32 needs 65525 or more");
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(44)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(48)));
        Assert.Equal(6, BinaryPrimitives.ReadUInt16LittleEndian(v.AsSpan(50)));
        Assert.Equal(0x29, v[66]);
        Assert.Equal("UNIKERNEL  ", Encoding.ASCII.GetString(v, 71, 11));
        Assert.Equal("FAT32   ", Encoding.ASCII.GetString(v, 82, 8));
        Assert.Equal(new byte[] { 0x55, 0xAA }, v[510..512]);
        Assert.Equal(v[..512], v[(6 * 512)..(7 * 512)]);
        Assert.Equal(0x41615252u, BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(512)));
        Assert.Equal(0x61417272u, BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(512 + 484)));
        Assert.Equal(0xAA550000u, BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(512 + 508)));
    }

    [Fact]
    public void FilesAreContiguousWithEndOfChainAndBothFatsEqual()
    {
        var v = Esp();
        var fat = new Fat32Reader(v);
        var files = fat.Files().ToDictionary(f => f.Path);
        Assert.Equal(new[] { "EFI/BOOT/BOOTX64.EFI", "UK/IMAGE.ELF", "UK/CMDLINE.TXT" }, fat.Files().Select(f => f.Path).ToArray());
        foreach (var f in files.Values) Assert.True(f.Contiguous, $"{f.Path} is contiguous");
        Assert.Equal(Elf, fat.ReadFile(files["UK/IMAGE.ELF"]));
        Assert.Equal(DiskTestInputs.Loaders.UefiApplication, fat.ReadFile(files["EFI/BOOT/BOOTX64.EFI"]));
        Assert.Equal(4095, files["UK/CMDLINE.TXT"].Bytes);   // the UEFI loader takes at most 4095 bytes
        Assert.Equal(8, files["UK/CMDLINE.TXT"].Clusters.Count);  // 4096 bytes reserved
        long fatSize = BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(36));
        Assert.True(v.AsSpan(32 * 512, (int)fatSize * 512).SequenceEqual(v.AsSpan((int)(32 + fatSize) * 512, (int)fatSize * 512)));
        Assert.Equal(0x0FFFFFF8u, BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(32 * 512)));
        var image = files["UK/IMAGE.ELF"];
        uint last = image.Clusters[^1];
        Assert.Equal(0x0FFFFFFFu, BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(32 * 512 + (int)last * 4)));
    }

    [Fact]
    public void DirectoryEntriesCarryTheDeterministicTimestampAndDotEntries()
    {
        var v = Esp();
        var fat = new Fat32Reader(v);
        var g = fat.Geometry;
        // Root (cluster 2): the volume label, then EFI and UK.
        var root = v.AsSpan((int)(g.SectorOfCluster(2) * 512), 512);
        Assert.Equal("UNIKERNEL  ", Encoding.ASCII.GetString(root[..11]));
        Assert.Equal(0x08, root[11]);
        Assert.Equal("EFI        ", Encoding.ASCII.GetString(root.Slice(32, 11)));
        Assert.Equal(0x10, root[32 + 11]);
        // 2000-01-01 00:00:00: (2000 - 1980) << 9 | 1 << 5 | 1.
        Assert.Equal(0x2821, BinaryPrimitives.ReadUInt16LittleEndian(root[(32 + 24)..]));
        Assert.Equal(0x2821, BinaryPrimitives.ReadUInt16LittleEndian(root[(32 + 16)..]));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(root[(32 + 22)..]));
        uint efi = BinaryPrimitives.ReadUInt16LittleEndian(root[(32 + 26)..]);
        var efiDir = v.AsSpan((int)(g.SectorOfCluster(efi) * 512), 512);
        Assert.Equal(".          ", Encoding.ASCII.GetString(efiDir[..11]));
        Assert.Equal(efi, BinaryPrimitives.ReadUInt16LittleEndian(efiDir[26..]));
        Assert.Equal("..         ", Encoding.ASCII.GetString(efiDir.Slice(32, 11)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(efiDir[(32 + 26)..]));  // ".." of a root child is cluster 0
        Assert.Equal("BOOT       ", Encoding.ASCII.GetString(efiDir.Slice(64, 11)));
    }

    [Fact]
    public void VolumeSizeFollowsTheSpecsClusterTable()
    {
        Assert.Equal(1, FatGeometry.For(67584).SectorsPerCluster);
        Assert.Equal(8, FatGeometry.For(532481).SectorsPerCluster);
        Assert.Throws<ArgumentException>(() => FatGeometry.For(66600));
        // A 40 MB image needs a bigger volume than the minimum, still FAT32 with contiguous files.
        var big = DiskImageBuilder.Build(DiskTestInputs.Elf(40_000_000), "", DiskTestInputs.Loaders);
        var info = DiskImageReader.Read(big);
        Assert.True(info.Image.Contiguous);
        Assert.Equal(0, big.Length % (1 << 20));
    }

    [SkippableFact]
    public void FsckFatFindsNoProblem()
    {
        string output = Tools.Run("fsck.fat", "-n -v {0}", Esp());
        Assert.Contains("2 FATs, 32 bit entries", output);
        Assert.Contains("7 files", output);   // 3 files and 4 directories (the root counted)
        Assert.DoesNotContain("differ", output);
    }

    [SkippableFact]
    public void MtoolsListsAndReadsTheFiles()
    {
        string listing = Tools.Run("mdir", "-i {0}@@2097152 -/ -b ::", Disk);
        Assert.Contains("::/EFI/BOOT/BOOTX64.EFI", listing);
        Assert.Contains("::/UK/IMAGE.ELF", listing);
        Assert.Contains("::/UK/CMDLINE.TXT", listing);
        string text = Tools.Run("mtype", "-i {0}@@2097152 ::/UK/CMDLINE.TXT", Disk);
        Assert.Equal("uk.log=debug -- hello", text.TrimEnd('\0'));
    }
}
