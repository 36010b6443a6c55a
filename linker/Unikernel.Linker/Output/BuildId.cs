using Unikernel.Linker.Model;
using static Unikernel.Linker.ElfConstants;

namespace Unikernel.Linker.Output;

/// <summary>
/// <c>.note.gnu.build-id</c>: a SHA-1 tree hash of the whole output file, computed with the descriptor
/// zeroed and then written into it. Same inputs give the same bytes, hence the same id (no time, no randomness).
/// </summary>
public static class BuildId
{
    public const string SectionName = ".note.gnu.build-id";
    private const int DescriptorSize = Sha1.HashSize; // what ld's --build-id defaults to
    private const int NoteHeaderSize = 16; // namesz, descsz, type, "GNU\0"

    public static InputSection CreateSection()
    {
        var data = new byte[NoteHeaderSize + DescriptorSize];
        BitConverter.TryWriteBytes(data.AsSpan(0), 4);
        BitConverter.TryWriteBytes(data.AsSpan(4), DescriptorSize);
        BitConverter.TryWriteBytes(data.AsSpan(8), NT_GNU_BUILD_ID);
        "GNU\0"u8.CopyTo(data.AsSpan(12));
        return new InputSection(null, SectionName, SHT_NOTE, SHF_ALLOC, 4, (ulong)data.Length, data);
    }

    /// <summary>After the image is written: hashes it and stores the hash in the note.</summary>
    public static void Stamp(byte[] image, InputSection note)
    {
        int descriptor = checked((int)(note.Output!.FileOffset + note.OffsetInOutput)) + NoteHeaderSize;
        image.AsSpan(descriptor, DescriptorSize).Clear();
        TreeHash(image).CopyTo(image.AsSpan(descriptor));
    }

    private const int ChunkSize = 1 << 20;
    private const int ParallelChunks = 4;

    // SHA-1 over the SHA-1s of 1 MiB chunks (as lld does): the chunks hash in parallel, and the id
    // still depends only on the bytes, not on how many cores did the work.
    private static byte[] TreeHash(byte[] image)
    {
        int chunks = (image.Length + ChunkSize - 1) / ChunkSize;
        if (chunks <= 1) return Sha1.Hash(image);
        var digests = new byte[chunks * Sha1.HashSize];
        void HashChunk(int i)
        {
            int start = i * ChunkSize;
            Sha1.Hash(image.AsSpan(start, Math.Min(ChunkSize, image.Length - start))).CopyTo(digests.AsSpan(i * Sha1.HashSize));
        }
        SmallWork.For(chunks, chunks, ParallelChunks, HashChunk);
        return Sha1.Hash(digests);
    }
}
