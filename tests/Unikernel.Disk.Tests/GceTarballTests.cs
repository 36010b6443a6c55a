using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Unikernel.Disk.Formats;

namespace Unikernel.Disk.Tests;

public class GceTarballTests
{
    private const long GiB = 1L << 30;
    private const string Tar = "/usr/bin/tar";

    /// <summary>Thirty data regions 8 KiB apart: a sparse map of 31 entries, the header's 4 and two extension blocks.</summary>
    private static byte[] Fragmented()
        => SyntheticDisks.Build(SyntheticDisks.MiB, Enumerable.Range(0, 30).Select(i => ((long)i * 12288 + 100, 3000)).ToArray());

    [Fact]
    public void GzipHasNoTimeAndTheTarHeaderIsOldGnuSparse()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        byte[] file = FormatTestSupport.Write("gce", disk);
        Assert.Equal([0x1F, 0x8B, 8, 0, 0, 0, 0, 0], file[..8]);

        byte[] tar = Gunzip(file);
        Assert.Equal(0, tar.Length % 10240);
        ReadOnlySpan<byte> h = tar.AsSpan(0, 512);
        Assert.Equal("disk.raw", Encoding.ASCII.GetString(h[..100]).TrimEnd('\0'));
        Assert.True(h[257..265].SequenceEqual("ustar  \0"u8), "oldgnu magic");
        Assert.Equal((byte)'S', h[156]);
        Assert.Equal("0000644", Field(h, 100, 8));
        Assert.Equal("0000000", Field(h, 108, 8));
        Assert.Equal(Convert.ToString(946684800, 8).PadLeft(11, '0'), Field(h, 136, 12));
        Assert.Equal(Convert.ToString(GiB, 8).PadLeft(11, '0'), Field(h, 483, 12)); // real size: padded to 1 GiB

        // The map: regions at 4 KiB granularity, then (1 GiB, 0) for the hole at the end; the fifth entry is in an
        // extension block.
        var map = new List<(long, long)>();
        for (int entry = 0; entry < 4; entry++)
            map.Add((Octal(h, 386 + entry * 24), Octal(h, 398 + entry * 24)));
        Assert.Equal(1, h[482]);
        ReadOnlySpan<byte> extension = tar.AsSpan(512, 512);
        map.Add((Octal(extension, 0), Octal(extension, 12)));
        Assert.Equal(0, extension[504]);
        Assert.True(extension[24..504].IndexOfAnyExcept((byte)0) < 0);
        long M = SyntheticDisks.MiB;
        Assert.Equal([(0, 20480), (3 * M + 12288, 3 * M + 4096), (33 * M - 4096, 8192), (40 * M - 73728, 73728), (GiB, 0)], map);
        Assert.Equal(map.Sum(entry => entry.Item2), Octal(h, 124));

        uint sum = 0;
        for (int index = 0; index < 512; index++)
            sum += index is >= 148 and < 156 ? (byte)' ' : h[index];
        Assert.Equal(Convert.ToString(sum, 8).PadLeft(6, '0'), Field(h, 148, 7));
        Assert.Equal((byte)' ', h[155]);
    }

    [Fact]
    public void SameDiskSameBytesAndFarSmallerThanTheGibibyte()
    {
        byte[] disk = SyntheticDisks.FortyMiB();
        byte[] first = FormatTestSupport.Write("gce", disk);
        FormatTestSupport.AssertSameBytes(first, FormatTestSupport.Write("gce", disk));
        Assert.True(first.Length < 4 * SyntheticDisks.MiB, $"{first.Length} bytes");
    }

    /// <summary>Each extraction writes and reads a 1 GiB file: three shapes (data at both ends, a long sparse map, no
    /// data at all) rather than all.</summary>
    [SkippableTheory]
    [InlineData("40MiB")]
    [InlineData("fragmented")]
    [InlineData("zero2MiB")]
    public void GnuTarListsOnlyDiskRawAndExtractsThePaddedDisk(string shape)
    {
        Skip.IfNot(File.Exists(Tar), $"{Tar} is missing");
        byte[] disk = shape == "fragmented" ? Fragmented() : SyntheticDisks.Named(shape);
        using var directory = new TemporaryDirectory();
        string archive = Path.Combine(directory.Path, "disk.tar.gz");
        DiskFormat.WriteFile(DiskFormat.Writer("gce"), disk, DiskIdentity.Of(disk), archive);

        string listing = RunTar(directory.Path, "-tvzf", archive);
        string[] lines = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Matches(@"^-rw-r--r-- root/root\s+1073741824 2000-01-01 00:00 disk\.raw$", lines[0]);

        RunTar(directory.Path, "-xzf", archive);
        string extracted = Path.Combine(directory.Path, "disk.raw");
        Assert.Equal(GiB, new FileInfo(extracted).Length);
        using var file = File.OpenRead(extracted);
        var head = new byte[disk.Length];
        file.ReadExactly(head);
        FormatTestSupport.AssertSameBytes(disk, head);
        var rest = new byte[SyntheticDisks.MiB];
        for (long left = GiB - disk.Length; left > 0; left -= rest.Length)
        {
            file.ReadExactly(rest);
            Assert.True(rest.AsSpan().IndexOfAnyExcept((byte)0) < 0, "the padding to 1 GiB is zeros");
        }
    }

    private static string RunTar(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Tar) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["TZ"] = "UTC";
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "tar did not finish in 120 s");
        Assert.True(process.ExitCode == 0 && error.Result.Length == 0, $"tar {string.Join(' ', arguments)}: {error.Result}");
        return output;
    }

    private static byte[] Gunzip(byte[] file)
    {
        using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
        var tar = new MemoryStream();
        gzip.CopyTo(tar);
        return tar.ToArray();
    }

    private static string Field(ReadOnlySpan<byte> header, int offset, int length)
        => Encoding.ASCII.GetString(header.Slice(offset, length)).TrimEnd('\0');

    private static long Octal(ReadOnlySpan<byte> header, int offset) => Convert.ToInt64(Field(header, offset, 12), 8);
}
