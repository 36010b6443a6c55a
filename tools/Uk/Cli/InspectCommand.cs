using System.CommandLine;
using Unikernel.Tools.Inspect;
using Unikernel.Tools.Inspect.Render;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk inspect IMAGE [--map FILE] [--app-map FILE] [--json] [--html FILE] [--top N]`: what is in an image and what each
/// part costs (ImageAnalyzer). A missing map is not an error: the breakdown then comes from the ELF file alone and a
/// note says so. Exit status 1 when the image cannot be read (missing, not ELF), 2 for usage errors.
/// </summary>
public static class InspectCommand
{
    public const int CannotRead = 1;
    /// <summary>--sbom: the image has an SBOM that does not match it (or is malformed), or none.</summary>
    public const int SbomNotVerified = 3;

    public static Command Build(UkConsole console)
    {
        var image = new Argument<FileInfo>("image") { Description = "The image (or an app's static executable, or a disk image from uk image) to look into" };
        var map = new Option<FileInfo>("--map") { Description = "The image's link map (default: IMAGE.map or IMAGE with .map for its extension)", HelpName = "FILE" };
        var appMap = new Option<FileInfo>("--app-map") { Description = "The embedded app's link map (default: found through the image map's app record)", HelpName = "FILE" };
        var json = new Option<bool>("--json") { Description = "Write the report as JSON to stdout instead of the table" };
        var sbom = new Option<bool>("--sbom") { Description = "Print the image's SBOM (CycloneDX JSON) to stdout and check it against the image (on stderr; exit status 3 if it does not match)" };
        var html = new Option<FileInfo>("--html") { Description = "Also write a self-contained HTML report with a treemap to FILE", HelpName = "FILE" };
        // A string checked here, not Option<int>: a bad value is a usage error with one line, never an exception.
        var top = new Option<string>("--top") { Description = "How many assemblies and namespaces to list", DefaultValueFactory = _ => "10", HelpName = "N" };
        top.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, null, out int n) || n < 1)
                r.AddError($"--top must be a whole number, 1 or more (not '{value}')");
        });

        var command = new Command("inspect", "Show what is in an image and what each part costs: kernel, .NET runtime, libc, app code, and the app's largest assemblies and namespaces")
        {
            image, map, appMap, json, html, top, sbom,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists) return console.Fail($"image not found: {file.FullName}", CannotRead);
            if (parse.GetValue(sbom)) return PrintSbom(console, file);
            ImageReport report;
            DiskReport? disk = null;
            try
            {
                disk = DiskReport.TryRead(file.FullName);
                if (disk is not null && !parse.GetValue(json)) { disk.Write(console.Out); console.Out.WriteLine(); }
                report = ImageAnalyzer.Analyze(disk?.ImagePath ?? file.ToString(), new InspectOptions
                {
                    MapPath = parse.GetValue(map)?.ToString(),
                    AppMapPath = parse.GetValue(appMap)?.ToString(),
                });
            }
            catch (Unikernel.Disk.Formats.DiskFormatException e) { return console.Fail($"{file}: {e.Message}", CannotRead); }
            catch (InvalidOperationException e) { return console.Fail($"{file}: {e.Message}", CannotRead); }
            catch (NotAnElfException e) { return console.Fail($"{file}: {e.Message}", CannotRead); }
            catch (DamagedImageException e) { return console.Fail($"{file}: {e.Message}", CannotRead); }
            catch (FileNotFoundException e) { return console.Fail(e.Message, CannotRead); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return console.Fail($"{file}: {e.Message}", CannotRead); }
            finally { disk?.Dispose(); }

            int n = int.Parse(parse.GetValue(top)!);
            if (parse.GetValue(json)) JsonReport.Write(report, console.Out);
            else TextReport.Write(report, console.Out, console.OutStyle, n);
            if (parse.GetValue(html) is { } htmlFile)
            {
                try { File.WriteAllText(htmlFile.FullName, HtmlReport.Build(report, n)); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return console.Fail($"cannot write {htmlFile}: {e.Message}", CannotRead);
                }
                if (!parse.GetValue(json)) console.Out.WriteLine($"\nHTML report: {htmlFile}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The document as stored, byte for byte, so it can be piped to a scanner; the check goes to stderr.</summary>
    private static int PrintSbom(UkConsole console, FileInfo file)
    {
        byte[] bytes;
        DiskReport? disk = null;
        try
        {
            disk = DiskReport.TryRead(file.FullName);   // a disk image: the SBOM of the image inside it
            bytes = File.ReadAllBytes(disk?.ImagePath ?? file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or Unikernel.Disk.Formats.DiskFormatException)
        {
            return console.Fail($"{file}: {e.Message}", CannotRead);
        }
        finally { disk?.Dispose(); }
        var result = SbomReader.Read(bytes);
        if (result.Json is null) return console.Fail($"{file}: {result.Message}", result.Status == SbomReader.Status.NotPresent ? SbomNotVerified : CannotRead);
        console.Out.Write(result.Json);
        console.Out.Flush();
        if (result.Status != SbomReader.Status.Matches) return console.Fail($"{file}: {result.Message}", SbomNotVerified);
        console.Error.WriteLine($"{file}: {result.Message}");
        return 0;
    }
}
