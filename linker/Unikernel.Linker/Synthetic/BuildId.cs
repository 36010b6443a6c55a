using System.IO.Hashing;
using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>How <c>--build-id</c> computes the note's descriptor.</summary>
public enum BuildIdKind
{
    None,
    /// <summary><c>--build-id</c> and <c>--build-id=fast</c>: a 128-bit XXH3 tree hash (16 bytes). lld makes the
    /// same choice for a bare <c>--build-id</c>: an id only has to tell builds apart, not resist an attacker.</summary>
    Fast,
    /// <summary><c>--build-id=sha1</c> (GNU ld's default, and what NativeAOT's publish asks for): a SHA-1 tree hash
    /// (20 bytes).</summary>
    Sha1,
}

/// <summary>
/// <c>.note.gnu.build-id</c>: a tree hash of the whole output file, computed with the descriptor zeroed and then
/// written into it. Same inputs give the same bytes, hence the same id (no time, no randomness).
/// </summary>
public static class BuildId
{
    public const string SectionName = ".note.gnu.build-id";
    private const int NoteHeaderSize = 16; // namesz, descsz, type, "GNU\0"
    private const int FastHashSize = 16;

    public static InputSection CreateSection(BuildIdKind kind)
    {
        int descriptorSize = DescriptorSize(kind);
        var data = new byte[NoteHeaderSize + descriptorSize];
        BitConverter.TryWriteBytes(data.AsSpan(0), 4);
        BitConverter.TryWriteBytes(data.AsSpan(4), descriptorSize);
        BitConverter.TryWriteBytes(data.AsSpan(8), NT_GNU_BUILD_ID);
        "GNU\0"u8.CopyTo(data.AsSpan(12));
        return new InputSection(null, SectionName, SHT_NOTE, SHF_ALLOC, 4, (ulong)data.Length, data);
    }

    private static int DescriptorSize(BuildIdKind kind) => kind switch
    {
        BuildIdKind.Fast => FastHashSize,
        BuildIdKind.Sha1 => Sha1.HashSize,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>After the image is written: hashes it and stores the hash in the note.</summary>
    public static void Stamp(byte[] image, InputSection note, BuildIdKind kind)
    {
        int size = DescriptorSize(kind);
        int descriptor = checked((int)(note.Output!.FileOffset + note.OffsetInOutput)) + NoteHeaderSize;
        image.AsSpan(descriptor, size).Clear();
        TreeHash(image, kind).CopyTo(image.AsSpan(descriptor));
    }

    private const int ChunkSize = 1 << 20;
    private const int ParallelChunks = 4;

    // The hash of the hashes of 1 MiB chunks (as lld does): the chunks hash in parallel, and the id still depends
    // only on the bytes, not on how many cores did the work.
    private static byte[] TreeHash(byte[] image, BuildIdKind kind)
    {
        Func<ReadOnlySpan<byte>, byte[]> hash = kind == BuildIdKind.Sha1 ? Sha1.Hash : data => XxHash128.Hash(data);
        int chunks = (image.Length + ChunkSize - 1) / ChunkSize;
        if (chunks <= 1) return hash(image);
        int size = DescriptorSize(kind);
        var digests = new byte[chunks * size];
        void HashChunk(int i)
        {
            int start = i * ChunkSize;
            hash(image.AsSpan(start, Math.Min(ChunkSize, image.Length - start))).CopyTo(digests.AsSpan(i * size));
        }
        // XXH3 hashes a chunk in tens of microseconds: waking the pool's threads would cost more.
        SmallWork.For(chunks, kind == BuildIdKind.Sha1 ? chunks : 0, ParallelChunks, HashChunk);
        return hash(digests);
    }
}
