using Unikernel.Tools.Cli;
using Unikernel.Tools.Qemu;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests;

/// <summary>`uk run --drive FILE`: a read-only virtio-blk disk on the machine's own transport, and the errors that name the file.</summary>
public class DriveOptionTests
{
    private static (int Status, string Out, string Error) DryRun(TempDirectory dir, params string[] options)
    {
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        return Uk(["run", image, "--dry-run", "--accel", "tcg", .. options]);
    }

    [Fact]
    public void OnMicrovmADriveIsAVirtio1MmioDevice()
    {
        using var dir = new TempDirectory();
        string seed = dir.File("seed,1.iso");
        File.WriteAllBytes(seed, new byte[4096]);
        var (status, output, error) = DryRun(dir, "--drive", seed);
        Assert.True(status == 0, error);
        Assert.Contains($"-drive if=none,id=drive0,format=raw,readonly=on,file={seed.Replace(",", ",,")} -global virtio-mmio.force-legacy=false "
                        + "-device virtio-blk-device,drive=drive0 ", output);
    }

    [Fact]
    public void OnPcDrivesAreVirtioPciInTheOrderGivenAndQcow2IsRecognised()
    {
        using var dir = new TempDirectory();
        string raw = dir.File("a.img"), qcow2 = dir.File("b.qcow2");
        File.WriteAllBytes(raw, new byte[512]);
        File.WriteAllBytes(qcow2, [(byte)'Q', (byte)'F', (byte)'I', 0xFB, 0, 0, 0, 3]);
        var args = QemuCommand.BuildArguments(new QemuOptions
        {
            ImagePath = "k", Machine = MachineKind.Pc, Drives = [new QemuDrive(raw), new QemuDrive(qcow2)],
        }).ToList();
        Assert.Equal($"if=none,id=drive0,format=raw,readonly=on,file={raw}", args[args.IndexOf("-drive") + 1]);
        Assert.Equal($"if=none,id=drive1,format=qcow2,readonly=on,file={qcow2}", args[args.LastIndexOf("-drive") + 1]);
        Assert.Equal(["virtio-blk-pci,drive=drive0", "virtio-blk-pci,drive=drive1"],
                     args.Where((a, i) => i > 0 && args[i - 1] == "-device" && a.StartsWith("virtio-blk", StringComparison.Ordinal)));
        Assert.DoesNotContain("virtio-mmio.force-legacy=false", args);
    }

    [Fact]
    public void AMissingDriveOrADirectoryIsNamed()
    {
        using var dir = new TempDirectory();
        var (status, _, error) = DryRun(dir, "--drive", dir.File("absent.iso"));
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains($"--drive: {dir.File("absent.iso")} not found", error);

        (status, _, error) = DryRun(dir, "--drive", dir.Path);
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains($"--drive: {dir.Path} is a directory", error);
    }
}
