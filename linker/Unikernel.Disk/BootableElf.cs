using System.Buffers.Binary;

namespace Unikernel.Disk;

/// <summary>
/// The checks a disk writer makes before it puts an image on a disk: what both loaders need of it (docs/boot-abi.md,
/// docs/disk-images.md): a whole x86-64 ELF64 executable whose program headers and PT_LOAD contents lie inside the file,
/// with the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) the loaders jump to. A problem is one line naming the field.
/// </summary>
public static class BootableElf
{
    private const ushort ExecutableType = 2, X86_64 = 62;
    private const uint PtLoad = 1, PtNote = 4, XenElfNotePhys32Entry = 18;
    private const int HeaderBytes = 64, ProgramHeaderBytes = 56;

    /// <summary>Null when <paramref name="image"/> can go on a disk, else why not.</summary>
    public static string? Problem(ReadOnlySpan<byte> image)
    {
        if (image.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(image) != 0x464C457F) return "not an ELF file (no \\x7fELF magic at offset 0)";
        if (image.Length < HeaderBytes) return $"truncated ELF file: {image.Length} bytes, shorter than the 64-byte ELF header";
        if (image[4] != 2 || image[5] != 1) return "not a bootable image: not a little-endian ELF64 file (e_ident[EI_CLASS], [EI_DATA])";
        if (BinaryPrimitives.ReadUInt16LittleEndian(image[16..]) != ExecutableType) return "not a bootable image: e_type is not ET_EXEC";
        if (BinaryPrimitives.ReadUInt16LittleEndian(image[18..]) != X86_64) return "not a bootable image: e_machine is not x86-64";
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(image[32..]);
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(image[54..]), phnum = BinaryPrimitives.ReadUInt16LittleEndian(image[56..]);
        if (phentsize < ProgramHeaderBytes || phnum == 0) return $"not a bootable image: no program headers (e_phnum {phnum}, e_phentsize {phentsize})";
        if (phoff > (ulong)image.Length || (ulong)image.Length - phoff < (ulong)(phentsize * phnum))
            return $"truncated ELF file: program headers at offset {phoff} end beyond its {image.Length} bytes";
        bool pvhEntry = false, anyLoad = false;
        for (int i = 0; i < phnum; i++)
        {
            var ph = image.Slice((int)phoff + i * phentsize, ProgramHeaderBytes);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]), fileSize = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            if (type is not (PtLoad or PtNote) || fileSize == 0) continue;
            if (offset > (ulong)image.Length || (ulong)image.Length - offset < fileSize)
                return $"truncated ELF file: segment {i} (offset {offset}, {fileSize} bytes) ends beyond its {image.Length} bytes";
            anyLoad |= type == PtLoad;
            if (type == PtNote) pvhEntry |= HasPvhNote(image.Slice((int)offset, (int)fileSize));
        }
        if (!anyLoad) return "not a bootable image: no PT_LOAD segment";
        if (!pvhEntry) return "not a bootable image: no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which the disk loaders enter";
        return null;
    }

    private static bool HasPvhNote(ReadOnlySpan<byte> notes)
    {
        int at = 0;
        while (notes.Length - at >= 12)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[at..]), descSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 8)..]);
            long next = at + 12L + Align4(nameSize) + Align4(descSize);
            if (next > notes.Length) return false;
            if (type == XenElfNotePhys32Entry && nameSize == 4 && notes.Slice(at + 12, 3).SequenceEqual("Xen"u8)) return true;
            at = (int)next;
        }
        return false;
    }

    private static long Align4(uint n) => (n + 3L) & ~3L;
}
