using System.Text;

namespace Unikernel.Disk.Formats;

/// <summary>
/// The pieces of a GNU tar archive in the old GNU format (`tar --format=oldgnu`, GNU tar manual, "GNU tar and POSIX
/// tar", struct oldgnu_header): 512-byte headers with the magic "ustar  \0", octal numbers, and the sparse member type
/// 'S' whose map (offset, size of each data region) sits in the header and in extension blocks after it, the archive
/// then holding only the regions' bytes.
/// </summary>
internal static class OldGnuTar
{
    public const int BlockSize = 512;

    /// <summary>GNU tar's default record: 20 blocks; an archive is padded to a whole record.</summary>
    public const int RecordSize = 20 * BlockSize;

    private const int MapEntriesInHeader = 4;
    private const int MapEntriesInExtension = 21;

    public readonly record struct Region(long Offset, long Length);

    /// <summary>The header of a regular file (type '0') or, when <paramref name="map"/> is given, of a sparse file (type
    /// 'S', then its extension blocks) whose stored bytes are the map's regions.</summary>
    public static byte[] FileHeader(string name, long size, long mtime, IReadOnlyList<Region>? map)
    {
        int extensions = map is null ? 0 : (int)RawDisk.PieceCount(Math.Max(0, map.Count - MapEntriesInHeader), MapEntriesInExtension);
        var blocks = new byte[(1 + extensions) * BlockSize];
        Span<byte> h = blocks.AsSpan(0, BlockSize);
        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length > 100)
            throw new DiskFormatException($"tar: the member name '{name}' is longer than 100 bytes");
        nameBytes.CopyTo(h);
        Number(h.Slice(100, 8), Convert.ToInt64("644", 8));
        Number(h.Slice(108, 8), 0); // uid
        Number(h.Slice(116, 8), 0); // gid
        Number(h.Slice(124, 12), map is null ? size : map.Sum(region => region.Length));
        Number(h.Slice(136, 12), mtime);
        h[156] = map is null ? (byte)'0' : (byte)'S';
        "ustar  \0"u8.CopyTo(h[257..]);
        "root"u8.CopyTo(h[265..]);
        "root"u8.CopyTo(h[297..]);
        if (map is not null)
        {
            WriteMap(h.Slice(386, MapEntriesInHeader * 24), map, 0, MapEntriesInHeader);
            h[482] = map.Count > MapEntriesInHeader ? (byte)1 : (byte)0;
            Number(h.Slice(483, 12), size);
            for (int extension = 0; extension < extensions; extension++)
            {
                Span<byte> block = blocks.AsSpan((1 + extension) * BlockSize, BlockSize);
                int first = MapEntriesInHeader + extension * MapEntriesInExtension;
                WriteMap(block[..(MapEntriesInExtension * 24)], map, first, MapEntriesInExtension);
                block[504] = extension + 1 < extensions ? (byte)1 : (byte)0;
            }
        }
        // The checksum is taken with its own field read as spaces, and written "%06o\0 " as GNU tar does.
        "        "u8.CopyTo(h[148..]);
        uint sum = 0;
        foreach (byte value in h)
            sum += value;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0')).CopyTo(h[148..]);
        h[154] = 0;
        h[155] = (byte)' ';
        return blocks;
    }

    private static void WriteMap(Span<byte> destination, IReadOnlyList<Region> map, int first, int count)
    {
        for (int index = 0; index < count && first + index < map.Count; index++)
        {
            Number(destination.Slice(index * 24, 12), map[first + index].Offset);
            Number(destination.Slice(index * 24 + 12, 12), map[first + index].Length);
        }
    }

    /// <summary>Octal digits filling the field but its last byte (a NUL). A disk held in memory is at most 2 GiB, far
    /// below the 8 GiB where a size field would need GNU's base-256 form.</summary>
    private static void Number(Span<byte> field, long value)
    {
        int digits = field.Length - 1;
        if (value >= 1L << (3 * digits))
            throw new DiskFormatException($"tar: {value} does not fit in {digits} octal digits");
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(digits, '0')).CopyTo(field);
        field[digits] = 0;
    }
}
