using Unikernel.Disk.Formats;
using Unikernel.Loaders;

namespace Unikernel.Disk;

/// <summary>
/// Rewrites the boot configuration (\UK\CMDLINE.TXT) of a raw disk in place: the file keeps its size
/// (<see cref="CommandLineFile.FileBytes"/>) and its clusters, only its bytes change, so both loaders (UEFI
/// through the file system, BIOS through the boot map's LBA) see the new line and nothing else on the disk moves.
/// </summary>
public static class DiskConfiguration
{
    /// <summary>Where the configuration lives on <paramref name="info"/>'s disk, after checking that both loaders agree.</summary>
    public static long ConfigOffset(DiskImageInfo info)
    {
        if (info.Config.Bytes != CommandLineFile.FileBytes || !info.Config.Contiguous)
            throw new DiskFormatException($"{DiskBootContract.ConfigPath} is {info.Config.Bytes} bytes{(info.Config.Contiguous ? "" : " in scattered clusters")}: not the {CommandLineFile.FileBytes} contiguous bytes uk rewrites in place (was it edited on a mounted ESP? rebuild with uk image)");
        long lba = info.ConfigOffset / DiskBootContract.SectorBytes;
        if (info.BootMap is { } map && (long)map.ConfigLba != lba)
            throw new DiskFormatException($"the BIOS boot map's ConfigLba ({map.ConfigLba}) is not {DiskBootContract.ConfigPath}'s LBA ({lba})");
        return info.ConfigOffset;
    }

    /// <summary>Rewrites the configuration of the disk in memory.</summary>
    public static void Rewrite(byte[] disk, string commandLine)
    {
        var bytes = CommandLineFile.Encode(commandLine);
        long offset = ConfigOffset(DiskImageReader.Read(disk));
        bytes.CopyTo(disk, offset);
    }

    /// <summary>Rewrites the configuration of the raw disk file at <paramref name="path"/>: one 4095-byte write at the
    /// file's offset, after the whole disk was read and checked.</summary>
    public static void RewriteFile(string path, string commandLine)
    {
        var bytes = CommandLineFile.Encode(commandLine);
        var disk = File.ReadAllBytes(path);
        long offset = ConfigOffset(DiskImageReader.Read(disk));
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
        file.Position = offset;
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }
}
