namespace Unikernel.Disk.Layout;

/// <summary>Sector arithmetic of the disk layout: 512-byte logical blocks, 1 MiB alignment.</summary>
public static class Sectors
{
    public const int Bytes = Unikernel.Loaders.DiskBootContract.SectorBytes;
    public const long PerMiB = (1 << 20) / Bytes;

    public static long Of(long bytes) => (bytes + Bytes - 1) / Bytes;

    public static long AlignUpToMiB(long sectors) => (sectors + PerMiB - 1) / PerMiB * PerMiB;
}
