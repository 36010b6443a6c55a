using Unikernel.Disk.Formats;
using System.Buffers.Binary;
using System.Text;
using Unikernel.Disk.Layout;
using Unikernel.Loaders;

namespace Unikernel.Disk.Tests;

/// <summary>The GUID partition table against UEFI spec 2.10 section 5.3, and against sgdisk and sfdisk as oracles.</summary>
public sealed class GptTests
{
    private static readonly byte[] Disk = DiskTestInputs.Disk();
    private static long LastLba => Disk.Length / 512 - 1;

    [Fact]
    public void PrimaryHeaderHasTheSpecFieldsAndValidCrcs()
    {
        var h = Disk.AsSpan(512, 512);
        Assert.Equal("EFI PART", Encoding.ASCII.GetString(h[..8]));
        Assert.Equal(0x00010000u, BinaryPrimitives.ReadUInt32LittleEndian(h[8..]));
        Assert.Equal(92u, BinaryPrimitives.ReadUInt32LittleEndian(h[12..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(h[20..]));
        Assert.Equal(1L, BinaryPrimitives.ReadInt64LittleEndian(h[24..]));
        Assert.Equal(LastLba, BinaryPrimitives.ReadInt64LittleEndian(h[32..]));
        Assert.Equal(34L, BinaryPrimitives.ReadInt64LittleEndian(h[40..]));
        Assert.Equal(LastLba - 33, BinaryPrimitives.ReadInt64LittleEndian(h[48..]));
        Assert.Equal(2L, BinaryPrimitives.ReadInt64LittleEndian(h[72..]));
        Assert.Equal(128u, BinaryPrimitives.ReadUInt32LittleEndian(h[80..]));
        Assert.Equal(128u, BinaryPrimitives.ReadUInt32LittleEndian(h[84..]));
        Assert.True(h[92..].ToArray().All(b => b == 0), "the rest of the header's block is zero");
        var copy = h[..92].ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(16), 0);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(h[16..]), Crc32.Update(0, copy));
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(h[88..]), Crc32.Update(0, Disk.AsSpan(2 * 512, 128 * 128)));
    }

    [Fact]
    public void BackupHeaderMirrorsThePrimaryAtTheEndOfTheDisk()
    {
        var primary = Gpt.Read(Disk, 1);
        var backup = Gpt.Read(Disk, LastLba);
        Assert.Equal(LastLba, backup.MyLba);
        Assert.Equal(1, backup.AlternateLba);
        Assert.Equal(LastLba - 32, backup.EntriesLba);
        Assert.Equal(primary.DiskGuid, backup.DiskGuid);
        Assert.Equal(primary.Partitions, backup.Partitions);
        Assert.True(Disk.AsSpan(2 * 512, 16384).SequenceEqual(Disk.AsSpan((int)(LastLba - 32) * 512, 16384)));
    }

    [Fact]
    public void PartitionsAreTheBiosBootPartitionAndTheEsp()
    {
        var parts = Gpt.Read(Disk, 1).Partitions;
        Assert.Equal(2, parts.Count);
        Assert.Equal(new Guid("21686148-6449-6E6F-744E-656564454649"), parts[0].Type);
        Assert.Equal(DiskBootContract.BiosBootPartitionLba, parts[0].FirstLba);
        Assert.Equal(DiskBootContract.BiosBootPartitionLba + DiskBootContract.BiosBootPartitionSectors - 1, parts[0].LastLba);
        Assert.Equal(new Guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), parts[1].Type);
        Assert.Equal(4096, parts[1].FirstLba);
        Assert.Equal(0, (parts[1].LastLba + 1) % 2048);
        Assert.Equal("EFI system partition", parts[1].Name);
        // The type GUID is stored mixed-endian (UEFI spec appendix A): the first three fields little-endian.
        Assert.Equal(new byte[] { 0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B },
                     Disk.AsSpan(2 * 512 + 128, 16).ToArray());
        Assert.NotEqual(parts[0].Unique, parts[1].Unique);
    }

    [Fact]
    public void Crc32IsTheIsoHdlcCrc()
    {
        Assert.Equal(0xCBF43926u, Crc32.Update(0, "123456789"u8));
    }

    [Fact]
    public void ADamagedHeaderIsReportedInOneLine()
    {
        var disk = (byte[])Disk.Clone();
        disk[512 + 60] ^= 1;
        var e = Assert.Throws<DiskFormatException>(() => Gpt.Read(disk, 1));
        Assert.Equal("GPT header at LBA 1: header CRC32 does not match", e.Message);
    }

    [SkippableFact]
    public void SgdiskVerifiesTheDisk()
    {
        var output = Tools.Run("sgdisk", "-v {0}", Disk);
        Assert.Contains("No problems found", output);
    }

    [SkippableFact]
    public void SfdiskListsBothPartitions()
    {
        var output = Tools.Run("sfdisk", "--dump {0}", Disk);
        Assert.Contains("label: gpt", output);
        Assert.Contains("start=        2048, size=        2048, type=21686148-6449-6E6F-744E-656564454649", output);
        Assert.Contains("start=        4096", output);
        Assert.Contains("type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B", output);
        Assert.Contains($"uuid={Gpt.Read(Disk, 1).Partitions[1].Unique.ToString().ToUpperInvariant()}", output);
    }
}
