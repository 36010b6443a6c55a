using Kernel.Console;
using Kernel.LinuxAbi;
using Kernel.Platform;
using Unikernel.Formats;

namespace Kernel.Files.Image
{
    // The packed stream of uk_files (formats/UkFilesFormat.cs, "Packed files"): the bytes of the image's packed files,
    // cut into LZ4 blocks. A block is expanded into kernel memory the first time a file in it is read and kept for the
    // rest of the run (the image is read-only, so it never goes stale), so a boot that reads no packed file spends
    // nothing on them, and a block that is read costs its expansion once.
    internal static unsafe class PackedBlocks
    {
        private static byte* s_section;
        private static UkFilesHeader* s_header;
        // The expanded blocks (kernel pointers, 0 while not yet expanded); s_corrupt marks those that failed, reported once.
        private static ulong[] s_expanded;
        private static bool[] s_corrupt;

        public static ulong StreamSize { get; private set; }

        /// <summary>Checks the header's block table against the section (every block inside it, each but the last
        /// expanding to BlockSize); false when it is malformed. Forgets the blocks of a section attached before.</summary>
        public static bool Attach(byte* section, uint sectionSize)
        {
            UkFilesHeader* header = (UkFilesHeader*)section;
            s_section = null;
            s_header = null;
            s_expanded = null;
            s_corrupt = null;
            StreamSize = 0;
            if (header->Magic != UkFilesFormat.Magic || header->BlockCount == 0) return true;
            uint count = header->BlockCount, blockSize = header->BlockSize;
            if (header->Codec != UkFilesFormat.CodecLz4Block || blockSize == 0 ||
                header->BlockTableOffset + (ulong)UkFilesFormat.BlockRecordSize * count > sectionSize)
                return false;
            ulong stream = 0;
            for (uint i = 0; i < count; i++)
            {
                UkFilesBlock* block = Block(section, header, i);
                bool last = i + 1 == count;
                if ((ulong)block->DataOffset + block->StoredSize > sectionSize || block->ExpandedSize == 0 ||
                    (last ? block->ExpandedSize > blockSize : block->ExpandedSize != blockSize))
                    return false;
                stream += block->ExpandedSize;
            }
            s_section = section;
            s_header = header;
            s_expanded = new ulong[count];
            s_corrupt = new bool[count];
            StreamSize = stream;
            return true;
        }

        private static UkFilesBlock* Block(byte* section, UkFilesHeader* header, uint index) =>
            (UkFilesBlock*)(section + header->BlockTableOffset + (ulong)UkFilesFormat.BlockRecordSize * index);

        /// <summary>Copies <paramref name="count"/> bytes of the packed stream from <paramref name="offset"/> (inside
        /// it: the caller checked the file's extent) to <paramref name="destination"/>; the count, or -EIO when a block
        /// is corrupt, -ENOMEM when there is no memory to expand one.</summary>
        public static long Read(ulong offset, byte* destination, long count)
        {
            long done = 0;
            ulong blockSize = s_header->BlockSize;
            while (done < count)
            {
                uint index = (uint)(offset / blockSize);
                ulong within = offset % blockSize;
                byte* block = Expanded(index, out long error);
                if (block == null) return error;
                ulong available = Block(s_section, s_header, index)->ExpandedSize - within;
                long n = (ulong)(count - done) < available ? count - done : (long)available;
                System.Buffer.MemoryCopy(block + within, destination + done, n, n);
                done += n;
                offset += (ulong)n;
            }
            return done;
        }

        private static byte* Expanded(uint index, out long error)
        {
            error = 0;
            if (s_expanded[index] != 0) return (byte*)s_expanded[index];
            if (s_corrupt[index]) { error = -Errno.EIO; return null; }
            UkFilesBlock* block = Block(s_section, s_header, index);
            byte* memory = FileMemory.Allocate(block->ExpandedSize);
            if (memory == null) { error = -Errno.ENOMEM; return null; }
            long written = Lz4BlockDecoder.Decode(s_section + block->DataOffset, block->StoredSize, memory, block->ExpandedSize);
            if (written != block->ExpandedSize)
            {
                FileMemory.Free(memory);
                s_corrupt[index] = true;
                KernelConsole.Prefix();
                KernelConsole.Write("files: a packed block of the image is corrupt (block ");
                KernelConsole.WriteDecimal(index);
                KernelConsole.WriteLine("); its files read as I/O errors");
                error = -Errno.EIO;
                return null;
            }
            s_expanded[index] = (ulong)memory;
            return memory;
        }
    }
}
