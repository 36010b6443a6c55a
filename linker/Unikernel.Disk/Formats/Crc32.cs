namespace Unikernel.Disk.Formats;

/// <summary>The CRC-32 of gzip (RFC 1952, ISO 3309 polynomial, reflected), which the BCL does not expose.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        crc = ~crc;
        foreach (byte value in bytes)
            crc = Table[(crc ^ value) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint index = 0; index < 256; index++)
        {
            uint value = index;
            for (int bit = 0; bit < 8; bit++)
                value = (value & 1) != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1;
            table[index] = value;
        }
        return table;
    }
}
