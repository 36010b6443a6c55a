using System.Text;
using Unikernel.Loaders;

namespace Unikernel.Disk;

/// <summary>
/// \UK\CMDLINE.TXT: the kernel command line (docs/options.md's grammar) as UTF-8, then zero bytes up to
/// <see cref="DiskBootContract.ConfigCapacityBytes"/>; the file is always that long, so `uk` rewrites it in place and
/// fsck finds its cluster chain as long as its size. The line ends at the first NUL, so at most 4095 bytes.
/// </summary>
public static class BootConfiguration
{
    public const int MaxBytes = DiskBootContract.ConfigCapacityBytes - 1;

    public static byte[] Encode(string commandLine)
    {
        if (commandLine.Contains('\0')) throw new DiskFormatException("the command line holds a NUL byte, which ends it on the disk");
        int length = Encoding.UTF8.GetByteCount(commandLine);
        if (length > MaxBytes)
            throw new DiskFormatException($"the command line is {length} bytes; the disk's {DiskBootContract.ConfigPath} holds at most {MaxBytes}");
        var bytes = new byte[DiskBootContract.ConfigCapacityBytes];
        Encoding.UTF8.GetBytes(commandLine, bytes);
        return bytes;
    }

    public static string Decode(ReadOnlySpan<byte> file)
    {
        int end = file.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? file : file[..end]);
    }
}
