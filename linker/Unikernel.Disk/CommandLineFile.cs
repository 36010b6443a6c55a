using Unikernel.Disk.Formats;
using System.Text;
using Unikernel.Loaders;

namespace Unikernel.Disk;

/// <summary>
/// \UK\CMDLINE.TXT: the kernel command line (docs/options.md's grammar) as UTF-8, then zero bytes; the file is always
/// <see cref="FileBytes"/> long (the most the UEFI loader takes, leaving room for the kernel's NUL) in
/// <see cref="DiskBootContract.ConfigCapacityBytes"/> of contiguous clusters, so `uk` rewrites it in place without
/// touching the FAT or the directory, and fsck finds the cluster chain as long as the size. The line ends at the first NUL.
/// </summary>
public static class CommandLineFile
{
    public const int FileBytes = DiskBootContract.ConfigCapacityBytes - 1, MaxBytes = FileBytes;

    public static byte[] Encode(string commandLine)
    {
        if (commandLine.Contains('\0')) throw new DiskFormatException("the command line holds a NUL byte, which ends it on the disk");
        int length = Encoding.UTF8.GetByteCount(commandLine);
        if (length > MaxBytes)
            throw new DiskFormatException($"the command line is {length} bytes; the disk's {DiskBootContract.ConfigPath} holds at most {MaxBytes}");
        var bytes = new byte[FileBytes];
        Encoding.UTF8.GetBytes(commandLine, bytes);
        return bytes;
    }

    public static string Decode(ReadOnlySpan<byte> file)
    {
        int end = file.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? file : file[..end]);
    }
}
