using System.Diagnostics;
using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Config drives as the cloud configuration source (runtime/Kernel/Boot/Cloud/ConfigDriveSource.cs, docs/options.md
/// "Configuration at boot"): seeds made by Debian's cloud-localds (ISO 9660 and vfat) and an OpenStack config-2 ISO
/// made by genisoimage, attached with `uk run --drive` or as QEMU's virtio-blk on microvm (virtio-mmio), pc and q35
/// (virtio-pci). The user data sets the app's environment between fw_cfg and the command line, the drive's instance id
/// names the machine, a malformed user-data is reported and not applied, and a disk that is no config drive is named
/// once and ignored. samples/conformance's `environment` mode prints the environment.
/// </summary>
public class ConfigDriveTests
{
    private const string App = "conformance";

    // Through `uk run --drive`, with fw_cfg (--env-file) below the drive and -e above it; the same entries as the
    // executable on Linux gets them.
    [SkippableTheory]
    [InlineData("iso9660", "microvm")]
    [InlineData("vfat", "q35")]
    public async Task ANoCloudSeedConfiguresTheAppBetweenFwCfgAndTheCommandLine(string filesystem, string machine)
    {
        Need("cloud-localds", filesystem == "vfat" ? "mkfs.vfat" : "genisoimage");
        using var dir = new TempDirectory();
        string seed = Path.Combine(dir.Path, "seed.img");
        byte[] userData = Encoding.UTF8.GetBytes("# set by the drive\nA=drive\nB=drive\nLogging__LogLevel__Microsoft.Hosting.Lifetime=Warning\n");
        Run("cloud-localds", "-f", filesystem, seed, dir.Write("user-data", userData),
            dir.Write("meta-data", Encoding.UTF8.GetBytes("instance-id: iid-local01\nlocal-hostname: box\n")));
        string envFile = dir.Write("app.env", Encoding.UTF8.GetBytes("A=fw_cfg\nC=fw_cfg\n"));

        var (status, stdout, stderr) = await BootConfigurationTests.RunUkAsync(
            ["run", AppImages.Image(App), "--accel", "tcg", "--timeout", "120", "--machine", machine, "--drive", seed, "--env-file", envFile,
             "-e", "B=command line", "--", "environment"]);

        Assert.True(status == 0, stderr);
        string[] expected = ["A=drive", "B=command line", "C=fw_cfg", "Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning"];
        Assert.Equal(expected.Select(e => "environment: " + e).Order(StringComparer.Ordinal), EnvironmentLines(stdout).Order(StringComparer.Ordinal));
        Assert.Equal(EnvironmentLines(RunOnLinux(expected)).Order(StringComparer.Ordinal), EnvironmentLines(stdout).Order(StringComparer.Ordinal));
        var kernel = Lines(stderr);
        long kib = new FileInfo(seed).Length / 1024;
        Assert.Matches($"^uk: disk: vda {kib} KiB, " + (machine == "microvm" ? @"virtio-mmio 0xfeb0[0-2][0-9a-f]00" : @"virtio-pci 00:0[0-9a-f]\.0") + ", read-only$",
                       kernel.Single(l => l.StartsWith("uk: disk: ", StringComparison.Ordinal)));
        Assert.Contains($"uk: config drive: vda ({filesystem}, label cidata): instance iid-local01, user data {userData.Length} bytes", kernel);
        Assert.Contains("uk: instance iid-local01 (config drive (cidata))", kernel);
        Assert.Contains("uk: environment: 4 names; image none, fw_cfg 2, config drive (cidata) 3, command line 1", kernel);
        Assert.Contains("uk:   A from config drive (cidata), over fw_cfg", kernel);
        Assert.Contains("uk:   B from the command line, over config drive (cidata)", kernel);
        Assert.Contains("uk:   C from fw_cfg", kernel);
    }

    [SkippableFact]
    public async Task AnOpenStackConfigDriveOnPc()
    {
        Need("genisoimage");
        using var dir = new TempDirectory();
        string latest = Path.Combine(dir.Path, "tree", "openstack", "latest");
        Directory.CreateDirectory(latest);
        File.WriteAllText(Path.Combine(latest, "user_data"), "GREETING=hello from config-2\n");
        File.WriteAllText(Path.Combine(latest, "meta_data.json"), "{\"uuid\": \"83679162-1378-4288-a2d4-70e13ec132aa\", \"name\": \"uk\"}");
        string iso = Path.Combine(dir.Path, "config.iso");
        Run("genisoimage", "-quiet", "-o", iso, "-V", "config-2", "-J", "-R", Path.Combine(dir.Path, "tree"));

        var guest = await BootAsync(MachineKind.Pc, iso);

        Assert.Equal(0, guest.ExitStatus);
        Assert.Equal(["environment: GREETING=hello from config-2", "environment: KEPT=1"], EnvironmentLines(guest));
        Assert.Contains("uk: config drive: vda (iso9660, label config-2): instance 83679162-1378-4288-a2d4-70e13ec132aa, user data 29 bytes", guest.KernelLines);
        Assert.Contains("uk:   GREETING from config drive (config-2)", guest.KernelLines);
        Assert.Contains("uk: instance 83679162-1378-4288-a2d4-70e13ec132aa (config drive (config-2))", guest.KernelLines);
    }

    // A data disk first (named and ignored), then a seed whose user data has a bare NAME: reported with its line, none
    // of it applied, the drive's instance id still taken.
    [SkippableFact]
    public async Task AMalformedUserDataIsReportedAndNotAppliedAndOtherDisksAreIgnored()
    {
        Need("cloud-localds", "genisoimage");
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data.iso");
        Run("genisoimage", "-quiet", "-o", data, "-V", "DATA", "-J", "-R", dir.Write("notes.txt", "not a config drive\n"u8.ToArray()));
        string seed = Path.Combine(dir.Path, "seed.iso");
        Run("cloud-localds", seed, dir.Write("user-data", "GOOD=1\nBARE\n"u8.ToArray()), dir.Write("meta-data", "instance-id: iid-bad\n"u8.ToArray()));

        var guest = await BootAsync(MachineKind.Q35, data, seed);

        Assert.Equal(0, guest.ExitStatus);
        Assert.Equal(["environment: KEPT=1"], EnvironmentLines(guest));
        Assert.Contains("uk: disk: vda is not a config drive (iso9660, label DATA); ignored", guest.KernelLines);
        Assert.Contains("uk: config drive: vdb (iso9660, label cidata): instance iid-bad, user data 12 bytes", guest.KernelLines);
        Assert.Contains("uk: environment: config drive (cidata) user data is malformed at line 2: a NAME without '=VALUE'; none of it is applied", guest.KernelLines);
        Assert.Contains("uk: environment: 1 names; image none, fw_cfg none, command line 1", guest.KernelLines);
        Assert.Contains("uk: instance iid-bad (config drive (cidata))", guest.KernelLines);
    }

    // cloud-init refuses a NoCloud seed without an instance id; so does the kernel, naming the file.
    [SkippableFact]
    public async Task ASeedWithoutAnInstanceIdIsReportedAndNotApplied()
    {
        Need("cloud-localds", "mkfs.vfat");
        using var dir = new TempDirectory();
        string seed = Path.Combine(dir.Path, "seed.vfat");
        Run("cloud-localds", "-f", "vfat", seed, dir.Write("user-data", "GOOD=1\n"u8.ToArray()), dir.Write("meta-data", "local-hostname: box\n"u8.ToArray()));

        var guest = await BootAsync(MachineKind.Microvm, seed);

        Assert.Equal(0, guest.ExitStatus);
        Assert.Equal(["environment: KEPT=1"], EnvironmentLines(guest));
        Assert.Contains("uk: config drive: vda (vfat, label cidata): meta-data: no instance-id in it; none of it is applied", guest.KernelLines);
        Assert.Contains(guest.KernelLines, l => l.StartsWith("uk: instance ", StringComparison.Ordinal) && l.EndsWith(" (random)", StringComparison.Ordinal));
    }

    private static Task<BootResult> BootAsync(MachineKind machine, params string[] drives) =>
        QemuRunner.RunAsync(new QemuOptions
        {
            ImagePath = AppImages.Image(App),
            Machine = machine,
            Accelerator = Accelerator.Tcg,
            Memory = "256M",
            CommandLine = KernelCommandLine.Build([], ["KEPT=1"], ["environment"]),
            Drives = drives.Select(d => new QemuDrive(d)).ToList(),
        }, KernelImages.BootTimeout);

    private static string RunOnLinux(string[] environment)
    {
        var start = new ProcessStartInfo(AppImages.LinuxExecutable(App)) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("environment");
        start.Environment.Clear();
        foreach (string e in environment) start.Environment[e[..e.IndexOf('=')]] = e[(e.IndexOf('=') + 1)..];
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return stdout;
    }

    private static List<string> EnvironmentLines(BootResult guest) =>
        AppImages.AppLines(guest).Where(l => l.StartsWith("environment: ", StringComparison.Ordinal)).ToList();

    private static List<string> EnvironmentLines(string stdout) =>
        Lines(stdout).Where(l => l.StartsWith("environment: ", StringComparison.Ordinal)).ToList();

    private static List<string> Lines(string text) => text.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static void Need(params string[] tools)
    {
        foreach (string tool in tools)
            Skip.IfNot(File.Exists("/usr/bin/" + tool) || File.Exists("/usr/sbin/" + tool),
                       $"{tool} is not installed (Debian: cloud-image-utils, genisoimage, dosfstools; make setup)");
    }

    private static void Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(File.Exists("/usr/sbin/" + tool) ? "/usr/sbin/" + tool : tool)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {output}{stderr.Result}");
    }
}
