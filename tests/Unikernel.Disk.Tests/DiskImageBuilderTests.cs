using Unikernel.Disk.Formats;
using System.Buffers.Binary;
using Unikernel.Disk.Layout;
using Unikernel.Loaders;

namespace Unikernel.Disk.Tests;

/// <summary>The whole disk: sizes, the BIOS boot partition's contents, reproducibility, reading it back, the
/// configuration rewritten in place, and the one-line refusals of bad input.</summary>
public sealed class DiskImageBuilderTests
{
    [Fact]
    public void DiskIsWholeMebibytesAndTheBootMapPointsAtTheImageAndTheConfig()
    {
        var elf = DiskTestInputs.Elf();
        var disk = DiskTestInputs.Disk("A=1", elf);
        Assert.Equal(0, disk.Length % (1 << 20));
        var map = disk.AsSpan(2048 * 512, 512);
        Assert.Equal(BiosBootMap.Magic, BinaryPrimitives.ReadUInt64LittleEndian(map));
        long imageLba = (long)BinaryPrimitives.ReadUInt64LittleEndian(map[8..]);
        Assert.Equal((ulong)elf.Length, BinaryPrimitives.ReadUInt64LittleEndian(map[16..]));
        Assert.Equal(elf, disk.AsSpan((int)imageLba * 512, elf.Length).ToArray());
        long configLba = (long)BinaryPrimitives.ReadUInt64LittleEndian(map[24..]);
        Assert.Equal("A=1\0"u8.ToArray(), disk.AsSpan((int)configLba * 512, 4).ToArray());
        Assert.True(disk.AsSpan((int)configLba * 512 + 3, 4093).ToArray().All(b => b == 0));
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(map[32..]));
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(map[36..]));
        Assert.Equal(DiskTestInputs.Loaders.BiosStage2, disk.AsSpan(2049 * 512, 8 * 512).ToArray());
    }

    [Fact]
    public void SameInputGivesTheSameBytesAndAnotherImageOtherGuids()
    {
        var a = DiskTestInputs.Disk("x", DiskTestInputs.Elf(seed: 1));
        Assert.Equal(a, DiskTestInputs.Disk("x", DiskTestInputs.Elf(seed: 1)));
        var b = DiskTestInputs.Disk("x", DiskTestInputs.Elf(seed: 2));
        Assert.NotEqual(Gpt.Read(a, 1).DiskGuid, Gpt.Read(b, 1).DiskGuid);
        Assert.NotEqual(new Fat32Reader(Esp(a)).Serial, new Fat32Reader(Esp(b)).Serial);
    }

    [Fact]
    public void ReaderFindsTheLayoutTheImageAndTheConfig()
    {
        var elf = DiskTestInputs.Elf();
        var info = DiskImageReader.Read(DiskTestInputs.Disk("uk.log=debug -- \"a b\"", elf));
        Assert.Equal("uk.log=debug -- \"a b\"", info.CommandLine);
        Assert.Equal(elf, DiskImageReader.ReadImage(info));
        Assert.NotNull(info.BootMap);
        Assert.Equal((ulong)(info.ImageOffset / 512), info.BootMap!.ImageLba);
        Assert.Equal("UNIKERNEL", info.Fat.Label);
    }

    [Fact]
    public void ConfigIsRewrittenInPlaceAndNothingElseChanges()
    {
        var disk = DiskTestInputs.Disk("OLD=1");
        var before = (byte[])disk.Clone();
        DiskConfiguration.Rewrite(disk, "NEW=2 -- arg");
        var info = DiskImageReader.Read(disk);
        Assert.Equal("NEW=2 -- arg", info.CommandLine);
        int differing = Enumerable.Range(0, disk.Length).Count(i => disk[i] != before[i]);
        Assert.InRange(differing, 1, 4095);
        Assert.Equal(DiskTestInputs.Disk("NEW=2 -- arg"), disk);
    }

    [Fact]
    public void ConfigIsRewrittenInAFile()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, DiskTestInputs.Disk("OLD=1"));
            DiskConfiguration.RewriteFile(path, "B=2");
            Assert.Equal(DiskTestInputs.Disk("B=2"), File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("not-elf", "not an ELF file (no \\x7fELF magic at offset 0)")]
    [InlineData("truncated", "truncated ELF file: segment 0 (offset 4096, 300000 bytes) ends beyond its 100000 bytes")]
    [InlineData("no-pvh", "not a bootable image: no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which the disk loaders enter")]
    [InlineData("too-big", "the image is 304096 bytes; a disk image holds at most 200000 (0 MiB)")]
    public void BadImagesAreRefusedInOneLine(string kind, string message)
    {
        var elf = DiskTestInputs.Elf();
        long limit = DiskImageBuilder.MaxImageBytes;
        switch (kind)
        {
            case "not-elf": elf = "hello, world"u8.ToArray(); break;
            case "truncated": elf = elf[..100_000]; break;
            case "no-pvh": elf[64 + 2 * 56 + 8] = 17; break;
            case "too-big": limit = 200_000; break;
        }
        var e = Assert.Throws<DiskFormatException>(() => DiskImageBuilder.Build(elf, "", DiskTestInputs.Loaders, limit));
        Assert.Equal(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ACommandLineOver4095BytesIsRefused()
    {
        DiskImageBuilder.Build(DiskTestInputs.Elf(), new string('a', 4095), DiskTestInputs.Loaders);
        var e = Assert.Throws<DiskFormatException>(() => DiskImageBuilder.Build(DiskTestInputs.Elf(), new string('a', 4096), DiskTestInputs.Loaders));
        Assert.Equal(@"the command line is 4096 bytes; the disk's \UK\CMDLINE.TXT holds at most 4095", e.Message);
        Assert.Throws<DiskFormatException>(() => DiskConfiguration.Rewrite(DiskTestInputs.Disk(), "a\0b"));
    }

    [Fact]
    public void AnElfIsNotTakenForADisk()
    {
        Assert.False(DiskImageReader.LooksLikeDisk(DiskTestInputs.Elf()));
        Assert.True(DiskImageReader.LooksLikeDisk(DiskTestInputs.Disk()));
        var e = Assert.Throws<DiskFormatException>(() => DiskImageReader.Read(DiskTestInputs.Elf().AsSpan(0, 4096).ToArray()));
        Assert.StartsWith("not a GPT disk", e.Message);
    }

    private static byte[] Esp(byte[] disk)
    {
        var esp = Gpt.Read(disk, 1).Partitions[1];
        return disk.AsSpan((int)(esp.FirstLba * 512), (int)(esp.Sectors * 512)).ToArray();
    }
}
