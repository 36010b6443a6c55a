using Unikernel.Disk;
using Unikernel.Tools.Cli;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests;

/// <summary>`uk image` and `uk config` as a user calls them: a disk in each format from hello, the configuration
/// rewritten and read back, and bad input refused with one line and no output file.</summary>
public sealed class ImageCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("uk-image-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void WritesARawDiskWhoseConfigurationUkConfigReadsAndRewrites()
    {
        string? image = Artifacts.Find("artifacts/images/hello.img");
        Skip.If(image is null, "artifacts/images/hello.img is missing (make build)");
        string disk = Path.Combine(_dir, "hello.raw");
        var written = Uk("image", image!, "--format", "raw", "-o", disk, "-e", "GREETING=hi", "--", "a b");
        Assert.Equal((0, ""), (written.Status, written.Error));
        var info = DiskImageReader.Read(File.ReadAllBytes(disk));
        Assert.Equal(File.ReadAllBytes(image!), DiskImageReader.ReadImage(info));
        Assert.Equal("GREETING=hi -- \"a b\"\n", Uk("config", disk).Out);
        Assert.Equal(0, Uk("config", disk, "-k", "uk.log=debug").Status);
        Assert.Equal("uk.log=debug\n", Uk("config", disk).Out);
        Assert.Equal(0, new FileInfo(disk).Length % (1 << 20));
    }

    [SkippableFact]
    public void InspectSbomOfADiskPrintsTheSbomOfTheImageInside()
    {
        string? image = Artifacts.Find("artifacts/images/hello.img");
        Skip.If(image is null, "artifacts/images/hello.img is missing (make build)");
        string disk = Path.Combine(_dir, "hello.qcow2");
        Assert.Equal(0, Uk("image", image!, "--format", "qcow2", "-o", disk).Status);
        var ofImage = Uk("inspect", "--sbom", image!);
        var ofDisk = Uk("inspect", "--sbom", disk);
        Assert.Equal(0, ofImage.Status);
        Assert.Equal((0, ofImage.Out), (ofDisk.Status, ofDisk.Out));
        Assert.Contains("matches", ofDisk.Error);
    }

    [Fact]
    public void ANonElfFileIsRefusedInOneLineAndNothingIsWritten()
    {
        string notElf = Path.Combine(_dir, "notes.txt"), output = Path.Combine(_dir, "out.qcow2");
        File.WriteAllText(notElf, "not an image");
        var result = Uk("image", notElf, "--format", "qcow2", "-o", output);
        Assert.Equal(ImageCommand.Failed, result.Status);
        Assert.Equal($"uk: error: {notElf}: not an ELF file (no \\x7fELF magic at offset 0)\n", result.Error);
        Assert.Empty(Directory.GetFiles(_dir).Where(f => f != notElf));
    }

    [Fact]
    public void AnUnknownFormatIsAUsageError()
    {
        var result = Uk("image", "x.img", "--format", "iso");
        Assert.Equal(UkCommandLine.UsageError, result.Status);
        Assert.StartsWith("uk: error: --format must be one of: raw, qcow2, vhd, vhd-dynamic, vmdk, gce (not 'iso')", result.Error);
    }

    [Fact]
    public void UkConfigRefusesAFileThatIsNotADisk()
    {
        string notDisk = Path.Combine(_dir, "x.raw");
        File.WriteAllBytes(notDisk, new byte[4096]);
        var result = Uk("config", notDisk, "-e", "A=1");
        Assert.Equal(ConfigCommand.Failed, result.Status);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }
}
