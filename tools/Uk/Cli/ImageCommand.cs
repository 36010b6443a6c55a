using System.CommandLine;
using Unikernel.Disk;
using Unikernel.Disk.Formats;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk image IMAGE --format FORMAT -o OUT [-e KEY=VALUE] [-k uk.NAME=VALUE] [-- args]`: the disk that boots IMAGE under
/// BIOS and UEFI firmware (docs/disk-images.md), in one of the container formats clouds and VM managers import. The
/// options make the disk's boot configuration (\UK\CMDLINE.TXT), as `uk run`'s make the command line. The output is
/// written whole or not at all. Exit statuses: 0 written; 1 the image cannot go on a disk or OUT cannot be written;
/// 2 a usage error.
/// </summary>
public static class ImageCommand
{
    public const int Failed = 1;

    public static Command Build(UkConsole console)
    {
        var image = new Argument<FileInfo>("image") { Description = "The bootable image (PVH ELF), e.g. artifacts/images/hello.img" };
        var format = new Option<string>("--format", "-f")
        {
            Description = $"The disk format: {string.Join(", ", DiskFormat.Names)}",
            HelpName = string.Join('|', DiskFormat.Names),
            DefaultValueFactory = _ => "raw",
        };
        format.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (!DiskFormat.Names.Contains(value, StringComparer.OrdinalIgnoreCase))
                r.AddError($"--format must be one of: {string.Join(", ", DiskFormat.Names)} (not '{value}')");
        });
        var output = new Option<FileInfo>("--output", "-o") { Description = "The disk file to write (default: IMAGE with the format's extension)", HelpName = "FILE" };
        var config = new BootConfigurationOptions();
        var command = new Command("image", "Write a disk image that boots IMAGE under BIOS and UEFI firmware, in a format for clouds and VM managers")
        {
            image, format, output,
        };
        config.AddTo(command);
        command.SetAction(parse =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists) return console.Fail($"image not found: {file.FullName}", Failed);
            string commandLine;
            try { commandLine = config.CommandLine(parse); }
            catch (ArgumentException e) { return console.Fail(e.Message, UkCommandLine.UsageError); }
            var writer = DiskFormat.Writer(parse.GetValue(format)!);
            string destination = parse.GetValue(output)?.FullName ?? Path.ChangeExtension(file.FullName, writer.Extension.TrimStart('.'));
            if (Path.GetFullPath(destination) == file.FullName) return console.Fail($"-o {destination}: that is the image itself", UkCommandLine.UsageError);
            try
            {
                var elf = File.ReadAllBytes(file.FullName);
                var disk = DiskImageBuilder.Build(elf, commandLine);
                DiskFormat.WriteFile(writer, disk, DiskIdentity.Of(elf), destination);
            }
            catch (DiskFormatException e) { return console.Fail($"{file}: {e.Message}", Failed); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return console.Fail(e.Message, Failed); }
            return 0;
        });
        return command;
    }
}
