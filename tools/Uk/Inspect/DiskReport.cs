using Unikernel.Disk;
using Unikernel.Disk.Formats;
using Unikernel.Disk.Layout;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Inspect;

/// <summary>
/// `uk inspect` of a disk image: its format, partitions, the files on the EFI system partition, the BIOS boot map and
/// the boot configuration; the ELF image inside is copied to a temporary file for the usual report. Every format is read
/// with our own readers (DiskFormat.ReadRawDisk).
/// </summary>
public sealed class DiskReport : IDisposable
{
    private readonly string _directory;
    public string Format { get; }
    public DiskImageInfo Info { get; }
    public string ImagePath { get; }

    private DiskReport(string directory, string format, DiskImageInfo info, string imagePath)
    {
        _directory = directory;
        Format = format;
        Info = info;
        ImagePath = imagePath;
    }

    /// <summary>Null when <paramref name="path"/> is not a disk image (an ELF file is read as before).</summary>
    public static DiskReport? TryRead(string path)
    {
        string? format = DiskBoot.Detect(path);
        if (format is null) return null;
        if (format == "gce") throw new DiskFormatException("a GCE upload (disk.raw in a tar.gz): unpack it (tar -xzf) and inspect disk.raw");
        var directory = Directory.CreateTempSubdirectory("uk-inspect-").FullName;
        try
        {
            byte[] raw;
            using (var file = File.OpenRead(path)) raw = DiskFormat.ReadRawDisk(file, format);
            var info = DiskImageReader.Read(raw);
            string image = Path.Combine(directory, Path.GetFileNameWithoutExtension(path) + ".img");
            File.WriteAllBytes(image, DiskImageReader.ReadImage(info));
            return new DiskReport(directory, format, info, image);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public void Write(TextWriter o)
    {
        var i = Info;
        o.WriteLine($"Disk image: {Format}, {i.DiskBytes >> 20} MiB ({i.DiskBytes} bytes), GPT disk {i.Primary.DiskGuid}");
        o.WriteLine($"  {"LBA 0",-16} protective MBR (BIOS boot code)");
        o.WriteLine($"  {$"LBA 1-{Gpt.FirstUsableLba - 1}",-16} primary GPT; backup at LBA {i.Backup.EntriesLba}-{i.Backup.MyLba}");
        foreach (var p in i.Primary.Partitions)
            o.WriteLine($"  {$"LBA {p.FirstLba}-{p.LastLba}",-16} {p.Name} ({(p.Sectors * Sectors.Bytes) >> 10} KiB), {p.Unique}");
        if (i.BootMap is { } map)
            o.WriteLine($"  BIOS boot map: image at LBA {map.ImageLba} ({map.ImageBytes} bytes), configuration at LBA {map.ConfigLba}, stage 2 {map.Stage2Sectors} sectors");
        o.WriteLine($"  EFI system partition: FAT32, {i.Fat.Geometry.ClusterBytes}-byte clusters, label {i.Fat.Label}, serial {i.Fat.Serial:X8}");
        foreach (var f in i.Files)
            o.WriteLine($"    \\{f.Path.Replace('/', '\\'),-22} {f.Bytes,10} bytes at LBA {i.Esp.FirstLba + f.FirstSector}{(f.Contiguous ? "" : " (fragmented)")}");
        o.WriteLine($"  Boot configuration: {(i.CommandLine.Length == 0 ? "(empty)" : i.CommandLine)}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
