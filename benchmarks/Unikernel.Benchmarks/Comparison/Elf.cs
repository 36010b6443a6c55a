using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>The two facts about ELF files the size table needs, read straight from the headers.</summary>
public static class Elf
{
    /// <summary>Bytes of the file that PT_LOAD segments load (what an image that embeds the executable copies).</summary>
    public static long LoadedFileBytes(string path)
    {
        var elf = File.ReadAllBytes(path).AsSpan();
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(elf[0x20..]);
        int size = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x36..]), count = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x38..]);
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            var ph = elf[((int)phoff + i * size)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) == 1) total += (long)BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
        }
        return total;
    }

    /// <summary>The file size of the named section (0 when absent or NOBITS).</summary>
    public static long SectionSize(string path, string name)
    {
        var elf = File.ReadAllBytes(path).AsSpan();
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        int size = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3a..]), count = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3c..]);
        int names = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3e..]);
        if (shoff == 0 || count == 0) return 0;
        var strtab = elf[((int)shoff + names * size)..];
        int strOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(strtab[24..]);
        for (int i = 0; i < count; i++)
        {
            var sh = elf[((int)shoff + i * size)..];
            int nameAt = strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(sh);
            int end = elf[nameAt..].IndexOf((byte)0);
            if (Encoding.ASCII.GetString(elf.Slice(nameAt, end)) != name) continue;
            return BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) == 8 ? 0 : (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[32..]);
        }
        return 0;
    }
}
