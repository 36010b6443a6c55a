using System.Text;

namespace Unikernel.Tools.Export;

/// <summary>
/// A POSIX ustar archive (POSIX.1-1988, IEEE Std 1003.1 "pax" chapter, the ustar interchange format): 512-byte headers
/// with octal numeric fields (a span's length, below 2 GiB, always fits the size field's eleven digits), each file's data padded to 512 bytes, two zero blocks at the end. Only what an OCI image
/// layer of a few files needs: regular files and directories with numeric owners, fixed modes and a fixed time, so that
/// the same input gives the same bytes.
/// </summary>
public sealed class TarArchive
{
    public const int BlockSize = 512;
    private readonly Stream _output;

    public TarArchive(Stream output) => _output = output;

    public void AddDirectory(string name, int mode, int uid, int gid, DateTimeOffset modified)
        => WriteHeader(name.EndsWith('/') ? name : name + "/", mode, uid, gid, 0, modified, (byte)'5');

    public void AddFile(string name, int mode, int uid, int gid, DateTimeOffset modified, ReadOnlySpan<byte> contents)
    {
        WriteHeader(name, mode, uid, gid, contents.Length, modified, (byte)'0');
        _output.Write(contents);
        int padding = (BlockSize - contents.Length % BlockSize) % BlockSize;
        _output.Write(new byte[padding]);
    }

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public void Finish() => _output.Write(new byte[2 * BlockSize]);

    private void WriteHeader(string name, int mode, int uid, int gid, long size, DateTimeOffset modified, byte type)
    {
        var header = new byte[BlockSize];
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length > 100) throw new ArgumentException($"{name}: a ustar name has at most 100 bytes (no prefix split here)");
        nameBytes.CopyTo(header, 0);
        Octal(header, 100, 8, mode);
        Octal(header, 108, 8, uid);
        Octal(header, 116, 8, gid);
        Octal(header, 124, 12, size);
        Octal(header, 136, 12, modified.ToUnixTimeSeconds());
        header[156] = type;
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        // The checksum is the sum of the header's bytes with its own field taken as eight spaces.
        header.AsSpan(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in header) sum += b;
        Octal(header, 148, 7, sum);
        header[155] = (byte)' ';
        _output.Write(header);
    }

    /// <summary>A zero-padded octal number in <paramref name="width"/> - 1 digits and a NUL.</summary>
    private static void Octal(byte[] header, int offset, int width, long value)
    {
        string digits = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        if (digits.Length > width - 1) throw new ArgumentException($"{value} does not fit a {width}-byte ustar field");
        Encoding.ASCII.GetBytes(digits).CopyTo(header, offset);
        header[offset + width - 1] = 0;
    }
}
