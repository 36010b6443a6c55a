using Unikernel.Disk.Formats;
using System.Buffers.Binary;
using Unikernel.Disk.Layout;
using Unikernel.Loaders;

namespace Unikernel.Disk;

/// <summary>What a disk holds, as <see cref="DiskImageReader"/> found it.</summary>
public sealed record DiskImageInfo(
    long DiskBytes, Gpt.Header Primary, Gpt.Header Backup, GptPartition? BiosBootPartition, GptPartition Esp, BiosBootMap? BootMap,
    Fat32Reader Fat, IReadOnlyList<FatFileEntry> Files, FatFileEntry Image, FatFileEntry Config, string CommandLine)
{
    /// <summary>Byte offset of the configuration file's first cluster on the disk.</summary>
    public long ConfigOffset => (Esp.FirstLba + Config.FirstSector) * Sectors.Bytes;
    public long ImageOffset => (Esp.FirstLba + Image.FirstSector) * Sectors.Bytes;
}

/// <summary>
/// Reads back a disk in our layout: the protective MBR, both GPT headers (CRCs checked, each pointing at the other),
/// the EFI system partition's FAT32 volume and the files the loaders use, the BIOS boot map. Used by `uk inspect`, by
/// `uk run` (the configuration) and to rewrite the configuration in place. Each problem is one line.
/// </summary>
public static class DiskImageReader
{
    /// <summary>How many bytes <see cref="LooksLikeDisk"/> needs: LBA 0 and LBA 1.</summary>
    public const int HeadBytes = 2 * Sectors.Bytes;

    /// <summary>A protective MBR (0x55AA, a 0xEE record) and "EFI PART" at LBA 1: a GPT disk, as opposed to an ELF image.</summary>
    public static bool LooksLikeDisk(ReadOnlySpan<byte> head)
        => head.Length >= HeadBytes && head[510] == 0x55 && head[511] == 0xAA && head[446 + 4] == ProtectiveMbr.GptProtectiveType
           && BinaryPrimitives.ReadUInt64LittleEndian(head[Sectors.Bytes..]) == Gpt.Signature;

    public static DiskImageInfo Read(byte[] disk)
    {
        if (disk.Length % Sectors.Bytes != 0) throw new DiskFormatException($"a disk is whole {Sectors.Bytes}-byte sectors; this file is {disk.Length} bytes");
        if (!LooksLikeDisk(disk)) throw new DiskFormatException("not a GPT disk (no protective MBR with a 0xEE record and \"EFI PART\" at LBA 1)");
        var primary = Gpt.Read(disk, Gpt.PrimaryHeaderLba);
        if (primary.MyLba != Gpt.PrimaryHeaderLba) throw new DiskFormatException($"primary GPT header: MyLBA is {primary.MyLba}, not 1");
        long lastLba = disk.Length / Sectors.Bytes - 1;
        if (primary.AlternateLba != lastLba) throw new DiskFormatException($"primary GPT header: AlternateLBA is {primary.AlternateLba}, not the last LBA {lastLba}");
        var backup = Gpt.Read(disk, lastLba);
        if (backup.AlternateLba != Gpt.PrimaryHeaderLba || backup.DiskGuid != primary.DiskGuid || backup.EntriesCrc != primary.EntriesCrc)
            throw new DiskFormatException("backup GPT header does not match the primary (AlternateLBA, DiskGUID or the entry array's CRC32)");
        var esp = primary.Partitions.FirstOrDefault(p => p.Type == GptPartition.EfiSystemType)
                  ?? throw new DiskFormatException("no EFI system partition in the GPT");
        var biosBoot = primary.Partitions.FirstOrDefault(p => p.Type == GptPartition.BiosBootType);

        var volume = disk.AsSpan((int)(esp.FirstLba * Sectors.Bytes), (int)(esp.Sectors * Sectors.Bytes)).ToArray();
        var fat = new Fat32Reader(volume);
        var files = fat.Files();
        FatFileEntry Need(string contractPath)
            => files.FirstOrDefault(f => f.Path.Equals(DiskImageBuilder.ToFatPath(contractPath), StringComparison.OrdinalIgnoreCase))
               ?? throw new DiskFormatException($"the EFI system partition has no {contractPath}");
        var image = Need(DiskBootContract.ImagePath);
        var config = Need(DiskBootContract.ConfigPath);
        Need(DiskBootContract.UefiLoaderPath);
        string commandLine = CommandLineFile.Decode(fat.ReadFile(config));
        return new DiskImageInfo(disk.Length, primary, backup, biosBoot, esp, biosBoot is null ? null : ReadBootMap(disk, biosBoot),
                                 fat, files, image, config, commandLine);
    }

    /// <summary>The ELF image the disk carries, byte for byte.</summary>
    public static byte[] ReadImage(DiskImageInfo info) => info.Fat.ReadFile(info.Image);

    private static BiosBootMap? ReadBootMap(byte[] disk, GptPartition partition)
    {
        var s = disk.AsSpan((int)(partition.FirstLba * Sectors.Bytes), Sectors.Bytes);
        if (BinaryPrimitives.ReadUInt64LittleEndian(s) != BiosBootMap.Magic) return null;
        return new BiosBootMap(BinaryPrimitives.ReadUInt64LittleEndian(s[8..]), BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
                               BinaryPrimitives.ReadUInt64LittleEndian(s[24..]), BinaryPrimitives.ReadUInt32LittleEndian(s[36..]));
    }
}
