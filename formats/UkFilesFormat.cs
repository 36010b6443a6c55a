using System.Runtime.InteropServices;

namespace Unikernel.Formats
{
    // uk_files (docs/boot-abi.md, "uk_files"): the read-only file system inside an image with an app -- the publish
    // folder at /app, time-zone data, certificates, whatever UnikernelFile items name. The linker writes it, the kernel
    // mounts it (its files' bytes are read straight from the image's pages), `uk inspect` lists it; this file is the one
    // statement of its layout, compiled into all three.
    //
    // Why a format of our own and not cpio (newc) or EROFS: the kernel needs a tree it can link into its VFS at boot and
    // file bytes it can hand to read() in place. cpio is a stream of 110-byte ASCII headers with hex numbers and full
    // paths: the kernel would parse text and split paths for every file, and identical files (tzdata's many aliases)
    // are stored again. EROFS is a block file system built for a block device and a page cache (4 KiB blocks, inode
    // and directory blocks, optional compression): most of it would be code the kernel does not need, and small files
    // cost a block each unless inlined. Here a fixed-size record per entry, in tree order, carries everything: one pass
    // over the records builds the tree (a record's parent always comes first), names and data are offsets into the
    // section, files with the same bytes share them, and nothing depends on the host (one fixed time, no owners).
    //
    //   header | records (EntryCount, EntrySize bytes each) | names (UTF-8) | data (each file's bytes, 8-aligned)
    //   | block table | packed blocks
    //
    // Record 0 is the root "/" (its own parent). Records are in depth-first order, each directory's entries sorted
    // by name (ordinal), so that the section is the same for the same inputs.
    //
    // Packed files (version 2): a regular file whose Mode has ModePacked set keeps its bytes not in the data area but
    // in the "packed stream", the distinct contents of all packed files one after another, cut into BlockSize pieces
    // that are LZ4 blocks each. DataOffset is then the file's offset in that stream. The kernel expands a block the
    // first time a file in it is read, so files nobody reads (most of tzdata) cost neither boot time nor RAM, and the
    // image carries them at about a third of their size. Blocks rather than files because tzdata's files are 1-3 KiB
    // each and compress to 60% alone, to 34% in 64 KiB blocks.
    internal static class UkFilesFormat
    {
        public const string SectionName = "uk_files";
        // "UKFILES2" as little-endian bytes; readers take version 1 too ("UKFILES1": the 32-byte header, no packed files).
        public const ulong Magic = 0x3253454C_4946_4B55;
        public const ulong MagicVersion1 = 0x3153454C_4946_4B55;
        public const int HeaderSize = 48;
        public const int HeaderSizeVersion1 = 32;
        public const int BlockRecordSize = 16;
        // Codec of the packed blocks: lz4's block format (formats/Lz4BlockDecoder.cs).
        public const uint CodecLz4Block = 1;
        // Mode bit (above st_mode's 16) of a regular file whose bytes are in the packed stream.
        public const uint ModePacked = 0x10000;
        public const uint ModeBits = 0xFFFF;
        public const int EntrySize = 32;
        public const int DataAlignment = 8;
        // ExecutableEntry when the image names no executable.
        public const uint NoEntry = 0xFFFFFFFF;
        // A name is at most this many bytes, a path at most PathMax (Linux's NAME_MAX and PATH_MAX).
        public const int NameMax = 255;
        public const int PathMax = 4096;

        // st_mode type bits (Linux's S_IF*).
        public const uint TypeMask = 0xF000;
        public const uint TypeDirectory = 0x4000;
        public const uint TypeRegular = 0x8000;
        public const uint TypeSymlink = 0xA000;
    }

    [StructLayout(LayoutKind.Explicit, Size = UkFilesFormat.HeaderSize)]
    internal struct UkFilesHeader
    {
        [FieldOffset(0)] public ulong Magic;
        // Bytes of the whole section.
        [FieldOffset(8)] public uint Size;
        [FieldOffset(12)] public uint EntryCount;
        [FieldOffset(16)] public uint EntriesOffset;
        // Readers step by this, so that records may grow at their end.
        [FieldOffset(20)] public uint EntrySize;
        // The record of the app's executable (/app/NAME, what /proc/self/exe names), or NoEntry.
        [FieldOffset(24)] public uint ExecutableEntry;
        // Every entry's modification (and access and change) time, in seconds since 1970: one fixed time (uk-ld
        // --files-time, SOURCE_DATE_EPOCH through the SDK, else 0), not the host files' own, so that the image is
        // reproducible and web servers' Last-Modified and ETag headers are the same in every build.
        [FieldOffset(28)] public uint ModifiedTime;
        // Version 2 (EntriesOffset >= HeaderSize): the packed stream's blocks. BlockCount 0: no packed files.
        [FieldOffset(32)] public uint BlockTableOffset;
        [FieldOffset(36)] public uint BlockCount;
        // Bytes each block expands to (the last one may be shorter); DataOffset / BlockSize is a packed file's first block.
        [FieldOffset(40)] public uint BlockSize;
        [FieldOffset(44)] public uint Codec;
    }

    [StructLayout(LayoutKind.Explicit, Size = UkFilesFormat.BlockRecordSize)]
    internal struct UkFilesBlock
    {
        // From the section's start: the block's compressed bytes.
        [FieldOffset(0)] public uint DataOffset;
        [FieldOffset(4)] public uint StoredSize;
        // Bytes it expands to: BlockSize for every block but the last.
        [FieldOffset(8)] public uint ExpandedSize;
        [FieldOffset(12)] public uint Reserved;
    }

    [StructLayout(LayoutKind.Explicit, Size = UkFilesFormat.EntrySize)]
    internal struct UkFilesEntry
    {
        // From the section's start: a regular file's bytes, a symlink's target; 0 for a directory. A packed file's
        // offset in the packed stream.
        [FieldOffset(0)] public ulong DataOffset;
        // Bytes at DataOffset.
        [FieldOffset(8)] public ulong Size;
        // The record index of the directory holding this entry.
        [FieldOffset(16)] public uint Parent;
        // st_mode: type and permission bits (ModeBits), and ModePacked.
        [FieldOffset(20)] public uint Mode;
        // From the section's start; the name without a NUL (empty for the root).
        [FieldOffset(24)] public uint NameOffset;
        [FieldOffset(28)] public uint NameLength;
    }
}
