using Xunit.Abstractions;
using System.Diagnostics;
using System.Net.Sockets;
using Unikernel.Disk;
using Unikernel.Disk.Formats;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The same image booted from a disk (docs/disk-images.md): samples/hello from each container format under SeaBIOS
/// (-M pc) and OVMF (-M q35) prints what the -kernel boot prints; samples/http answers HTTP from a disk under both;
/// qemu-img accepts each file and converts it back to our raw disk byte for byte. Disks boot the way `uk run` boots
/// them (DiskRun, DiskBoot: a temporary overlay carrying the console tag).
/// </summary>
public sealed class DiskBootTests(ITestOutputHelper output, DiskBootTests.DiskFiles files) : IClassFixture<DiskBootTests.DiskFiles>
{
    /// <summary>The class's disk files, in one temporary directory removed after the last test.</summary>
    public sealed class DiskFiles : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("uk-disk-tests-").FullName;
        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static readonly string[] Args = ["first", "second arg"];
    private static readonly string[] Environment = ["GREETING=hello from the disk"];

    /// <summary>hello's disk in <paramref name="format"/>, with the test's arguments and environment as its configuration.</summary>
    private string HelloDisk(string format)
    {
        string path = Path.Combine(files.Directory, "hello." + format);
        lock (files)
        {
            if (!File.Exists(path))
            {
                var elf = File.ReadAllBytes(AppImages.Image("hello"));
                var raw = DiskImageBuilder.Build(elf, KernelCommandLine.Build([], Environment, Args));
                DiskFormat.WriteFile(DiskFormat.Writer(format), raw, DiskIdentity.Of(elf), path);
            }
        }
        return path;
    }

    private static readonly Lazy<Task<BootResult>> KernelBoot = new(() => AppImages.BootAsync("hello", MachineKind.Pc, Args, Environment));

    [SkippableTheory]
    [InlineData("raw", Firmware.Bios)]
    [InlineData("qcow2", Firmware.Bios)]
    [InlineData("vhd", Firmware.Bios)]
    [InlineData("vmdk", Firmware.Bios)]
    [InlineData("raw", Firmware.Uefi)]
    [InlineData("qcow2", Firmware.Uefi)]
    [InlineData("vhd-dynamic", Firmware.Uefi)]
    [InlineData("vmdk", Firmware.Uefi)]
    public async Task HelloFromADiskPrintsWhatTheKernelBootPrints(string format, Firmware firmware)
    {
        SkipWithoutTools(firmware);
        var kernel = await KernelBoot.Value;
        var disk = await BootDiskAsync(HelloDisk(format), format, firmware);

        Assert.False(disk.TimedOut, disk.Console);
        Assert.Equal(AppImages.AppLines(kernel), AppImages.AppLines(disk));
        Assert.Equal(kernel.ExitStatus, disk.ExitStatus);
        Assert.Equal(Args.Length, disk.ExitStatus);
        // Nothing the firmware printed reached the app's output: it came out as the firmware's lines.
        Assert.Contains(disk.KernelLines, l => l.StartsWith(FirmwarePrelude.LinePrefix, StringComparison.Ordinal));
        Assert.DoesNotContain(disk.Transcript, t => !t.FromKernel && t.Text.Contains('\u001b'));
        output.WriteLine($"{format} under {firmware}: {disk.WallTime.TotalSeconds:F1} s; -kernel: {kernel.WallTime.TotalSeconds:F1} s");
    }

    [SkippableTheory]
    [InlineData(Firmware.Bios, "raw")]
    [InlineData(Firmware.Uefi, "qcow2")]
    public async Task HttpAnswersFromADisk(Firmware firmware, string format)
    {
        SkipWithoutTools(firmware);
        var elf = File.ReadAllBytes(AppImages.Image("http"));
        string path = Path.Combine(files.Directory, $"http-{firmware}.{format}");
        DiskFormat.WriteFile(DiskFormat.Writer(format), DiskImageBuilder.Build(elf, KernelCommandLine.Build([], ["ASPNETCORE_URLS=http://0.0.0.0:8080"], [])),
                             DiskIdentity.Of(elf), path);
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", port, 8080)] };
        var console = new System.Text.StringBuilder();
        using var stop = new CancellationTokenSource();
        var boot = BootDiskAsync(path, format, firmware, network, "512M", text => { lock (console) console.Append(text); }, stop.Token);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!Console().Contains("Now listening on: http://0.0.0.0:8080"))
            {
                if (boot.IsCompleted) throw new Xunit.Sdk.XunitException($"the guest stopped\n{(await boot).Console}");
                if (deadline.Elapsed > KernelImages.BootTimeout) throw new Xunit.Sdk.XunitException($"Kestrel did not start\n{Console()}");
                await Task.Delay(50);
            }
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal("Hello from a bootable ASP.NET Core app!\n", await client.GetStringAsync("/"));
            Assert.Equal("""{"id":2,"summary":"Mild","temperatureC":14}""", await client.GetStringAsync("/forecasts/2"));
        }
        finally
        {
            stop.Cancel();
            try { await boot; } catch (OperationCanceledException) { }
        }
        string Console() { lock (console) return console.ToString(); }
    }

    [SkippableTheory]
    [InlineData("qcow2", "qcow2")]
    [InlineData("vhd", "vpc")]
    [InlineData("vhd-dynamic", "vpc")]
    [InlineData("vmdk", "vmdk")]
    public void QemuImgReadsEachFormatBackToOurRawDisk(string format, string driver)
    {
        Skip.IfNot(File.Exists("/usr/bin/qemu-img"), "qemu-img is not installed (make setup)");
        string raw = HelloDisk("raw"), disk = HelloDisk(format), back = Path.Combine(files.Directory, $"back-{format}.raw");
        string info = QemuImg($"info -f {driver} {disk}");
        Assert.Contains($"virtual size: 36 MiB ({new FileInfo(raw).Length} bytes)", info);
        if (format != "vhd" && format != "vhd-dynamic") Assert.Contains("No errors were found", QemuImg($"check -f {driver} {disk}"));
        QemuImg($"convert -f {driver} -O raw {disk} {back}");
        Assert.True(File.ReadAllBytes(raw).AsSpan().SequenceEqual(File.ReadAllBytes(back)), $"qemu-img convert of {format} gives our raw disk");
    }

    /// <summary>samples/http sets UnikernelDiskFormats=qcow2: the publish wrote http.qcow2 next to http.img, the same
    /// disk `uk image` writes (an empty configuration), which qemu-img accepts.</summary>
    [SkippableFact]
    public void ThePublishWritesTheDiskUnikernelDiskFormatsAsksFor()
    {
        Skip.IfNot(File.Exists("/usr/bin/qemu-img"), "qemu-img is not installed (make setup)");
        string published = Path.Combine(KernelImages.RepositoryRoot, "artifacts", "apps", "http", "http.qcow2");
        Assert.True(File.Exists(published), $"{published} is missing: the http publish (make build) writes it");
        var elf = File.ReadAllBytes(Path.Combine(KernelImages.RepositoryRoot, "artifacts", "apps", "http", "http.img"));
        string ours = Path.Combine(files.Directory, "http-uk-image.qcow2");
        DiskFormat.WriteFile(DiskFormat.Writer("qcow2"), DiskImageBuilder.Build(elf, ""), DiskIdentity.Of(elf), ours);
        Assert.True(File.ReadAllBytes(ours).AsSpan().SequenceEqual(File.ReadAllBytes(published)), "the published qcow2 equals uk image's");
        Assert.Contains("No errors were found", QemuImg($"check -f qcow2 {published}"));
    }

    private static Task<BootResult> BootDiskAsync(string path, string format, Firmware firmware, QemuNetwork? network = null, string memory = "256M",
                                                  Action<string>? onOutput = null, CancellationToken cancellation = default)
    {
        var plan = DiskRun.Plan(path, format, firmware, machine: null, commandLine: null);
        Assert.Null(plan.Problem);
        string tag = ConsoleTag.New();
        var prepared = DiskBoot.Prepare(path, format, plan.ConfigLba, QemuCommand.WithTag(plan.CommandLine, tag));
        var options = new QemuOptions
        {
            ImagePath = path,
            Machine = plan.Machine,
            Accelerator = Accelerator.Tcg,
            Memory = memory,
            Network = network,
            ConsoleTag = tag,
            Disk = plan.QemuDisk! with { Path = prepared.OverlayPath, Driver = "qcow2" },
        };
        return Run();
        async Task<BootResult> Run()
        {
            using (prepared) return await QemuRunner.RunAsync(options, KernelImages.BootTimeout, onOutput, cancellation);
        }
    }

    private static void SkipWithoutTools(Firmware firmware)
    {
        Skip.IfNot(File.Exists("/usr/bin/qemu-img") && File.Exists("/usr/bin/qemu-io"), "qemu-utils is not installed (make setup)");
        Skip.If(firmware == Firmware.Uefi && !File.Exists(QemuDisk.OvmfCode), "OVMF is not installed (make setup)");
    }

    private static string QemuImg(string arguments)
    {
        var start = new ProcessStartInfo("qemu-img", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"qemu-img {arguments}: {text}");
        return text;
    }
}
