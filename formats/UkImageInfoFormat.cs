using System.Runtime.InteropServices;

namespace Unikernel.Formats
{
    // uk_image_info (docs/boot-abi.md, "uk_image_info"): what an image with an app says about itself. The linker
    // writes it, the kernel's boot report prints it, `uk inspect` shows it; this file is the one statement of its
    // layout, compiled into all three. It stays within what the kernel's core library offers: constants and structs
    // whose explicit offsets are the format, read through a pointer by the kernel and with MemoryMarshal by the host
    // (every host that runs the linker or uk is little-endian, as the format is).
    internal static class UkImageInfoFormat
    {
        public const string SectionName = "uk_image_info";
        // "UKIMAGE1" as little-endian bytes.
        public const ulong Magic = 0x31454741_4D494B55;
        public const int HeaderSize = 72;
        public const int InputRecordSize = 48;
        public const int ImageSha256Offset = 16;
        public const int Sha256Size = 32;
        // Name and version are at most this many UTF-8 bytes.
        public const int MaxTextLength = 255;
        // The size is rounded up to this, so that uk_ksyms after it stays aligned.
        public const int SizeAlignment = 8;

        public const ushort InputKindLinked = 1;
        public const ushort InputKindApp = 2;
    }

    // The fixed part at the section's start; the image's SHA-256 fills [ImageSha256Offset, +Sha256Size).
    [StructLayout(LayoutKind.Explicit, Size = UkImageInfoFormat.HeaderSize)]
    internal struct UkImageInfoHeader
    {
        [FieldOffset(0)] public ulong Magic;
        // Bytes of the whole section: header, records, strings and padding.
        [FieldOffset(8)] public uint Size;
        [FieldOffset(12)] public uint InputCount;
        [FieldOffset(48)] public uint NameOffset;
        [FieldOffset(52)] public uint NameLength;
        [FieldOffset(56)] public uint VersionOffset;
        [FieldOffset(60)] public uint VersionLength;
        [FieldOffset(64)] public uint InputsOffset;
        // Readers step by this, so that records may grow at their end.
        [FieldOffset(68)] public uint InputRecordSize;
    }

    // One input of the link; its file's SHA-256 fills bytes [0, Sha256Size).
    [StructLayout(LayoutKind.Explicit, Size = UkImageInfoFormat.InputRecordSize)]
    internal struct UkImageInfoInputRecord
    {
        [FieldOffset(32)] public ulong Size;
        // From the section's start; the file name without its directory.
        [FieldOffset(40)] public uint NameOffset;
        [FieldOffset(44)] public ushort NameLength;
        [FieldOffset(46)] public ushort Kind;
    }
}
