using Unikernel.Disk.Formats;

namespace Unikernel.Disk.Tests;

internal static class FormatTestSupport
{
    public static byte[] Write(string format, byte[] disk)
    {
        var output = new MemoryStream();
        DiskFormat.Writer(format).Write(disk, DiskIdentity.Of(disk), output);
        return output.ToArray();
    }
}
