using Unikernel.Disk.Formats;
using System.Text;
using Unikernel.Disk.Layout;
using Unikernel.Loaders;

namespace Unikernel.Disk;

/// <summary>
/// Lays out the disk both firmwares boot (docs/disk-images.md): LBA 0 a protective MBR carrying the BIOS boot code,
/// the primary GPT at LBA 1..33, the BIOS boot partition at 1 MiB (the <see cref="BiosBootMap"/> sector, then stage 2),
/// the EFI system partition (FAT32: \EFI\BOOT\BOOTX64.EFI, \UK\IMAGE.ELF, \UK\CMDLINE.TXT) from 2 MiB, and a last MiB
/// that ends with the backup GPT. Every partition starts and ends on a MiB boundary and the disk is a whole number of
/// MiB, which VHD for Azure and the other formats want. All identifiers come from the image's content hash, so the same
/// image and command line give the same bytes.
/// </summary>
public static class DiskImageBuilder
{
    /// <summary>Above this an image does not go on a disk: the disk is built in memory (a .NET array stays below 2 GiB).</summary>
    public const long MaxImageBytes = 1L << 30;
    public const string VolumeLabel = "UNIKERNEL";
    public const string BiosBootPartitionName = "BIOS boot partition", EspName = "EFI system partition";
    public const long EspFirstLba = DiskBootContract.BiosBootPartitionLba + DiskBootContract.BiosBootPartitionSectors;

    /// <summary>The disk for <paramref name="elfImage"/> with <paramref name="commandLine"/> as its boot configuration,
    /// with our loaders.</summary>
    /// <exception cref="DiskFormatException">The image or the command line cannot go on a disk (one line).</exception>
    public static byte[] Build(ReadOnlySpan<byte> elfImage, string commandLine) => Build(elfImage, commandLine, BootLoaders.Ours);

    public static byte[] Build(ReadOnlySpan<byte> elfImage, string commandLine, BootLoaders loaders, long maxImageBytes = MaxImageBytes)
    {
        if (elfImage.Length > maxImageBytes)
            throw new DiskFormatException($"the image is {elfImage.Length} bytes; a disk image holds at most {maxImageBytes} ({maxImageBytes >> 20} MiB)");
        if (BootableElf.Problem(elfImage) is { } problem) throw new DiskFormatException(problem);
        var config = CommandLineFile.Encode(commandLine);
        if (loaders.BiosStage2.Length % Sectors.Bytes != 0 || loaders.BiosStage2.Length / Sectors.Bytes >= DiskBootContract.BiosBootPartitionSectors)
            throw new DiskFormatException($"BIOS stage 2 is {loaders.BiosStage2.Length} bytes: not whole sectors that fit the BIOS boot partition after its map");

        var identity = DiskIdentity.Of(elfImage);
        var image = elfImage.ToArray();
        var files = new List<FatFileInput>
        {
            new(ToFatPath(DiskBootContract.UefiLoaderPath), loaders.UefiApplication),
            new(ToFatPath(DiskBootContract.ImagePath), image),
            new(ToFatPath(DiskBootContract.ConfigPath), config),
        };
        long espSectors = Fat32Writer.SectorsFor(files, Sectors.PerMiB);
        long diskSectors = EspFirstLba + espSectors + Sectors.PerMiB;
        var disk = new byte[diskSectors * Sectors.Bytes];

        ProtectiveMbr.Build(loaders.MbrBootCode, diskSectors).CopyTo(disk, 0);
        var partitions = new[]
        {
            new GptPartition(GptPartition.BiosBootType, identity.Guid("gpt-bios-boot-partition"), DiskBootContract.BiosBootPartitionLba,
                             DiskBootContract.BiosBootPartitionLba + DiskBootContract.BiosBootPartitionSectors - 1, BiosBootPartitionName),
            new GptPartition(GptPartition.EfiSystemType, identity.Guid("gpt-efi-system-partition"), EspFirstLba,
                             EspFirstLba + espSectors - 1, EspName),
        };
        Gpt.Write(disk, identity.Guid("gpt-disk"), partitions);

        var esp = disk.AsSpan((int)(EspFirstLba * Sectors.Bytes), (int)(espSectors * Sectors.Bytes));
        var placed = Fat32Writer.Write(esp, files, (uint)EspFirstLba, identity.Number("fat-volume-serial"), VolumeLabel, DiskIdentity.Timestamp);
        var imageFile = placed[ToFatPath(DiskBootContract.ImagePath)];
        var configFile = placed[ToFatPath(DiskBootContract.ConfigPath)];

        var map = new BiosBootMap((ulong)(EspFirstLba + imageFile.FirstSector), (ulong)image.Length,
                                  (ulong)(EspFirstLba + configFile.FirstSector), (uint)(loaders.BiosStage2.Length / Sectors.Bytes));
        map.ToSector().CopyTo(disk, DiskBootContract.BiosBootPartitionLba * Sectors.Bytes);
        loaders.BiosStage2.CopyTo(disk, (DiskBootContract.BiosBootPartitionLba + 1) * Sectors.Bytes);
        return disk;
    }

    /// <summary>`\UK\IMAGE.ELF` as the FAT writer's `UK/IMAGE.ELF`.</summary>
    public static string ToFatPath(string contractPath) => contractPath.TrimStart('\\').Replace('\\', '/');
}
