using System.CommandLine;
using Unikernel.Formats;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk symbolize IMAGE [LOG]`: names the bare addresses of the kernel's fault reports in a console log that `uk run` did
/// not see (another VMM's serial log, a cloud's console output, `uk export`'s --console-log), from the function table
/// beside the image (IMAGE.syms, or --symbols FILE). Kernel lines ("uk: ...") get name+offset exactly as `uk run` adds
/// it; every other line passes unchanged. Exit statuses: 0 done; 1 the table is missing, damaged or another build's;
/// 2 a usage error.
/// </summary>
public static class SymbolizeCommand
{
    public const int Failed = 1;

    public static Command Build(UkConsole console)
    {
        var image = new Argument<FileInfo>("image") { Description = "The image the log came from (its IMAGE.syms is beside it)" };
        var log = new Argument<FileInfo?>("log") { Description = "The console log (default: standard input)", Arity = ArgumentArity.ZeroOrOne };
        var symbols = new Option<FileInfo?>("--symbols") { Description = "The function table (default: IMAGE.syms)", HelpName = "FILE" };
        var command = new Command("symbolize", "Name the addresses in a kernel fault report from the function table beside the image")
        {
            image, log, symbols,
        };
        command.SetAction(parse =>
        {
            var imageFile = parse.GetValue(image)!;
            if (!imageFile.Exists) return console.Fail($"image not found: {imageFile.FullName}", Failed);
            string table = parse.GetValue(symbols)?.FullName ?? KernelSymbolsSideFile.PathFor(imageFile.FullName);
            if (!File.Exists(table))
                return console.Fail($"{table}: not found (uk-ld --symbols-file writes it; an image with its table inside names functions itself)", Failed);
            string? problem = null;
            var symbolizer = FaultSymbolizer.WithSymbolsFile(imageFile.FullName, table, p => problem = p);
            if (!symbolizer.Load()) return console.Fail(problem ?? $"{table}: unusable", Failed);
            var logFile = parse.GetValue(log);
            if (logFile is not null && !logFile.Exists) return console.Fail($"log not found: {logFile.FullName}", Failed);
            using var reader = logFile is null ? new StreamReader(Console.OpenStandardInput()) : new StreamReader(logFile.FullName);
            string? line;
            while ((line = reader.ReadLine()) is not null)
                console.Out.WriteLine(line.Contains("uk: ", StringComparison.Ordinal) ? symbolizer.Symbolize(line) : line);
            return 0;
        });
        return command;
    }
}
