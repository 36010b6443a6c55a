using System.Buffers.Binary;

namespace Unikernel.Disk.Formats;

/// <summary>
/// The 512-byte hard disk footer of the Virtual Hard Disk Image Format Specification (all fields big-endian), shared by
/// the fixed and the dynamic writer.
/// </summary>
internal static class VhdFooter
{
    public const int Size = 512;
    public const uint FixedDisk = 2;
    public const uint DynamicDisk = 3;
    public const ulong NoDataOffset = ulong.MaxValue;

    /// <summary>
    /// "win " (Hyper-V) tells readers that the current size field, not the CHS geometry, is the disk's size: QEMU and
    /// VirtualBox otherwise take the geometry's (smaller) size and cut off the disk's end, where the backup GPT lives.
    /// Azure itself reads neither field.
    /// </summary>
    private static ReadOnlySpan<byte> CreatorApplication => "win "u8;

    private const uint CreatorVersion = 0x0001_0000;
    private static ReadOnlySpan<byte> CreatorHostWindows => "Wi2k"u8;

    public static byte[] Build(long diskSize, uint diskType, ulong dataOffset, DiskIdentity identity)
    {
        var footer = new byte[Size];
        Span<byte> f = footer;
        "conectix"u8.CopyTo(f);
        BinaryPrimitives.WriteUInt32BigEndian(f[8..], 0x0000_0002); // features: the "reserved" bit the spec sets always
        BinaryPrimitives.WriteUInt32BigEndian(f[12..], 0x0001_0000); // file format version 1.0
        BinaryPrimitives.WriteUInt64BigEndian(f[16..], dataOffset);
        BinaryPrimitives.WriteUInt32BigEndian(f[24..], Timestamp());
        CreatorApplication.CopyTo(f[28..]);
        BinaryPrimitives.WriteUInt32BigEndian(f[32..], CreatorVersion);
        CreatorHostWindows.CopyTo(f[36..]);
        BinaryPrimitives.WriteUInt64BigEndian(f[40..], (ulong)diskSize); // original size
        BinaryPrimitives.WriteUInt64BigEndian(f[48..], (ulong)diskSize); // current size
        VhdGeometry geometry = VhdGeometry.Of(diskSize / 512);
        BinaryPrimitives.WriteUInt16BigEndian(f[56..], geometry.Cylinders);
        f[58] = geometry.Heads;
        f[59] = geometry.SectorsPerTrack;
        BinaryPrimitives.WriteUInt32BigEndian(f[60..], diskType);
        identity.Guid("vhd-unique-id").TryWriteBytes(f[68..84], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(f[64..], Checksum(f));
        return footer;
    }

    /// <summary>The spec's checksum of a footer or dynamic header: the ones' complement of the sum of its bytes, the
    /// checksum field (at offset 64 in a footer, 36 in a dynamic header) read as zero — it is zero when this runs.</summary>
    public static uint Checksum(ReadOnlySpan<byte> structure)
    {
        uint sum = 0;
        foreach (byte value in structure)
            sum += value;
        return ~sum;
    }

    /// <summary>Seconds since 2000-01-01 00:00 UTC, the VHD epoch.</summary>
    private static uint Timestamp()
        => (uint)(DiskIdentity.Timestamp - new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds;
}
