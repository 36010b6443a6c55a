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

    /// <summary>Assert.Equal compares element by element through a comparer: far too slow for disks.</summary>
    public static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int same = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(same == expected.Length, $"the bytes differ first at offset {same}");
    }
}
