using System.Text.Json;
using Unikernel.Tools.Cli;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests.Export;

public class ExportCommandTests
{

    [Fact]
    public void ExportListsItsTargetsAndEachHasHelp()
    {
        var (status, output, _) = Uk("export", "--help");
        Assert.Equal(0, status);
        foreach (var target in new[] { "libvirt", "firecracker", "kubevirt" }) Assert.Contains(target, output);
        foreach (var (target, options) in new[] {
                     ("libvirt", new[] { "--firmware", "--accel", "--network", "--console-log" }),
                     ("firecracker", new[] { "--tap", "--mac" }),
                     ("kubevirt", new[] { "--firmware", "--image" }) })
        {
            var (s, help, _) = Uk("export", target, "--help");
            Assert.Equal(0, s);
            foreach (var option in options.Concat(["<image>", "--output", "-o", "--name", "--memory", "--cpus", "--env", "--kernel-option"])) Assert.Contains(option, help);
        }
    }

    [Fact]
    public void FirecrackerGetsTheImageAndAConfigurationNamingIt()
    {
        using var dir = new TempDirectory();
        string image = dir.File("Probe_Guest.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        string output = dir.File("out");
        var (status, stdout, error) = Uk("export", "firecracker", image, "-o", output, "-m", "64M", "--cpus", "2", "-e", "A=1", "--", "x");
        Assert.True(status == 0, error);
        // The default name comes from the file name, made a valid machine name.
        Assert.Equal([Path.Combine(output, "probe-guest.img"), Path.Combine(output, "probe-guest.json")], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("firecracker --no-api --config-file", error);
        Assert.Equal(File.ReadAllBytes(image), File.ReadAllBytes(Path.Combine(output, "probe-guest.img")));
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "probe-guest.json"))).RootElement;
        Assert.Equal(Path.Combine(output, "probe-guest.img"), config.GetProperty("boot-source").GetProperty("kernel_image_path").GetString());
        // uk.cloud=off: 169.254.169.254 from the guest's network would be the host's metadata server.
        Assert.Equal("uk.cloud=off A=1 -- x", config.GetProperty("boot-source").GetProperty("boot_args").GetString());
        Assert.Equal(64, config.GetProperty("machine-config").GetProperty("mem_size_mib").GetInt32());
        Assert.Equal(2, config.GetProperty("machine-config").GetProperty("vcpu_count").GetInt32());
        Assert.Equal(["probe-guest.img", "probe-guest.json"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void AnExportAsksNoMetadataServerUnlessTold()
    {
        using var dir = new TempDirectory();
        string image = dir.File("hello.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        string CommandLine(string output, params string[] more)
        {
            var (status, _, error) = Uk(["export", "libvirt", image, "-o", dir.File(output), "--firmware", "none", .. more]);
            Assert.True(status == 0, error);
            return (string)System.Xml.Linq.XDocument.Load(dir.File(output + "/hello.xml")).Descendants("cmdline").Single();
        }
        Assert.Equal("uk.cloud=off", CommandLine("plain"));
        Assert.Equal("uk.cloud=aws uk.cloud.wait=5", CommandLine("told", "-k", "uk.cloud=aws", "-k", "uk.cloud.wait=5"));
    }

    [Fact]
    public void TheSameImageGivesTheSameFiles()
    {
        using var dir = new TempDirectory();
        string image = dir.File("hello.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        Assert.Equal(0, Uk("export", "libvirt", image, "-o", dir.File("a"), "--firmware", "none").Status);
        Assert.Equal(0, Uk("export", "libvirt", image, "-o", dir.File("b"), "--firmware", "none").Status);
        Assert.Equal(File.ReadAllText(dir.File("a/hello.xml")).Replace(dir.File("a"), "DIR"), File.ReadAllText(dir.File("b/hello.xml")).Replace(dir.File("b"), "DIR"));
    }

    [Fact]
    public void AnImageThatCannotBootIsRefusedAndNothingIsWritten()
    {
        using var dir = new TempDirectory();
        string image = dir.File("broken.img");
        File.WriteAllBytes(image, new byte[300]);
        string output = dir.File("out");
        foreach (var target in new[] { "libvirt", "firecracker", "kubevirt" })
        {
            var (status, stdout, error) = Uk("export", target, image, "-o", output);
            Assert.Equal(ExportCommand.CannotExport, status);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Contains("broken.img", error);
            Assert.Equal("", stdout);
            Assert.False(Directory.Exists(output));
        }
        Assert.Equal(ExportCommand.CannotExport, Uk("export", "libvirt", dir.File("missing.img"), "-o", output).Status);
    }

    [Fact]
    public void WhatIsInTheWayFailsTheExportBeforeAnyFileMoves()
    {
        using var dir = new TempDirectory();
        string image = dir.File("hello.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        string output = dir.File("out");
        Directory.CreateDirectory(Path.Combine(output, "hello.json"));   // a directory where the configuration goes
        var (status, _, error) = Uk("export", "firecracker", image, "-o", output);
        Assert.Equal(ExportCommand.CannotExport, status);
        Assert.Contains("is in the way", error);
        Assert.Equal(["hello.json"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));   // no image, no staging

        File.WriteAllText(dir.File("plain-file"), "");
        (status, _, error) = Uk("export", "firecracker", image, "-o", dir.File("plain-file"));
        Assert.Equal(ExportCommand.CannotExport, status);
        Assert.Contains("cannot write", error);
    }

    [Fact]
    public void WhatAnEngineCannotTakeLeavesNoDirectory()
    {
        using var dir = new TempDirectory();
        string image = dir.File("hello.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        // 2,500 bytes: within what uk passes to the kernel, beyond Firecracker's 2,048 -- refused after the output was opened.
        string[] words = Enumerable.Range(0, 100).Select(i => $"argument-{i:d3}-xxxxxxxxxxx").ToArray();
        var (status, stdout, error) = Uk(["export", "firecracker", image, "-o", dir.File("out"), "--", .. words]);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains("Firecracker takes at most", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Theory]
    [InlineData(new[] { "export", "libvirt", "x.img" }, "--output")]
    [InlineData(new[] { "export", "libvirt", "x.img", "-o", "d", "--name", "Bad_Name" }, "a machine name is 1 to 63 lower-case letters")]
    [InlineData(new[] { "export", "libvirt", "x.img", "-o", "d", "--firmware", "coreboot" }, "--firmware must be one of: uefi, bios, none")]
    [InlineData(new[] { "export", "libvirt", "x.img", "-o", "d", "--accel", "hvf" }, "--accel must be kvm or tcg")]
    [InlineData(new[] { "export", "firecracker", "x.img", "-o", "d", "--cpus", "0" }, "--cpus must be a whole number from 1 to 32")]
    [InlineData(new[] { "export", "firecracker", "x.img", "-o", "d", "--mac", "zz" }, "--mac must be six hexadecimal bytes")]
    [InlineData(new[] { "export", "firecracker", "x.img", "-o", "d", "-m", "1.5M" }, "the engines take whole MiB")]
    [InlineData(new[] { "export", "kubevirt", "x.img", "-o", "d", "--firmware", "none" }, "--firmware must be one of: uefi, bios")]
    [InlineData(new[] { "export", "kubevirt", "x.img", "-o", "d", "--image", "hello" }, "expected REGISTRY/REPOSITORY:TAG")]
    [InlineData(new[] { "export", "qemu", "x.img" }, "uk export --help")]
    public void UsageErrorsExitWithTwo(string[] args, string expected)
    {
        var (status, _, error) = Uk(args);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void AKernelOptionThatIsNotOneIsAUsageError()
    {
        using var dir = new TempDirectory();
        string image = dir.File("hello.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        var (status, _, error) = Uk("export", "firecracker", image, "-o", dir.File("out"), "-k", "net.ip=1.2.3.4");
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains("kernel options are uk.NAME[=VALUE]", error);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}

/// <summary>The disk-booting targets: the disk they carry is the one the disk builder makes, whichever engine gets it.</summary>
public class ExportDiskTargetTests
{

    [Fact]
    public void KubeVirtsContainerDiskHoldsTheDiskLibvirtBoots()
    {
        using var dir = new TempDirectory();
        string image = dir.File("hello.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        string[] app = ["-e", "GREETING=hi", "--", "one"];
        var (status, stdout, error) = Uk(["export", "kubevirt", image, "-o", dir.File("kube"), .. app]);
        Assert.True(status == 0, error);
        Assert.Equal([dir.File("kube/hello-containerdisk"), dir.File("kube/hello.yaml")], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("image: \"localhost:5000/hello:latest\"", File.ReadAllText(dir.File("kube/hello.yaml")));
        Assert.Contains("\"org.opencontainers.image.ref.name\":\"latest\"", File.ReadAllText(dir.File("kube/hello-containerdisk/index.json")));
        Assert.True(Uk(["export", "libvirt", image, "-o", dir.File("virt"), .. app]).Status == 0);

        // The layer's /disk/hello.qcow2 is, byte for byte, the qcow2 the libvirt domain boots.
        string layer = Directory.GetFiles(dir.File("kube/hello-containerdisk/blobs/sha256")).Single(f => File.ReadAllBytes(f) is [0x1f, 0x8b, ..]);
        using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(layer), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new System.Formats.Tar.TarReader(gzip);
        reader.GetNextEntry();
        var disk = reader.GetNextEntry()!;
        Assert.Equal("disk/hello.qcow2", disk.Name);
        using var bytes = new MemoryStream();
        disk.DataStream!.CopyTo(bytes);
        Assert.Equal(File.ReadAllBytes(dir.File("virt/hello.qcow2")), bytes.ToArray());
        Assert.Equal("QFI\xfb", System.Text.Encoding.Latin1.GetString(bytes.ToArray(), 0, 4));
    }

    [Fact]
    public void ExportingAgainReplacesTheEarlierFilesAndLayout()
    {
        using var dir = new TempDirectory();
        string image = dir.File("hello.img");
        File.WriteAllBytes(image, TestGuests.ReportsAStatus());
        Assert.Equal(0, Uk("export", "kubevirt", image, "-o", dir.File("kube"), "-e", "A=1").Status);
        Assert.Equal(0, Uk("export", "kubevirt", image, "-o", dir.File("kube"), "-e", "A=2").Status);
        Assert.Equal(["hello-containerdisk", "hello.yaml"], Directory.GetFileSystemEntries(dir.File("kube")).Select(Path.GetFileName).Order());
        // One manifest, one config, one layer: nothing left of the first export's blobs.
        Assert.Equal(3, Directory.GetFiles(dir.File("kube/hello-containerdisk/blobs/sha256")).Length);
    }
}
