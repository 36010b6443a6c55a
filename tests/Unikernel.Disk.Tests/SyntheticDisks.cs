namespace Unikernel.Disk.Tests;

/// <summary>Raw disks for the format tests: random data regions (a fixed seed), zero regions between them, regions
/// that start and end inside a cluster/grain/block, and one that ends just before the disk's end.</summary>
internal static class SyntheticDisks
{
    public const int MiB = 1 << 20;

    public static byte[] Build(long size, params (long Offset, int Length)[] regions)
    {
        var disk = new byte[size];
        var random = new Random(unchecked((int)size) ^ regions.Length);
        foreach ((long offset, int length) in regions)
            random.NextBytes(disk.AsSpan((int)offset, length));
        return disk;
    }

    /// <summary>One MiB, mostly data: a boot sector and GPT-like start, then a region ending mid-cluster.</summary>
    public static byte[] OneMiB() => Build(MiB, (0, 4096), (70_000, 200_000), (MiB - 700, 700));

    /// <summary>40 MiB: data in the first grain table's range, a long zero stretch over more than one 32 MiB VMDK grain
    /// table and 2 MiB VHD blocks, and a last data region ending 1000 bytes before the end (a partial cluster).</summary>
    public static byte[] FortyMiB()
        => Build(40 * MiB, (0, 34 * 512), (3 * MiB + 12_345, 3 * MiB + 17), (33 * MiB - 10, 20), (40 * MiB - 70_000, 69_000));

    /// <summary>600 MiB: a second qcow2 L2 table (each maps 512 MiB).</summary>
    public static byte[] SixHundredMiB()
        => Build(600 * MiB, (0, 65_536), (511 * MiB + 1000, 2 * MiB), (600 * MiB - 512, 512));

    public static byte[] AllZero(int mebibytes) => new byte[mebibytes * MiB];

    public static IEnumerable<object[]> Shapes()
    {
        yield return ["1MiB"];
        yield return ["40MiB"];
        yield return ["zero2MiB"];
    }

    public static byte[] Named(string name) => name switch
    {
        "1MiB" => OneMiB(),
        "40MiB" => FortyMiB(),
        "600MiB" => SixHundredMiB(),
        "zero2MiB" => AllZero(2),
        _ => throw new ArgumentException(name),
    };

    public static DiskIdentity Identity(byte[] disk) => DiskIdentity.Of(disk);
}
