using System.Formats.Tar;
using Unikernel.Tools.Export;

namespace Unikernel.Tools.Tests.Export;

public class TarArchiveTests
{
    private static readonly DateTimeOffset Time = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static byte[] Archive(byte[] contents)
    {
        using var buffer = new MemoryStream();
        var tar = new TarArchive(buffer);
        tar.AddDirectory("disk", 0x16d, 107, 107, Time);
        tar.AddFile("disk/hello.qcow2", 0x124, 107, 107, Time, contents);
        tar.Finish();
        return buffer.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(512)]
    [InlineData(1000)]
    public void DotNetsReaderSeesTheEntriesAsWritten(int size)
    {
        var contents = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
        byte[] archive = Archive(contents);
        Assert.Equal(0, archive.Length % TarArchive.BlockSize);
        using var reader = new TarReader(new MemoryStream(archive));
        var dir = reader.GetNextEntry()!;
        Assert.Equal(TarEntryFormat.Ustar, dir.Format);
        Assert.Equal(TarEntryType.Directory, dir.EntryType);
        Assert.Equal("disk/", dir.Name);
        Assert.Equal(107, dir.Uid);
        Assert.Equal(107, dir.Gid);
        Assert.Equal((UnixFileMode)0x16d, dir.Mode);
        var file = reader.GetNextEntry()!;
        Assert.Equal(TarEntryType.RegularFile, file.EntryType);
        Assert.Equal("disk/hello.qcow2", file.Name);
        Assert.Equal(Time, file.ModificationTime);
        using var data = new MemoryStream();
        file.DataStream?.CopyTo(data);
        Assert.Equal(contents, data.ToArray());
        Assert.Null(reader.GetNextEntry());
    }

    [Fact]
    public void TheHeaderChecksumIsTheSumOfItsBytesWithTheFieldAsSpaces()
    {
        byte[] header = Archive([1, 2, 3])[..TarArchive.BlockSize];
        int recorded = Convert.ToInt32(System.Text.Encoding.ASCII.GetString(header, 148, 6), 8);
        Assert.Equal((byte)0, header[154]);
        Assert.Equal((byte)' ', header[155]);
        header.AsSpan(148, 8).Fill((byte)' ');
        Assert.Equal(header.Sum(b => (int)b), recorded);
    }

    [SkippableFact]
    public void GnuTarListsOwnersModesAndTimes()
    {
        Skip.IfNot(ExportTestSupport.Installed("/usr/bin/tar") || ExportTestSupport.Installed("/bin/tar"), "GNU tar is not installed");
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("layer.tar"), Archive(new byte[700]));
        var (status, output, error) = ExportTestSupport.Run("tar", ["--numeric-owner", "--utc", "-tvf", dir.File("layer.tar")]);
        Assert.True(status == 0, error);
        Assert.Equal(["dr-xr-xr-x 107/107 0 2000-01-01 00:00 disk/", "-r--r--r-- 107/107 700 2000-01-01 00:00 disk/hello.qcow2"],
                     output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.RegularExpressions.Regex.Replace(l, " +", " ")));
    }

    [Fact]
    public void NamesLongerThanAUstarNameAreRefused()
    {
        var tar = new TarArchive(new MemoryStream());
        Assert.Throws<ArgumentException>(() => tar.AddFile(new string('a', 101), 0x124, 0, 0, Time, []));
    }
}
