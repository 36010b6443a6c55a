using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Images linked with `uk-ld --compress` (SDK: UnikernelCompress=true): the app and its tables travel as LZ4 and the
/// kernel expands them before it reads any of them. The published apps are relinked with it (the link their publish
/// ran, plus --compress) and must print what the same executables print on Linux, as the uncompressed images do.
/// </summary>
public class CompressedImageTests
{
    [SkippableTheory]
    [InlineData("hello", new[] { "first", "second arg" }, "GREETING=compressed")]
    [InlineData("conformance", new[] { "conformance", "an argument" }, "CONFORMANCE_MODE=differential")]
    public async Task ACompressedImageRunsAsTheUncompressedOneAndAsLinux(string app, string[] args, string variable)
    {
        Skip.IfNot(File.Exists(VersionedImages.CommandFile(app)), $"{VersionedImages.CommandFile(app)} is missing (make build)");
        using var directory = new TempDirectory();
        string image = await VersionedImages.RelinkAsync(app, Path.Combine(directory.Path, app + ".img"), version: null, ["--compress"]);
        Assert.True(new FileInfo(image).Length < new FileInfo(AppImages.Image(app)).Length,
                    $"{app}: compressed {new FileInfo(image).Length} bytes, uncompressed {new FileInfo(AppImages.Image(app)).Length}");

        string[] environment = [variable];
        var linux = AppImages.RunOnLinux(app, args, environment);
        var guest = await KernelImages.BootAsync(image, MachineKind.Microvm, KernelCommandLine.Build([], environment, args), memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains(guest.KernelLines, line => line.StartsWith("uk: payload: ", StringComparison.Ordinal) && line.Contains(" bytes (LZ4) expanded to "));
        // What legitimately differs from Linux (processors, paths, the OS name) conformance marks "env-specific: ".
        Assert.Equal(Comparable(linux.Lines), Comparable(AppImages.AppLines(guest)));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
    }

    private static List<string> Comparable(List<string> lines) =>
        lines.Where(l => !l.StartsWith("env-specific: ", StringComparison.Ordinal)).ToList();
}
