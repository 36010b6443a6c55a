using System.Runtime.InteropServices;

namespace Unikernel.Formats
{
    // uk_ksyms (docs/boot-abi.md, "uk_ksyms"): the function table the linker writes so that the kernel's stack traces
    // and `uk inspect` turn an address into name+offset without parsing ELF. A header, Count entries sorted by address,
    // then NUL-terminated UTF-8 names. The one statement of the layout, compiled into the kernel, the linker and uk.
    internal static class KernelSymbolsFormat
    {
        public const string SectionName = "uk_ksyms";
        // "KSYM" as little-endian bytes.
        public const uint Magic = 0x4D59534B;
        public const int HeaderSize = 16;
        public const int EntrySize = 16;
        // The app's functions are named app:NAME: its names may clash with the kernel's.
        public const string AppPrefix = "app:";
    }

    [StructLayout(LayoutKind.Explicit, Size = KernelSymbolsFormat.HeaderSize)]
    internal struct KernelSymbolsHeader
    {
        [FieldOffset(0)] public uint Magic;
        [FieldOffset(4)] public uint Count;
        // From the section's start.
        [FieldOffset(8)] public uint StringsOffset;
        [FieldOffset(12)] public uint Reserved;
    }

    [StructLayout(LayoutKind.Explicit, Size = KernelSymbolsFormat.EntrySize)]
    internal struct KernelSymbolsEntry
    {
        [FieldOffset(0)] public ulong Address;
        // 0 when unknown; a size past 4 GiB is stored as uint.MaxValue.
        [FieldOffset(8)] public uint Size;
        // From StringsOffset.
        [FieldOffset(12)] public uint NameOffset;
    }
}
