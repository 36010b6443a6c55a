using System.Buffers.Binary;

namespace Unikernel.Disk.Formats;

/// <summary>
/// A dynamic VHD: footer copy | dynamic disk header | block allocation table | blocks | footer. A block covers 2 MiB
/// of the disk and is stored (its sector bitmap, all sectors marked present, then its data) only when it holds a
/// non-zero byte; the BAT entry of every other block is 0xFFFFFFFF, which readers return as zeros.
/// </summary>
public sealed class VhdDynamicWriter : IDiskFormatWriter
{
    internal const int BlockSize = 2 * RawDisk.MiB;
    internal const int DynamicHeaderSize = 1024;
    internal const long DynamicHeaderOffset = VhdFooter.Size;
    internal const long TableOffset = DynamicHeaderOffset + DynamicHeaderSize;
    private const int SectorSize = 512;
    private const int BitmapSize = BlockSize / SectorSize / 8;

    public string Name => "vhd-dynamic";

    public string Extension => ".vhd";

    public void Write(ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, Stream output)
    {
        RawDisk.Validate(rawDisk, Name);
        ReadOnlySpan<byte> disk = rawDisk.Span;
        int blocks = (int)RawDisk.PieceCount(disk.Length, BlockSize);
        int tableSize = (int)RawDisk.PieceCount((long)blocks * sizeof(uint), SectorSize) * SectorSize;

        byte[] footer = VhdFooter.Build(disk.Length, VhdFooter.DynamicDisk, DynamicHeaderOffset, identity);
        output.Write(footer);
        output.Write(DynamicHeader(blocks));

        var table = new byte[tableSize];
        table.AsSpan().Fill(0xFF);
        long nextSector = (TableOffset + tableSize) / SectorSize;
        var stored = new List<int>();
        for (int block = 0; block < blocks; block++)
        {
            if (RawDisk.IsZero(RawDisk.Piece(disk, block, BlockSize)))
                continue;
            BinaryPrimitives.WriteUInt32BigEndian(table.AsSpan(block * sizeof(uint)), checked((uint)nextSector));
            nextSector += (BitmapSize + BlockSize) / SectorSize;
            stored.Add(block);
        }
        output.Write(table);

        var bitmap = new byte[BitmapSize];
        bitmap.AsSpan().Fill(0xFF);
        foreach (int block in stored)
        {
            ReadOnlySpan<byte> data = RawDisk.Piece(disk, block, BlockSize);
            output.Write(bitmap);
            output.Write(data);
            if (data.Length < BlockSize)
                output.Write(new byte[BlockSize - data.Length]);
        }
        output.Write(footer);
    }

    private static byte[] DynamicHeader(int blocks)
    {
        var header = new byte[DynamicHeaderSize];
        Span<byte> h = header;
        "cxsparse"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt64BigEndian(h[8..], VhdFooter.NoDataOffset);
        BinaryPrimitives.WriteUInt64BigEndian(h[16..], TableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(h[24..], 0x0001_0000); // header version 1.0
        BinaryPrimitives.WriteUInt32BigEndian(h[28..], (uint)blocks); // max table entries
        BinaryPrimitives.WriteUInt32BigEndian(h[32..], BlockSize);
        // No parent: its unique id, time stamp, name and locators stay zero.
        BinaryPrimitives.WriteUInt32BigEndian(h[36..], VhdFooter.Checksum(h));
        return header;
    }
}
