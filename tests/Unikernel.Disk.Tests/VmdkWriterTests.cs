using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Unikernel.Disk.Tests;

public class VmdkWriterTests
{
    [Fact]
    public void HeaderAndDescriptorAreStreamOptimized()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        byte[] file = FormatTestSupport.Write("vmdk", disk);
        ReadOnlySpan<byte> h = file;
        Assert.True(h.StartsWith("KDMV"u8));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(h[4..]));
        Assert.Equal(0x30001u, BinaryPrimitives.ReadUInt32LittleEndian(h[8..])); // newline test, compressed, markers
        Assert.Equal((ulong)disk.Length / 512, BinaryPrimitives.ReadUInt64LittleEndian(h[12..]));
        Assert.Equal(128ul, BinaryPrimitives.ReadUInt64LittleEndian(h[20..]));
        Assert.Equal(1ul, BinaryPrimitives.ReadUInt64LittleEndian(h[28..]));
        ulong descriptorSectors = BinaryPrimitives.ReadUInt64LittleEndian(h[36..]);
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(h[44..]));
        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(h[56..])); // directory at the end
        Assert.Equal(128ul, BinaryPrimitives.ReadUInt64LittleEndian(h[64..]));
        Assert.True(h[73..77].SequenceEqual("\n \r\n"u8));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(h[77..])); // deflate

        string descriptor = Encoding.ASCII.GetString(h.Slice(512, (int)descriptorSectors * 512)).TrimEnd('\0');
        string[] lines = descriptor.Split('\n');
        Assert.Equal("# Disk DescriptorFile", lines[0]);
        Assert.Contains("version=1", lines);
        Assert.Contains($"CID={DiskIdentity.Of(disk).Number("vmdk-cid"):x8}", lines);
        Assert.Contains("parentCID=ffffffff", lines);
        Assert.Contains("createType=\"streamOptimized\"", lines);
        Assert.Contains($"RW {disk.Length / 512} SPARSE \"disk.vmdk\"", lines);
        Assert.Contains("ddb.adapterType = \"lsilogic\"", lines);
        Assert.Contains("ddb.geometry.heads = \"255\"", lines);
        Assert.Contains("ddb.geometry.sectors = \"63\"", lines);
        Assert.Contains($"ddb.geometry.cylinders = \"{disk.Length / 512 / (255 * 63)}\"", lines);
    }

    /// <summary>Reads the stream back the way the spec describes: the footer (before the end-of-stream marker) gives
    /// the grain directory, the directory the grain tables (each after a table marker), a table the grain markers.</summary>
    [Fact]
    public void GrainTablesAndMarkersGiveTheDiskBack()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        byte[] file = FormatTestSupport.Write("vmdk", disk);
        ReadOnlySpan<byte> f = file;
        Assert.Equal(0, file.Length % 512);
        Assert.True(f[^512..].IndexOfAnyExcept((byte)0) < 0, "end-of-stream marker");
        AssertMarker(f[^1536..], 1, 3);
        ReadOnlySpan<byte> footer = f[^1024..^512];
        Assert.True(footer[..56].SequenceEqual(f[..56]) && footer[64..].SequenceEqual(f[64..512]), "footer = header but the directory");
        long directory = (long)BinaryPrimitives.ReadUInt64LittleEndian(footer[56..]) * 512;
        AssertMarker(f[(int)(directory - 512)..], 1, 2); // 2 tables of 512 entries: 8 bytes, one sector

        var back = new byte[disk.Length];
        int tablesSeen = 0, grainsSeen = 0;
        for (int table = 0; table < 2; table++)
        {
            uint tableSector = BinaryPrimitives.ReadUInt32LittleEndian(f[(int)(directory + table * 4)..]);
            Assert.NotEqual(0u, tableSector); // both 32 MiB ranges hold data
            tablesSeen++;
            AssertMarker(f[(int)((tableSector - 1) * 512)..], 4, 1);
            for (int entry = 0; entry < 512 && table * 512 + entry < disk.Length / 65536; entry++)
            {
                uint grainSector = BinaryPrimitives.ReadUInt32LittleEndian(f[(int)(tableSector * 512 + entry * 4)..]);
                if (grainSector == 0)
                    continue;
                grainsSeen++;
                ReadOnlySpan<byte> marker = f[(int)(grainSector * 512L)..];
                long lba = (long)BinaryPrimitives.ReadUInt64LittleEndian(marker);
                Assert.Equal((table * 512L + entry) * 128, lba);
                int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(marker[8..]);
                using var zlib = new ZLibStream(new MemoryStream(marker.Slice(12, size).ToArray()), CompressionMode.Decompress);
                zlib.ReadExactly(back.AsSpan((int)(lba * 512), 65536));
            }
        }
        Assert.Equal(2, tablesSeen);
        int nonZeroGrains = Enumerable.Range(0, disk.Length / 65536).Count(g => disk.AsSpan(g * 65536, 65536).IndexOfAnyExcept((byte)0) >= 0);
        Assert.Equal(nonZeroGrains, grainsSeen);
        FormatTestSupport.AssertSameBytes(disk, back);
    }

    [Fact]
    public void SameDiskSameBytesAndSmallerThanRaw()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        byte[] first = FormatTestSupport.Write("vmdk", disk);
        FormatTestSupport.AssertSameBytes(first, FormatTestSupport.Write("vmdk", disk));
        Assert.True(first.Length < 5 * SyntheticDisks.MiB, $"{first.Length} bytes");
    }

    [SkippableTheory]
    [MemberData(nameof(SyntheticDisks.Shapes), MemberType = typeof(SyntheticDisks))]
    public void QemuImgChecksAndConvertsBackToTheSameBytes(string shape)
    {
        QemuImg.SkipIfAbsent();
        QemuImg.AssertRoundTrip("vmdk", "vmdk", SyntheticDisks.Named(shape), checkable: true);
    }

    private static void AssertMarker(ReadOnlySpan<byte> marker, ulong sectors, uint type)
    {
        Assert.Equal(sectors, BinaryPrimitives.ReadUInt64LittleEndian(marker));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(marker[8..]));
        Assert.Equal(type, BinaryPrimitives.ReadUInt32LittleEndian(marker[12..]));
        Assert.True(marker[16..512].IndexOfAnyExcept((byte)0) < 0);
    }
}
