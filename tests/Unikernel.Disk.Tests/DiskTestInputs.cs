using System.Buffers.Binary;
using Unikernel.Disk;

namespace Unikernel.Disk.Tests;

/// <summary>Inputs for the layout tests: a small but well-formed PVH ELF image and loader bytes with visible patterns
/// (the layout does not care what the loaders contain, only where they go).</summary>
internal static class DiskTestInputs
{
    public static readonly BootLoaders Loaders = new(
        Enumerable.Range(0, 440).Select(i => (byte)(i * 7 + 1)).ToArray(),
        Enumerable.Range(0, 8 * 512).Select(i => (byte)(i * 13 + 5)).ToArray(),
        Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31 + 3)).ToArray());

    /// <summary>An ET_EXEC x86-64 ELF64 with one PT_LOAD of <paramref name="payloadBytes"/> and a PT_NOTE holding
    /// XEN_ELFNOTE_PHYS32_ENTRY, as our images have.</summary>
    public static byte[] Elf(int payloadBytes = 300_000, byte seed = 1)
    {
        const int header = 64, ph = 56, note = 12 + 4 + 4;
        int notesAt = header + 2 * ph, payloadAt = 0x1000;
        var elf = new byte[payloadAt + payloadBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(elf, 0x464C457F);
        elf[4] = 2; elf[5] = 1; elf[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(16), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(18), 62);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(24), 0x100000);
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(32), header);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(52), header);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(54), ph);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(56), 2);
        var load = elf.AsSpan(header, ph);
        BinaryPrimitives.WriteUInt32LittleEndian(load, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(load[4..], 5);
        BinaryPrimitives.WriteUInt64LittleEndian(load[8..], (ulong)payloadAt);
        BinaryPrimitives.WriteUInt64LittleEndian(load[16..], 0x100000);
        BinaryPrimitives.WriteUInt64LittleEndian(load[24..], 0x100000);
        BinaryPrimitives.WriteUInt64LittleEndian(load[32..], (ulong)payloadBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(load[40..], (ulong)payloadBytes);
        var notes = elf.AsSpan(header + ph, ph);
        BinaryPrimitives.WriteUInt32LittleEndian(notes, 4);
        BinaryPrimitives.WriteUInt64LittleEndian(notes[8..], (ulong)notesAt);
        BinaryPrimitives.WriteUInt64LittleEndian(notes[32..], note);
        BinaryPrimitives.WriteUInt64LittleEndian(notes[40..], note);
        var n = elf.AsSpan(notesAt, note);
        BinaryPrimitives.WriteUInt32LittleEndian(n, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(n[4..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(n[8..], 18);
        "Xen\0"u8.CopyTo(n[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(n[16..], 0x100000);
        for (int i = 0; i < payloadBytes; i++) elf[payloadAt + i] = (byte)(i * 17 + seed);
        return elf;
    }

    public static byte[] Disk(string commandLine = "uk.log=debug HELLO=world -- a b", byte[]? elf = null)
        => DiskImageBuilder.Build(elf ?? Elf(), commandLine, Loaders);
}
