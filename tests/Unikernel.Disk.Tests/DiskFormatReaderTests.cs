using System.Buffers.Binary;
using Unikernel.Disk.Formats;

namespace Unikernel.Disk.Tests;

public class DiskFormatReaderTests
{
    [Theory]
    [InlineData("raw")]
    [InlineData("qcow2")]
    [InlineData("vhd")]
    [InlineData("vhd-dynamic")]
    [InlineData("vmdk")]
    public void ReadsBackWhatTheWriterWrote(string format)
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        var file = new MemoryStream(FormatTestSupport.Write(format, disk));
        FormatTestSupport.AssertSameBytes(disk, DiskFormat.ReadRawDisk(file, format));
        FormatTestSupport.AssertSameBytes(disk[..(3 << 20)], DiskFormat.ReadRawDisk(file, format, upTo: 3 << 20));
    }

    /// <summary>Files qemu-img wrote (not ours): the readers follow the specs, not our writers' layout.</summary>
    [SkippableTheory]
    [InlineData("qcow2", "qcow2", "")]
    [InlineData("vpc", "vhd-dynamic", "subformat=dynamic,force_size=on")]
    [InlineData("vpc", "vhd", "subformat=fixed,force_size=on")]
    [InlineData("vmdk", "vmdk", "subformat=streamOptimized")]
    [InlineData("vmdk", "vmdk", "subformat=monolithicSparse")]
    public void ReadsWhatQemuImgWrote(string qemuFormat, string format, string options)
    {
        QemuImg.SkipIfAbsent();
        byte[] disk = SyntheticDisks.FortyMiB();
        using var directory = new TemporaryDirectory();
        string raw = Path.Combine(directory.Path, "disk.raw"), converted = Path.Combine(directory.Path, "disk.img");
        File.WriteAllBytes(raw, disk);
        string[] arguments = options.Length == 0
            ? ["convert", "-f", "raw", "-O", qemuFormat, raw, converted]
            : ["convert", "-f", "raw", "-O", qemuFormat, "-o", options, raw, converted];
        (int code, string output) = QemuImg.Run(arguments);
        Assert.True(code == 0, output);
        using var file = File.OpenRead(converted);
        Assert.Equal(format, DiskFormat.Detect(file));
        FormatTestSupport.AssertSameBytes(disk, DiskFormat.ReadRawDisk(file, format));
    }

    [Fact]
    public void CorruptFilesGiveOneLineErrors()
    {
        byte[] disk = SyntheticDisks.OneMiB();
        byte[] qcow2 = FormatTestSupport.Write("qcow2", disk);
        BinaryPrimitives.WriteUInt64BigEndian(qcow2.AsSpan(40), 1UL << 40); // L1 table far past the end
        var error = Assert.Throws<DiskFormatException>(() => DiskFormat.ReadRawDisk(new MemoryStream(qcow2), "qcow2"));
        Assert.StartsWith("qcow2: the L1 table at offset 1099511627776", error.Message);

        byte[] vhd = FormatTestSupport.Write("vhd", disk);
        vhd[^1] ^= 1;
        error = Assert.Throws<DiskFormatException>(() => DiskFormat.ReadRawDisk(new MemoryStream(vhd), "vhd"));
        Assert.StartsWith("vhd: the footer's checksum", error.Message);

        byte[] vmdk = FormatTestSupport.Write("vmdk", disk);
        error = Assert.Throws<DiskFormatException>(() => DiskFormat.ReadRawDisk(new MemoryStream(vmdk[..^2048]), "vmdk"));
        Assert.Equal("vmdk: no footer at offset " + (vmdk.Length - 2048 - 1024), error.Message);

        error = Assert.Throws<DiskFormatException>(() => DiskFormat.ReadRawDisk(new MemoryStream(qcow2), "vdi"));
        Assert.Equal("unknown disk format 'vdi' (known: raw, qcow2, vhd, vhd-dynamic, vmdk, gce)", error.Message);
    }
}
