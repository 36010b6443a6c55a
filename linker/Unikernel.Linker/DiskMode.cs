using Unikernel.Disk;
using Unikernel.Disk.Formats;
using Unikernel.Linker.Output;

namespace Unikernel.Linker;

/// <summary>
/// `uk-ld --disk-image IMAGE --disk-formats qcow2;vhd [--disk-cmdline LINE]`: writes the disk images of a linked image
/// next to it (IMAGE with each format's extension: app.img -> app.qcow2, app.vhd), with LINE (default: empty) as their
/// boot configuration. The SDK runs it after the image link when UnikernelDiskFormats is set (docs/disk-images.md).
/// </summary>
public static class DiskMode
{
    public const string Flag = "--disk-image";
    public const string Usage = "usage: uk-ld --disk-image IMAGE --disk-formats FORMAT[;FORMAT...] [--disk-cmdline LINE]";

    public static int Run(IReadOnlyList<string> args)
    {
        string? image = null, formats = null, commandLine = null;
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new LinkerException($"{args[i]} needs a value ({Usage})");
            switch (args[i])
            {
                case Flag: image = Value(); break;
                case "--disk-formats": formats = Value(); break;
                case "--disk-cmdline": commandLine = Value(); break;
                default: throw new LinkerException($"unknown option '{args[i]}' in disk mode ({Usage})");
            }
        }
        if (image is null || string.IsNullOrWhiteSpace(formats)) throw new LinkerException(Usage);
        try
        {
            var writers = formats.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                                 .Select(DiskFormat.Writer).DistinctBy(w => w.Name).ToList();
            var clash = writers.GroupBy(w => w.Extension).FirstOrDefault(g => g.Count() > 1);
            if (clash is not null)
                throw new LinkerException($"disk formats {string.Join(" and ", clash.Select(w => w.Name))} both write {clash.Key}: choose one");
            var elf = File.ReadAllBytes(image);
            var disk = DiskImageBuilder.Build(elf, commandLine ?? "");
            var identity = DiskIdentity.Of(elf);
            foreach (var writer in writers)
                DiskFormat.WriteFile(writer, disk, identity, Path.ChangeExtension(image, writer.Extension.TrimStart('.')));
            return 0;
        }
        catch (DiskFormatException e) { throw new LinkerException(e.Message, file: image); }
    }
}
