using System.Runtime.InteropServices;

namespace Unikernel.Formats
{
    // uk_payload (docs/boot-abi.md, "The compressed payload"): what uk-ld compresses out of an image with an app, and the
    // kernel expands at boot before anything reads it. Every PT_LOAD at or above the app's window (the app's segments,
    // then uk_image_info + uk_ksyms + uk_files) keeps its program header with p_filesz 0, so every loader zero-fills its
    // pages; its bytes are LZ4 blocks in one more read-only PT_LOAD, the payload, on the first page after the highest of
    // them, which uk_boot_info's PayloadStart names. The kernel writes each region's bytes to its address and the
    // payload's pages become free memory. The two Tail fields let a host tool undo the transformation byte for byte
    // (formats/Host/UkPayloadCodec.cs): the image hash, the link map and every reader of the image see the image as
    // `uk-ld --no-compress` writes it.
    //
    //   header | regions (RegionCount, RegionSize bytes each) | each region's LZ4 block
    internal static class UkPayloadFormat
    {
        public const string SectionName = "uk_payload";
        // "UKPAYLD1" as little-endian bytes.
        public const ulong Magic = 0x31444C59_41504B55;
        public const int HeaderSize = 48;
        public const int RegionSize = 48;
        // The LZ4 block format (lz4's doc/lz4_Block_format.md): no frame, no checksum; the image hash covers the
        // expanded bytes, and a corrupt block is caught by the decoder's bounds and the exact expected size.
        public const uint CodecLz4Block = 1;
    }

    [StructLayout(LayoutKind.Explicit, Size = UkPayloadFormat.HeaderSize)]
    internal struct UkPayloadHeader
    {
        [FieldOffset(0)] public ulong Magic;
        // Bytes of the whole payload (header, regions, blocks).
        [FieldOffset(8)] public uint Size;
        [FieldOffset(12)] public uint RegionCount;
        [FieldOffset(16)] public uint RegionsOffset;
        // Readers step by this, so that records may grow at their end.
        [FieldOffset(20)] public uint RegionSize;
        [FieldOffset(24)] public uint Codec;
        [FieldOffset(28)] public uint Reserved;
        // For the host's exact inverse only: where the non-loaded tail (.symtab, .strtab, .shstrtab, section headers,
        // uk_sbom) began in the uncompressed file, and where it begins in this one.
        [FieldOffset(32)] public ulong OriginalTailOffset;
        [FieldOffset(40)] public ulong TailOffset;
    }

    [StructLayout(LayoutKind.Explicit, Size = UkPayloadFormat.RegionSize)]
    internal struct UkPayloadRegion
    {
        // The PT_LOAD's p_vaddr (= p_paddr), p_filesz (the bytes the block expands to) and p_memsz.
        [FieldOffset(0)] public ulong Address;
        [FieldOffset(8)] public ulong FileSize;
        [FieldOffset(16)] public ulong MemorySize;
        // The PT_LOAD's p_offset in the uncompressed file (host only).
        [FieldOffset(24)] public ulong OriginalFileOffset;
        // The block: offset from the payload's start, and bytes.
        [FieldOffset(32)] public uint DataOffset;
        [FieldOffset(36)] public uint DataSize;
        // p_flags, for tools.
        [FieldOffset(40)] public uint Flags;
        [FieldOffset(44)] public uint Reserved;
    }
}
