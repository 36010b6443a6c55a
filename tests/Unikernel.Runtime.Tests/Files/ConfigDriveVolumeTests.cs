using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Kernel.Files.ConfigDrive;

namespace Unikernel.Runtime.Tests.Files;

/// <summary>
/// The kernel's config-drive readers (runtime/Kernel/Files/ConfigDrive) against volumes made by the tools clouds and
/// users make them with: cloud-localds (genisoimage with Joliet and Rock Ridge; mkfs.vfat + mtools), genisoimage and
/// xorriso with -V config-2 (OpenStack's layout), mkfs.vfat -F 12/16/32 with long names in subdirectories.
/// </summary>
public sealed unsafe class ConfigDriveVolumeTests : IDisposable
{
    private const string UserData = "#uk-env\nGREETING=hello from the drive\n";
    private readonly string _dir = Directory.CreateTempSubdirectory("uk-configdrive-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableTheory]
    [InlineData("iso9660")]
    [InlineData("vfat")]
    public void CloudLocaldsSeedsAreNoCloudDrives(string filesystem)
    {
        Need("cloud-localds");
        Need(filesystem == "vfat" ? "mkfs.vfat" : "genisoimage");
        string seed = Path.Combine(_dir, "seed.img");
        Run("cloud-localds", "-f", filesystem, seed, Write("user-data", UserData), Write("meta-data", "instance-id: iid-local01\nlocal-hostname: box\n"));

        var (volume, contents) = ReadDrive(seed);
        Assert.Equal(filesystem, volume.Kind);
        Assert.Equal("cidata", Label(volume));
        Assert.Equal(ConfigDriveKind.NoCloud, contents.Kind);
        Assert.Null(contents.Problem);
        Assert.Equal(UserData, Text(contents.UserData, contents.UserDataLength));
        Assert.Equal("iid-local01", Text(contents.InstanceId, contents.InstanceIdLength));
    }

    // Joliet and Rock Ridge together (what nova writes), each alone, and xorriso's writer.
    [SkippableTheory]
    [InlineData("genisoimage", "-J -R")]
    [InlineData("genisoimage", "-J")]
    [InlineData("genisoimage", "-R")]
    [InlineData("xorriso", "-J -R")]
    public void OpenStackConfigDriveIsos(string tool, string names)
    {
        Need(tool);
        string tree = OpenStackTree();
        string iso = Path.Combine(_dir, "config.iso");
        var args = new List<string>();
        if (tool == "xorriso") args.AddRange(["-as", "mkisofs"]);
        args.AddRange(["-quiet", "-o", iso, "-V", "config-2"]);
        args.AddRange(names.Split(' '));
        args.Add(tree);
        Run(tool, [.. args]);

        var (volume, contents) = ReadDrive(iso);
        Assert.Equal("iso9660", volume.Kind);
        Assert.Equal(ConfigDriveKind.OpenStack, contents.Kind);
        Assert.Null(contents.Problem);
        Assert.Equal(UserData, Text(contents.UserData, contents.UserDataLength));
        Assert.Equal("83679162-1378-4288-a2d4-70e13ec132aa", Text(contents.InstanceId, contents.InstanceIdLength));
    }

    // Each FAT width (the cluster count decides it), with long names two directories down.
    [SkippableTheory]
    [InlineData(12, 1)]
    [InlineData(16, 20)]
    [InlineData(32, 40)]
    public void OpenStackConfigDriveOnFat(int bits, int megabytes)
    {
        Need("mkfs.vfat");
        Need("mcopy");
        string image = Path.Combine(_dir, "config.vfat");
        using (var f = File.Create(image)) f.SetLength(megabytes * 1024L * 1024);
        Run("mkfs.vfat", "-F", bits.ToString(), "-s", "1", "-n", "config-2", image);
        Run("mcopy", "-s", "-i", image, Path.Combine(OpenStackTree(), "openstack"), "::");

        var (volume, contents) = ReadDrive(image);
        Assert.Equal("vfat", volume.Kind);
        Assert.Equal(ConfigDriveKind.OpenStack, contents.Kind);
        Assert.Null(contents.Problem);
        Assert.Equal(UserData, Text(contents.UserData, contents.UserDataLength));
        Assert.Equal("83679162-1378-4288-a2d4-70e13ec132aa", Text(contents.InstanceId, contents.InstanceIdLength));
    }

    // A file spanning many clusters (its chain followed through the FAT) and short names shown in lower case.
    [SkippableFact]
    public void FatFilesSpanClustersAndShortNamesKeepTheirCase()
    {
        Need("mkfs.vfat");
        Need("mcopy");
        string image = Path.Combine(_dir, "big.vfat");
        using (var f = File.Create(image)) f.SetLength(2 * 1024 * 1024);
        Run("mkfs.vfat", "-s", "1", "-n", "CIDATA", image);
        string big = string.Concat(Enumerable.Range(0, 3000).Select(i => $"LINE_{i}=x\n"));
        Run("mcopy", "-i", image, Write("user-data", big), "::user-data");
        Run("mcopy", "-i", image, Write("readme.txt", "short"), "::README.TXT");

        var volume = Open(image);
        Assert.Equal("CIDATA", Label(volume));
        Assert.Equal(ConfigDriveKind.NoCloud, ConfigDriveLayout.KindOf(volume));
        Assert.Equal(big, ReadText(volume, "user-data", 1 << 20));
        Assert.Equal("short", ReadText(volume, "readme.txt", 100));
        Assert.Equal("short", ReadText(volume, "README.TXT", 100));
        Assert.Null(ReadText(volume, "user-data/x", 100));
        Assert.Null(ReadText(volume, "absent", 100));
    }

    [SkippableFact]
    public void ADriveWithAnotherLabelOrNoFileSystemIsNotAConfigDrive()
    {
        Need("genisoimage");
        string iso = Path.Combine(_dir, "other.iso");
        Run("genisoimage", "-quiet", "-o", iso, "-V", "DATA", "-J", "-R", Write("user-data", UserData));
        var volume = Open(iso);
        Assert.Equal("DATA", Label(volume));
        Assert.Equal(ConfigDriveKind.None, ConfigDriveLayout.KindOf(volume));

        string blank = Path.Combine(_dir, "blank.raw");
        File.WriteAllBytes(blank, new byte[1024 * 1024]);
        Assert.Null(ReadOnlyVolume.Open(new MemoryDisk(File.ReadAllBytes(blank))));
    }

    [SkippableFact]
    public void ProblemsNameTheFile()
    {
        Need("cloud-localds");
        string seed = Path.Combine(_dir, "seed.iso");
        Run("cloud-localds", seed, Write("user-data", UserData), Write("meta-data", "local-hostname: no-id\n"));
        var (_, contents) = ReadDrive(seed);
        Assert.Equal("meta-data", contents.ProblemFile);
        Assert.Equal("no instance-id in it", contents.Problem);

        Run("cloud-localds", seed, Write("user-data", new string('x', ConfigDriveLayout.MaxFileBytes + 1)), Write("meta-data", "instance-id: i\n"));
        (_, contents) = ReadDrive(seed);
        Assert.Equal("user-data", contents.ProblemFile);
        Assert.Equal("the file is larger than a config drive's files may be", contents.Problem);
    }

    // A directory whose extent lies past the end of the disk: reported, never read out of bounds.
    [SkippableFact]
    public void ATruncatedIsoIsReportedNotRead()
    {
        Need("genisoimage");
        string tree = OpenStackTree();
        string iso = Path.Combine(_dir, "config.iso");
        Run("genisoimage", "-quiet", "-o", iso, "-V", "config-2", "-J", "-R", tree);
        byte[] bytes = File.ReadAllBytes(iso);
        // Keep the descriptors; cut where the directories start (the root's extent, from the Joliet descriptor at 17).
        uint rootExtent = BitConverter.ToUInt32(bytes, 17 * 2048 + 156 + 2);
        var volume = ReadOnlyVolume.Open(new MemoryDisk(bytes[..(int)(rootExtent * 2048)]));
        Assert.NotNull(volume);
        var contents = ConfigDriveLayout.Read(volume, ConfigDriveLayout.KindOf(volume));
        Assert.Equal("openstack/latest/user_data", contents.ProblemFile);
        Assert.Equal("a directory extent lies past the end of the disk", contents.Problem);
    }

    [Theory]
    [InlineData("instance-id: iid-1\n", "instance-id", "iid-1")]
    [InlineData("local-hostname: h\ninstance-id:   'quoted id'  \n", "instance-id", "quoted id")]
    [InlineData("instance-id: plain # comment\n", "instance-id", "plain")]
    [InlineData("old-instance-id: no\ninstance-id: yes\n", "instance-id", "yes")]
    [InlineData("{\"instance-id\": \"json-id\", \"x\": 1}", "instance-id", "json-id")]
    [InlineData("{\"name\": \"uuid\", \"uuid\": \"83679162\", \"meta\": {}}", "uuid", "83679162")]
    [InlineData("{\"uuid\":\"no-space\"}", "uuid", "no-space")]
    [InlineData("instance-id:\n", "instance-id", null)]
    [InlineData("instance-id \"open\n", "instance-id", null)]
    [InlineData("hostname: x\n", "instance-id", null)]
    public void MetaDataValuesInYamlOrJson(string text, string key, string? expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            bool found = ConfigDriveLayout.FindValue(p, bytes.Length, key, out int start, out int length);
            Assert.Equal(expected != null, found);
            if (found) Assert.Equal(expected, Encoding.UTF8.GetString(bytes, start, length));
        }
    }

    private string OpenStackTree()
    {
        string tree = Path.Combine(_dir, "tree");
        string latest = Path.Combine(tree, "openstack", "latest");
        Directory.CreateDirectory(latest);
        File.WriteAllText(Path.Combine(latest, "user_data"), UserData);
        File.WriteAllText(Path.Combine(latest, "meta_data.json"),
                          "{\"uuid\": \"83679162-1378-4288-a2d4-70e13ec132aa\", \"name\": \"test\", \"hostname\": \"test.novalocal\"}");
        Directory.CreateDirectory(Path.Combine(tree, "ec2", "latest"));
        File.WriteAllText(Path.Combine(tree, "ec2", "latest", "meta-data.json"), "{}");
        return tree;
    }

    private static (ReadOnlyVolume, ConfigDriveContents) ReadDrive(string path)
    {
        var volume = Open(path);
        var kind = ConfigDriveLayout.KindOf(volume);
        Assert.NotEqual(ConfigDriveKind.None, kind);
        return (volume, ConfigDriveLayout.Read(volume, kind));
    }

    private static ReadOnlyVolume Open(string path)
    {
        var volume = ReadOnlyVolume.Open(new MemoryDisk(File.ReadAllBytes(path)));
        Assert.NotNull(volume);
        return volume;
    }

    private static string? ReadText(ReadOnlyVolume volume, string path, int max)
    {
        byte* data = volume.ReadFile(path, max, out int length, out string problem);
        Assert.Null(problem);
        return data == null ? null : Text(data, length);
    }

    private static string Label(ReadOnlyVolume volume) => Text(volume.Label, volume.LabelLength);

    private static string Text(byte* p, int length) => p == null ? "" : Encoding.UTF8.GetString(p, length);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, "files", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static void Need(string tool)
        => Skip.IfNot(Environment.GetEnvironmentVariable("PATH")!.Split(':').Append("/usr/sbin").Any(d => File.Exists(Path.Combine(d, tool))),
                      $"{tool} is not installed (Debian: cloud-image-utils, genisoimage, xorriso, dosfstools, mtools)");

    private static void Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(File.Exists("/usr/sbin/" + tool) ? "/usr/sbin/" + tool : tool)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {output}");
    }

    /// <summary>A volume image's bytes as the disk the readers read.</summary>
    private sealed class MemoryDisk(byte[] bytes) : ReadOnlyDisk
    {
        public override ulong Size => (ulong)bytes.Length;

        public override bool Read(ulong offset, byte* destination, int length)
        {
            if (offset + (ulong)length > (ulong)bytes.Length) return false;
            Marshal.Copy(bytes, (int)offset, (nint)destination, length);
            return true;
        }
    }
}
