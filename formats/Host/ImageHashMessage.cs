using System.Runtime.InteropServices;

namespace Unikernel.Formats
{
    /// <summary>
    /// The one definition of the image hash (docs/boot-abi.md, "The image hash"): SHA-256 over <c>e_entry</c>, then for
    /// each PT_LOAD in program header order <c>p_vaddr</c>, <c>p_memsz</c>, <c>p_flags</c>, <c>p_filesz</c> (each a
    /// little-endian u64) and its <c>p_filesz</c> bytes from the file, with the 32 bytes at file offset
    /// <c>hashFieldOffset</c> (uk_image_info's own hash field) read as zeros. It covers what a loader puts into memory and
    /// nothing else, so sections that are not loaded (the symbol table, uk_sbom) can change without changing it.
    /// </summary>
    internal static class ImageHashMessage
    {
        public static void Feed<TSink>(ReadOnlySpan<byte> elf, long hashFieldOffset, TSink sink) where TSink : IImageHashSink
        {
            var file = MemoryMarshal.Read<Elf64Header>(elf);
            Span<byte> number = stackalloc byte[8];
            void Append(TSink target, Span<byte> scratch, ulong value)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(scratch, value);
                target.Append(scratch);
            }
            Append(sink, number, file.Entry);
            Span<byte> zeros = stackalloc byte[UkImageInfoFormat.Sha256Size];
            zeros.Clear();
            for (int i = 0; i < file.ProgramHeaderCount; i++)
            {
                var header = MemoryMarshal.Read<Elf64ProgramHeader>(
                    elf.Slice(checked((int)file.ProgramHeaderOffset + i * file.ProgramHeaderEntrySize), ElfConstants.ProgramHeaderSize));
                if (header.Type != ElfConstants.PT_LOAD)
                    continue;
                long offset = checked((long)header.Offset);
                long fileSize = checked((long)header.FileSize);
                Append(sink, number, header.VirtualAddress);
                Append(sink, number, header.MemorySize);
                Append(sink, number, header.Flags);
                Append(sink, number, (ulong)fileSize);
                var bytes = elf.Slice(checked((int)offset), checked((int)fileSize));
                long fieldStart = hashFieldOffset - offset;
                if (fieldStart >= 0 && fieldStart + zeros.Length <= fileSize)
                {
                    sink.Append(bytes[..(int)fieldStart]);
                    sink.Append(zeros);
                    sink.Append(bytes[((int)fieldStart + zeros.Length)..]);
                }
                else
                {
                    sink.Append(bytes);
                }
            }
        }
    }
}
