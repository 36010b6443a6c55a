using System.Buffers.Binary;
using Unikernel.Disk.Layout;

namespace Unikernel.Disk.Tests;

/// <summary>LBA 0 against UEFI spec 5.2.3 (tables 5-4, 5-5).</summary>
public sealed class ProtectiveMbrTests
{
    [Fact]
    public void CarriesTheBootCodeAndOneRecordOfType0xEEOverTheDisk()
    {
        var disk = DiskTestInputs.Disk();
        Assert.Equal(DiskTestInputs.Loaders.MbrBootCode, disk.AsSpan(0, 440).ToArray());
        Assert.True(disk.AsSpan(440, 6).ToArray().All(b => b == 0), "unique MBR disk signature and the unknown field are zero");
        var r = disk.AsSpan(446, 16);
        Assert.Equal(0x00, r[0]);
        Assert.Equal(new byte[] { 0x00, 0x02, 0x00 }, r[1..4].ToArray());
        Assert.Equal(0xEE, r[4]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(r[8..]));
        Assert.Equal((uint)(disk.Length / 512 - 1), BinaryPrimitives.ReadUInt32LittleEndian(r[12..]));
        Assert.True(disk.AsSpan(462, 48).ToArray().All(b => b == 0), "the other three records are zero");
        Assert.Equal(new byte[] { 0x55, 0xAA }, disk.AsSpan(510, 2).ToArray());
    }

    [Fact]
    public void EndingChsIsTheLastSectorOrSaturated()
    {
        // 36 MiB = 73728 sectors (a 4 TiB disk, 2^33 sectors, saturates both fields); LBA 73727 = cylinder 4 (73727 / 16065), head 150 (9467 / 63), sector 18 (9467 % 63 + 1) with 255 heads and 63 sectors a track.
        var small = ProtectiveMbr.Build(new byte[440], 73728);
        Assert.Equal(new byte[] { 150, 18, 4 }, small.AsSpan(446 + 5, 3).ToArray());
        var large = ProtectiveMbr.Build(new byte[440], 1L << 33);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF }, large.AsSpan(446 + 5, 3).ToArray());
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(large.AsSpan(446 + 12)));
    }

    [Fact]
    public void RefusesBootCodeOfTheWrongSize()
    {
        Assert.Throws<ArgumentException>(() => ProtectiveMbr.Build(new byte[446], 4096));
    }
}
