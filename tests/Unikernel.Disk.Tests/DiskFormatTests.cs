using System.Diagnostics;
using Unikernel.Disk.Formats;

namespace Unikernel.Disk.Tests;

public class DiskFormatTests
{
    [Fact]
    public void WritersAreKnownByTheirNames()
    {
        Assert.Equal(["raw", "qcow2", "vhd", "vhd-dynamic", "vmdk", "gce"], DiskFormat.Names);
        Assert.Equal(".tar.gz", DiskFormat.Writer("GCE").Extension);
        var error = Assert.Throws<DiskFormatException>(() => DiskFormat.Writer("vdi"));
        Assert.Equal("unknown disk format 'vdi' (known: raw, qcow2, vhd, vhd-dynamic, vmdk, gce)", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(512)]
    [InlineData(3 << 20 | 4096)]
    public void EveryWriterRefusesADiskThatIsNotWholeMebibytes(int length)
    {
        foreach (IDiskFormatWriter writer in DiskFormat.Writers)
        {
            var output = new MemoryStream();
            var error = Assert.Throws<DiskFormatException>(() => writer.Write(new byte[length], DiskIdentity.Of([1, 2]), output));
            Assert.Equal($"{writer.Name}: the raw disk has {length} bytes, not a positive multiple of 1 MiB", error.Message);
            Assert.Equal(0, output.Length);
        }
    }

    [Fact]
    public void DetectNamesTheFormatOfEveryWriterAndKeepsThePosition()
    {
        byte[] disk = SyntheticDisks.OneMiB();
        disk[510] = 0x55;
        disk[511] = 0xAA;
        foreach (IDiskFormatWriter writer in DiskFormat.Writers)
        {
            var file = new MemoryStream(FormatTestSupport.Write(writer.Name, disk));
            file.Position = 0;
            Assert.Equal(writer.Name, DiskFormat.Detect(file));
            Assert.Equal(0, file.Position);
        }
        Assert.Null(DiskFormat.Detect(new MemoryStream(new byte[4096])));
        Assert.Null(DiskFormat.Detect(new MemoryStream([0x1F, 0x8B, 8, 0])));
    }

    [Fact]
    public void EveryFormatIsReproducibleAndTheSparseOnesAreSmallerThanRaw()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        foreach (string format in new[] { "qcow2", "vhd-dynamic", "vmdk", "gce" })
        {
            byte[] first = FormatTestSupport.Write(format, disk);
            FormatTestSupport.AssertSameBytes(first, FormatTestSupport.Write(format, disk));
            Assert.True(first.Length < disk.Length / 2, $"{format}: {first.Length} bytes for {disk.Length}");
        }
        byte[] other = (byte[])disk.Clone();
        other[0] ^= 1;
        Assert.NotEqual(FormatTestSupport.Write("vhd", disk)[^512..], FormatTestSupport.Write("vhd", other)[^512..]);
    }

    [SkippableFact]
    public void RawIntoAFileLeavesZeroMebibytesAsHoles()
    {
        Skip.IfNot(File.Exists("/usr/bin/stat"), "/usr/bin/stat is missing");
        byte[] disk = SyntheticDisks.FortyMiB();
        using var directory = new TemporaryDirectory();
        string path = Path.Combine(directory.Path, "disk.raw");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0xEE, 50 << 20).ToArray()); // old contents must not show through
        DiskFormat.WriteFile(DiskFormat.Writer("raw"), disk, DiskIdentity.Of(disk), path);
        FormatTestSupport.AssertSameBytes(disk, File.ReadAllBytes(path));
        long allocated = AllocatedBytes(path);
        Skip.If(allocated >= disk.Length, $"the file system under {directory.Path} keeps no holes");
        Assert.True(allocated <= 8L << 20, $"{allocated} bytes allocated for 4 MiB with data");
    }

    [Fact]
    public void AFailedWriteLeavesNoFileBehind()
    {
        using var directory = new TemporaryDirectory();
        string path = Path.Combine(directory.Path, "disk.qcow2");
        var error = Assert.Throws<DiskFormatException>(() => DiskFormat.WriteFile(DiskFormat.Writer("qcow2"), new byte[1000], DiskIdentity.Of([1, 2]), path));
        Assert.StartsWith("qcow2: the raw disk has 1000 bytes", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));

        string missing = Path.Combine(directory.Path, "no-such-directory", "disk.vmdk");
        error = Assert.Throws<DiskFormatException>(() => DiskFormat.WriteFile(DiskFormat.Writer("vmdk"), new byte[1 << 20], DiskIdentity.Of([1, 2]), missing));
        Assert.StartsWith($"vmdk: cannot write {missing}: ", error.Message);
    }

    [SkippableFact]
    public void QemuImgReadsRawAsRaw()
    {
        QemuImg.SkipIfAbsent();
        QemuImg.AssertRoundTrip("raw", "raw", SyntheticDisks.FortyMiB(), checkable: false);
    }

    private static long AllocatedBytes(string path)
    {
        var start = new ProcessStartInfo("/usr/bin/stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string[] fields = process.StandardOutput.ReadToEnd().Trim().Split(' ');
        process.WaitForExit();
        return long.Parse(fields[0]) * long.Parse(fields[1]);
    }
}
