using System.IO.Compression;
using System.Text;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// Writes a "newc" cpio archive (the format Linux unpacks as an initramfs; init/initramfs.c): per entry a
/// 110-byte ASCII header "070701" + 13 eight-digit hex fields, the name (NUL-terminated, padded to 4 bytes),
/// the data (padded to 4 bytes); "TRAILER!!!" ends the archive. Timestamps are 0 so the output is reproducible.
/// </summary>
public sealed class Cpio
{
    private const int S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFCHR = 0x2000;
    private readonly MemoryStream _out = new();
    private int _inode = 1;

    public Cpio Directory(string name, int permissions = 0x1ed) => Entry(name, S_IFDIR | permissions, 2, [], 0, 0);
    public Cpio File(string name, byte[] contents, int permissions = 0x1a4) => Entry(name, S_IFREG | permissions, 1, contents, 0, 0);
    public Cpio CharacterDevice(string name, int major, int minor, int permissions = 0x1b6) => Entry(name, S_IFCHR | permissions, 1, [], major, minor);

    private Cpio Entry(string name, int mode, int links, byte[] data, int rdevMajor, int rdevMinor)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        string header = "070701" + string.Concat(new[]
        {
            _inode++, mode, 0, 0, links, 0, data.Length, 0, 0, rdevMajor, rdevMinor, nameBytes.Length, 0,
        }.Select(v => v.ToString("X8")));
        _out.Write(Encoding.ASCII.GetBytes(header));
        _out.Write(nameBytes);
        Pad();
        _out.Write(data);
        Pad();
        return this;
    }

    private void Pad()
    {
        while (_out.Length % 4 != 0) _out.WriteByte(0);
    }

    public byte[] ToArray()
    {
        var copy = new Cpio();
        _out.Position = 0;
        _out.CopyTo(copy._out);
        copy._inode = _inode;
        copy.Entry("TRAILER!!!", 0, 1, [], 0, 0);
        return copy._out.ToArray();
    }

    /// <summary>The archive, gzip-compressed (Linux's RD_GZIP; every distribution kernel has it).</summary>
    public byte[] ToGzip()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(ToArray());
        return output.ToArray();
    }
}
