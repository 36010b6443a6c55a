namespace Unikernel.Loaders;

/// <summary>
/// What the disk writer (linker/Unikernel.Disk) and the two loaders agree on; docs/disk-images.md draws the layout.
/// A disk is GPT with a protective MBR whose boot code is the BIOS stage 1. Partition 1 is a BIOS boot partition that
/// starts with the <see cref="BiosBootMap"/> sector and holds stage 2; partition 2 is the EFI system partition (FAT),
/// which holds the UEFI loader, the image file unchanged (byte for byte the ELF `uk run` boots with -kernel) and the
/// boot configuration. Both loaders enter the kernel exactly as a PVH loader does: 32-bit protected mode, paging off,
/// ebx = an hvm_start_info (version 1, with a memory map, the command line and the RSDP when known).
/// </summary>
public static class DiskBootContract
{
    public const int SectorBytes = 512;

    /// <summary>Where the BIOS boot partition starts (1 MiB); its first sector is the boot map, stage 2 follows.</summary>
    public const long BiosBootPartitionLba = 2048;

    /// <summary>Size of the BIOS boot partition (1 MiB): the map and stage 2 must fit.</summary>
    public const long BiosBootPartitionSectors = 2048;

    /// <summary>The loader UEFI firmware starts from removable media (UEFI spec 3.5.1.1).</summary>
    public const string UefiLoaderPath = @"\EFI\BOOT\BOOTX64.EFI";

    /// <summary>The ELF image, unchanged. Its clusters are contiguous so stage 2 reads it by LBA.</summary>
    public const string ImagePath = @"\UK\IMAGE.ELF";

    /// <summary>
    /// The boot configuration: the kernel command line (docs/options.md's grammar; CR and LF separate words like
    /// spaces). Allocated with <see cref="ConfigCapacityBytes"/> of contiguous, zero-padded clusters, so `uk` can
    /// rewrite it in place: a loader passes the bytes up to the file's size (UEFI) or the first NUL (BIOS).
    /// </summary>
    public const string ConfigPath = @"\UK\CMDLINE.TXT";

    /// <summary>Room reserved for the configuration: the kernel keeps at most 4096 bytes of command line, NUL included.</summary>
    public const int ConfigCapacityBytes = 4096;
}

/// <summary>
/// The first sector of the BIOS boot partition (LBA <see cref="DiskBootContract.BiosBootPartitionLba"/>), written by
/// the disk writer, read by stage 1 (to find stage 2) and by stage 2 (to find the image and the configuration).
/// Little-endian; the rest of the sector is zero.
/// </summary>
public sealed record BiosBootMap(ulong ImageLba, ulong ImageBytes, ulong ConfigLba, uint Stage2Sectors)
{
    /// <summary>"UKBOOTMP" as little-endian bytes at offset 0.</summary>
    public const ulong Magic = 0x504D544F4F424B55;

    // Layout: 0 Magic (u64), 8 ImageLba (u64), 16 ImageBytes (u64), 24 ConfigLba (u64), 32 ConfigCapacityBytes (u32),
    // 36 Stage2Sectors (u32): stage 2 starts at BiosBootPartitionLba + 1.
    public byte[] ToSector()
    {
        var sector = new byte[DiskBootContract.SectorBytes];
        BitConverter.TryWriteBytes(sector.AsSpan(0), Magic);
        BitConverter.TryWriteBytes(sector.AsSpan(8), ImageLba);
        BitConverter.TryWriteBytes(sector.AsSpan(16), ImageBytes);
        BitConverter.TryWriteBytes(sector.AsSpan(24), ConfigLba);
        BitConverter.TryWriteBytes(sector.AsSpan(32), (uint)DiskBootContract.ConfigCapacityBytes);
        BitConverter.TryWriteBytes(sector.AsSpan(36), Stage2Sectors);
        return sector;
    }
}
