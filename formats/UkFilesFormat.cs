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
    //
    // Record 0 is the root "/" (its own parent). Records are in depth-first order, each directory's entries sorted
    // by name (ordinal), so that the section is the same for the same inputs.
    internal static class UkFilesFormat
    {
        public const string SectionName = "uk_files";
        // "UKFILES1" as little-endian bytes.
        public const ulong Magic = 0x3153454C_4946_4B55;
        public const int HeaderSize = 32;
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
    }

    [StructLayout(LayoutKind.Explicit, Size = UkFilesFormat.EntrySize)]
    internal struct UkFilesEntry
    {
        // From the section's start: a regular file's bytes, a symlink's target; 0 for a directory.
        [FieldOffset(0)] public ulong DataOffset;
        // Bytes at DataOffset.
        [FieldOffset(8)] public ulong Size;
        // The record index of the directory holding this entry.
        [FieldOffset(16)] public uint Parent;
        // st_mode: type and permission bits.
        [FieldOffset(20)] public uint Mode;
        // From the section's start; the name without a NUL (empty for the root).
        [FieldOffset(24)] public uint NameOffset;
        [FieldOffset(28)] public uint NameLength;
    }
}
