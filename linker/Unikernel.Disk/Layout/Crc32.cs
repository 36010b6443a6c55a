namespace Unikernel.Disk.Layout;

/// <summary>
/// CRC-32 as GPT uses it (UEFI spec 5.3.2: the ISO 3309 / ITU-T V.42 polynomial 0x04C11DB7, reflected, initial value and
/// final XOR 0xFFFFFFFF). Written here rather than taken from System.IO.Hashing so uk-ld stays free of extra packages.
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFF;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
