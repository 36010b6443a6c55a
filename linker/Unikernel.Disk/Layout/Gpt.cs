using Unikernel.Disk.Formats;
using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Disk.Layout;

/// <summary>
/// The GUID partition table (UEFI spec 5.3): a primary header at LBA 1 with its entry array at LBA 2..33, and the backup
/// at the end of the disk (entry array, then the header in the last LBA), each header pointing at the other. 128 entries
/// of 128 bytes, the spec's minimum of 16 KiB for the array, so the first usable LBA is 34.
/// </summary>
public static class Gpt
{
    public const ulong Signature = 0x5452415020494645; // "EFI PART"
    public const uint Revision = 0x00010000;
    public const int HeaderSize = 92;
    public const int EntryCount = 128, EntrySize = 128;
    public const int EntryArraySectors = EntryCount * EntrySize / Sectors.Bytes;
    public const long PrimaryHeaderLba = 1, PrimaryEntriesLba = 2;
    public const long FirstUsableLba = PrimaryEntriesLba + EntryArraySectors;

    public static long LastUsableLba(long diskSectors) => diskSectors - 2 - EntryArraySectors;

    /// <summary>Writes both tables into <paramref name="disk"/> (its length is the disk's size; LBA 0 is left alone).</summary>
    public static void Write(Span<byte> disk, Guid diskGuid, IReadOnlyList<GptPartition> partitions)
    {
        long diskSectors = disk.Length / Sectors.Bytes;
        if (partitions.Count > EntryCount) throw new ArgumentException($"{partitions.Count} partitions: GPT here holds {EntryCount}");
        foreach (var p in partitions)
            if (p.FirstLba < FirstUsableLba || p.LastLba > LastUsableLba(diskSectors) || p.LastLba < p.FirstLba)
                throw new ArgumentException($"partition '{p.Name}' (LBA {p.FirstLba}..{p.LastLba}) is outside the usable LBAs {FirstUsableLba}..{LastUsableLba(diskSectors)}");

        var entries = new byte[EntryCount * EntrySize];
        for (int i = 0; i < partitions.Count; i++) WriteEntry(entries.AsSpan(i * EntrySize, EntrySize), partitions[i]);
        uint entriesCrc = Crc32.Update(0, entries);

        long backupHeaderLba = diskSectors - 1, backupEntriesLba = backupHeaderLba - EntryArraySectors;
        entries.CopyTo(disk[(int)(PrimaryEntriesLba * Sectors.Bytes)..]);
        entries.CopyTo(disk[(int)(backupEntriesLba * Sectors.Bytes)..]);
        WriteHeader(disk.Slice((int)(PrimaryHeaderLba * Sectors.Bytes), Sectors.Bytes), PrimaryHeaderLba, backupHeaderLba,
                    PrimaryEntriesLba, diskSectors, diskGuid, entriesCrc);
        WriteHeader(disk.Slice((int)(backupHeaderLba * Sectors.Bytes), Sectors.Bytes), backupHeaderLba, PrimaryHeaderLba,
                    backupEntriesLba, diskSectors, diskGuid, entriesCrc);
    }

    private static void WriteHeader(Span<byte> sector, long myLba, long alternateLba, long entriesLba, long diskSectors,
                                    Guid diskGuid, uint entriesCrc)
    {
        sector.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(sector, Signature);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[8..], Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[12..], HeaderSize);
        BinaryPrimitives.WriteInt64LittleEndian(sector[24..], myLba);
        BinaryPrimitives.WriteInt64LittleEndian(sector[32..], alternateLba);
        BinaryPrimitives.WriteInt64LittleEndian(sector[40..], FirstUsableLba);
        BinaryPrimitives.WriteInt64LittleEndian(sector[48..], LastUsableLba(diskSectors));
        diskGuid.TryWriteBytes(sector[56..]);
        BinaryPrimitives.WriteInt64LittleEndian(sector[72..], entriesLba);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[80..], EntryCount);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[84..], EntrySize);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[88..], entriesCrc);
        // The header's CRC covers HeaderSize bytes with the CRC field itself zero (UEFI spec 5.3.2).
        BinaryPrimitives.WriteUInt32LittleEndian(sector[16..], Crc32.Update(0, sector[..HeaderSize]));
    }

    private static void WriteEntry(Span<byte> entry, GptPartition p)
    {
        p.Type.TryWriteBytes(entry);
        p.Unique.TryWriteBytes(entry[16..]);
        BinaryPrimitives.WriteInt64LittleEndian(entry[32..], p.FirstLba);
        BinaryPrimitives.WriteInt64LittleEndian(entry[40..], p.LastLba);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[48..], p.Attributes);
        if (p.Name.Length > GptPartition.NameChars) throw new ArgumentException($"partition name '{p.Name}' is longer than {GptPartition.NameChars} characters");
        Encoding.Unicode.GetBytes(p.Name, entry[56..]);
    }

    /// <summary>A header read back: where it says the other header and its entries are, and whether its CRCs hold.</summary>
    public sealed record Header(long MyLba, long AlternateLba, long FirstUsableLba, long LastUsableLba, Guid DiskGuid,
                                long EntriesLba, int EntryCount, int EntrySize, uint EntriesCrc, IReadOnlyList<GptPartition> Partitions);

    /// <summary>Reads and checks the header at <paramref name="lba"/> and its entry array; a problem is one line.</summary>
    public static Header Read(ReadOnlySpan<byte> disk, long lba)
    {
        long diskSectors = disk.Length / Sectors.Bytes;
        if ((lba + 1) * Sectors.Bytes > disk.Length) throw new DiskFormatException($"GPT header at LBA {lba}: beyond the end of the disk");
        var sector = disk.Slice((int)(lba * Sectors.Bytes), Sectors.Bytes);
        if (BinaryPrimitives.ReadUInt64LittleEndian(sector) != Signature) throw new DiskFormatException($"LBA {lba}: no GPT header (signature is not \"EFI PART\")");
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(sector[12..]);
        if (headerSize < HeaderSize || headerSize > Sectors.Bytes) throw new DiskFormatException($"GPT header at LBA {lba}: header size {headerSize}");
        var copy = sector[..(int)headerSize].ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(16), 0);
        if (Crc32.Update(0, copy) != BinaryPrimitives.ReadUInt32LittleEndian(sector[16..]))
            throw new DiskFormatException($"GPT header at LBA {lba}: header CRC32 does not match");
        long entriesLba = BinaryPrimitives.ReadInt64LittleEndian(sector[72..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(sector[80..]), size = BinaryPrimitives.ReadUInt32LittleEndian(sector[84..]);
        if (size < 128 || size % 8 != 0 || count > 4096 || entriesLba < 0 || entriesLba * Sectors.Bytes + count * size > disk.Length)
            throw new DiskFormatException($"GPT header at LBA {lba}: entry array ({count} x {size} bytes at LBA {entriesLba}) does not fit the disk");
        var array = disk.Slice((int)(entriesLba * Sectors.Bytes), (int)(count * size));
        uint entriesCrc = BinaryPrimitives.ReadUInt32LittleEndian(sector[88..]);
        if (Crc32.Update(0, array) != entriesCrc) throw new DiskFormatException($"GPT header at LBA {lba}: entry array CRC32 does not match");
        var partitions = new List<GptPartition>();
        for (int i = 0; i < count; i++)
        {
            var e = array.Slice(i * (int)size, (int)size);
            var type = new Guid(e[..16]);
            if (type == Guid.Empty) continue;
            string name = Encoding.Unicode.GetString(e.Slice(56, 72)).TrimEnd('\0');
            partitions.Add(new GptPartition(type, new Guid(e.Slice(16, 16)), BinaryPrimitives.ReadInt64LittleEndian(e[32..]),
                                            BinaryPrimitives.ReadInt64LittleEndian(e[40..]), name, BinaryPrimitives.ReadUInt64LittleEndian(e[48..])));
        }
        return new Header(BinaryPrimitives.ReadInt64LittleEndian(sector[24..]), BinaryPrimitives.ReadInt64LittleEndian(sector[32..]),
                          BinaryPrimitives.ReadInt64LittleEndian(sector[40..]), BinaryPrimitives.ReadInt64LittleEndian(sector[48..]),
                          new Guid(sector.Slice(56, 16)), entriesLba, (int)count, (int)size, entriesCrc, partitions);
    }
}
