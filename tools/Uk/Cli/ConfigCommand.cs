using System.CommandLine;
using Unikernel.Disk;
using Unikernel.Disk.Formats;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk config DISK [-e KEY=VALUE] [-k uk.NAME=VALUE] [-- args]`: rewrites the boot configuration (\UK\CMDLINE.TXT) of a
/// raw disk in place, the image untouched; without options it prints the configuration. Other formats are rebuilt with
/// `uk image` instead (their bytes are compressed or laid out by the format). Exit statuses: 0 done; 1 not a raw disk in
/// our layout, or it cannot be written; 2 a usage error.
/// </summary>
public static class ConfigCommand
{
    public const int Failed = 1;

    public static Command Build(UkConsole console)
    {
        var disk = new Argument<FileInfo>("disk") { Description = "A raw disk written by uk image or the publish (e.g. bin/.../hello.raw)" };
        var config = new BootConfigurationOptions();
        var command = new Command("config", "Show or rewrite the boot configuration (environment, kernel options, arguments) of a raw disk image in place")
        {
            disk,
        };
        config.AddTo(command);
        command.SetAction(parse =>
        {
            var file = parse.GetValue(disk)!;
            if (!file.Exists) return console.Fail($"disk not found: {file.FullName}", Failed);
            try
            {
                string? format;
                using (var stream = File.OpenRead(file.FullName)) format = DiskFormat.Detect(stream);
                if (format != "raw")
                    return console.Fail($"{file}: {(format is null ? "not a disk image" : $"a {format} disk")}: uk config rewrites raw disks in place; make this one again with uk image -e/-k/args", Failed);
                if (!config.AnyGiven(parse))
                {
                    console.Out.WriteLine(DiskImageReader.Read(File.ReadAllBytes(file.FullName)).CommandLine);
                    return 0;
                }
                string commandLine;
                try { commandLine = config.CommandLine(parse); }
                catch (ArgumentException e) { return console.Fail(e.Message, UkCommandLine.UsageError); }
                DiskConfiguration.RewriteFile(file.FullName, commandLine);
                return 0;
            }
            catch (DiskFormatException e) { return console.Fail($"{file}: {e.Message}", Failed); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return console.Fail(e.Message, Failed); }
        });
        return command;
    }
}
