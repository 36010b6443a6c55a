using System.Buffers.Binary;
using Unikernel.Disk.Formats;

namespace Unikernel.Disk.Tests;

public class Qcow2WriterTests
{
    [Fact]
    public void HeaderHasTheVersion3FieldsOfTheSpec()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        byte[] file = FormatTestSupport.Write("qcow2", disk);
        ReadOnlySpan<byte> h = file;
        Assert.True(h.StartsWith((byte[])[0x51, 0x46, 0x49, 0xFB]));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(h[4..]));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64BigEndian(h[8..])); // no backing file
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32BigEndian(h[20..])); // 64 KiB clusters
        Assert.Equal((ulong)disk.Length, BinaryPrimitives.ReadUInt64BigEndian(h[24..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(h[32..])); // no encryption
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(h[36..])); // one L1 entry maps 512 MiB
        ulong l1 = BinaryPrimitives.ReadUInt64BigEndian(h[40..]);
        ulong refcountTable = BinaryPrimitives.ReadUInt64BigEndian(h[48..]);
        Assert.Equal(0ul, l1 % 65536);
        Assert.Equal(65536ul, refcountTable);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(h[56..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(h[60..])); // no snapshots
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64BigEndian(h[72..])); // no incompatible features
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(h[96..])); // 16-bit refcounts
        Assert.Equal(104u, BinaryPrimitives.ReadUInt32BigEndian(h[100..]));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64BigEndian(h[104..])); // end of header extensions
        Assert.Equal(0, file.Length % 65536);

        // Every cluster of the file has refcount 1 and nothing past the file is counted.
        ulong block = BinaryPrimitives.ReadUInt64BigEndian(h[(int)refcountTable..]);
        int clusters = file.Length / 65536;
        for (int cluster = 0; cluster < clusters + 2; cluster++)
            Assert.Equal(cluster < clusters ? 1 : 0, BinaryPrimitives.ReadUInt16BigEndian(h[((int)block + cluster * 2)..]));

        // The L1 entry points at an L2 table with the COPIED flag, which maps the first data cluster (guest cluster 0).
        ulong l2 = BinaryPrimitives.ReadUInt64BigEndian(h[(int)l1..]);
        Assert.Equal(1ul << 63, l2 & (1ul << 63));
        ulong data = BinaryPrimitives.ReadUInt64BigEndian(h[(int)(l2 & ~(1ul << 63))..]) & ~(1ul << 63);
        Assert.True(h.Slice((int)data, 65536).SequenceEqual(disk.AsSpan(0, 65536)));
    }

    [Fact]
    public void ZeroClustersAreLeftOutAndTheSameDiskGivesTheSameBytes()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        byte[] first = FormatTestSupport.Write("qcow2", disk);
        FormatTestSupport.AssertSameBytes(first, FormatTestSupport.Write("qcow2", disk));
        Assert.True(first.Length < 8 * SyntheticDisks.MiB, $"{first.Length} bytes for a 40 MiB disk with ~3 MiB of data");
    }

    [SkippableTheory]
    [MemberData(nameof(SyntheticDisks.Shapes), MemberType = typeof(SyntheticDisks))]
    public void QemuImgChecksAndConvertsBackToTheSameBytes(string shape)
    {
        QemuImg.SkipIfAbsent();
        QemuImg.AssertRoundTrip("qcow2", "qcow2", SyntheticDisks.Named(shape), checkable: true);
    }

    /// <summary>Past 512 MiB a second L2 table: checked, and compared by qemu-img with the (sparse) raw file rather
    /// than read back whole.</summary>
    [SkippableFact]
    public void QemuImgReadsASecondL2Table()
    {
        QemuImg.SkipIfAbsent();
        byte[] disk = SyntheticDisks.SixHundredMiB();
        using var directory = new TemporaryDirectory();
        string qcow2 = Path.Combine(directory.Path, "disk.qcow2"), raw = Path.Combine(directory.Path, "disk.raw");
        DiskFormat.WriteFile(DiskFormat.Writer("qcow2"), disk, DiskIdentity.Of(disk), qcow2);
        DiskFormat.WriteFile(DiskFormat.Writer("raw"), disk, DiskIdentity.Of(disk), raw);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(File.ReadAllBytes(qcow2).AsSpan(36)));
        (int checkCode, string check) = QemuImg.Run("check", qcow2);
        Assert.True(checkCode == 0, check);
        (int compareCode, string compare) = QemuImg.Run("compare", "-f", "raw", "-F", "qcow2", raw, qcow2);
        Assert.True(compareCode == 0, compare);
    }
}
