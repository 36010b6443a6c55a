using System.Buffers.Binary;

namespace Unikernel.Disk.Layout;

/// <summary>
/// LBA 0 of a GPT disk (UEFI spec 5.2.3, tables 5-4 and 5-5): the BIOS boot code in bytes 0..439, then one partition
/// record of type 0xEE covering the whole disk from LBA 1 (capped at 0xFFFFFFFF sectors), so MBR-only tools see the
/// disk as in use. The unique MBR disk signature and the other three records are zero, as the spec asks.
/// </summary>
public static class ProtectiveMbr
{
    public const int BootCodeBytes = 440;
    public const byte GptProtectiveType = 0xEE;
    private const int RecordOffset = 446;

    public static byte[] Build(ReadOnlySpan<byte> bootCode, long diskSectors)
    {
        if (bootCode.Length != BootCodeBytes)
            throw new ArgumentException($"the MBR boot code is {bootCode.Length} bytes, not {BootCodeBytes}");
        var sector = new byte[Sectors.Bytes];
        bootCode.CopyTo(sector);
        var record = sector.AsSpan(RecordOffset, 16);
        record[0] = 0x00;                       // not bootable: the spec's BootIndicator for a protective MBR
        record[1] = 0x00; record[2] = 0x02; record[3] = 0x00; // starting CHS 0/0/2: LBA 1
        record[4] = GptProtectiveType;
        // Ending CHS: the last sector's CHS, or 0xFFFFFF when it does not fit (always, for disks past 8 GB; set to the
        // saturated value whenever the geometry cannot express it, as the spec allows).
        var (c, h, s) = Chs(diskSectors - 1);
        record[5] = h; record[6] = s; record[7] = c;
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)Math.Min(diskSectors - 1, uint.MaxValue));
        sector[510] = 0x55;
        sector[511] = 0xAA;
        return sector;
    }

    /// <summary>The CHS bytes (cylinder low, head, sector | cylinder high bits) of an LBA with 255 heads and 63 sectors
    /// per track, the geometry BIOSes assume for hard disks; saturated (0xFF, 0xFF, 0xFF) past cylinder 1023.</summary>
    private static (byte Cylinder, byte Head, byte Sector) Chs(long lba)
    {
        long cylinder = lba / (255 * 63);
        if (cylinder > 1023) return (0xFF, 0xFF, 0xFF);
        long head = lba / 63 % 255;
        long sector = lba % 63 + 1;
        return ((byte)cylinder, (byte)head, (byte)(sector | ((cylinder >> 2) & 0xC0)));
    }
}
