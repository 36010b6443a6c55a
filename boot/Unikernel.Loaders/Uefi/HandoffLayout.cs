namespace Unikernel.Loaders.Uefi;

/// <summary>
/// The two blocks the loader allocates below 4 GiB, outside the image's load range, before it exits boot services.
/// The transfer block (EfiLoaderCode, one page, executable under the firmware's NX policy) holds the GDT, the list of
/// copies to make and the 32-bit code that makes them; the kernel may reuse it once it runs. The start-info block
/// (<see cref="StartInfoMemoryType"/>, two pages) holds what the kernel reads at boot: the hvm_start_info, the E820
/// memory map and the command line. It is an OS-loader memory type, which the loader's map marks reserved, so the
/// kernel never hands it out before it has copied it (runtime/Kernel/Boot/LoaderData.cs).
/// </summary>
internal static class HandoffLayout
{
    /// <summary>A memory type from the range UEFI leaves to OS loaders (0x80000000-0xFFFFFFFF): "UK" in its low half.</summary>
    public const uint StartInfoMemoryType = 0x8000_554B;

    // Transfer block.
    public const int TransferPages = 1;
    public const int Gdt = 0x00;                      // null, 0x08 flat 32-bit code, 0x10 flat 32-bit data
    public const int GdtBytes = 24;
    public const int GdtPointer = 0x20;               // u16 limit, u64 base (lgdt in 64-bit mode reads 10 bytes)
    public const int EntryAddress = 0x30;             // u32: the PVH entry
    public const int StartInfoAddress = 0x34;         // u32: ebx for the kernel
    public const int CopyCount = 0x38;                // u32
    public const int Copies = 0x40;                   // CopyCount x { u32 destination, u32 source, u32 bytes, u32 zero bytes after }
    public const int CopyBytes = 16;
    public const int MaxLoadSegments = 16;
    public const int Trampoline = 0x200;              // the 32-bit code, entered in compatibility mode
    public const ushort CodeSelector = 0x08;
    public const ushort DataSelector = 0x10;

    /// <summary>Flat descriptors, base 0, limit 4 GiB (G=1): 32-bit code (D=1, L=0) and 32-bit data, as PVH entry wants.</summary>
    public static readonly ulong[] GdtEntries = [0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF];

    // Start-info block.
    public const int StartInfoPages = 2;
    public const int StartInfo = 0x000;               // hvm_start_info version 1 (56 bytes)
    public const int MemoryMap = 0x040;               // up to MaxMemoryMapEntries x hvm_memmap_table_entry (24 bytes)
    public const int MemoryMapEntryBytes = 24;
    public const int MaxMemoryMapEntries = 128;       // what the kernel copies (LoaderData.MaxMemoryMapEntries)
    public const int CommandLine = 0x1000;            // up to MaxCommandLineBytes, NUL included
    public const int MaxCommandLineBytes = 4096;

    // hvm_start_info (Xen's public/arch-x86/hvm/start_info.h).
    public const uint StartInfoMagic = 0x336E_C578;
    public const int StartInfoVersionField = 4;
    public const int StartInfoCommandLineField = 24;
    public const int StartInfoRsdpField = 32;
    public const int StartInfoMemoryMapField = 40;
    public const int StartInfoMemoryMapEntriesField = 48;

    // E820 types in hvm_memmap_table_entry.
    public const byte E820Ram = 1, E820Reserved = 2, E820AcpiReclaimable = 3, E820AcpiNvs = 4, E820Unusable = 5;

    /// <summary>
    /// The E820 type of each UEFI memory type (index): what the OS may use once boot services are gone is RAM (loader
    /// and boot-services code and data, conventional memory); ACPI reclaim and NVS keep their meaning; unusable memory is
    /// unusable; runtime services, MMIO, PAL code, persistent and unaccepted memory, reserved and any type beyond the
    /// table (OEM and OS-loader types, the start-info block among them) are reserved.
    /// </summary>
    public static readonly byte[] E820TypeOfUefiType =
    [
        E820Reserved,        // 0 EfiReservedMemoryType
        E820Ram,             // 1 EfiLoaderCode
        E820Ram,             // 2 EfiLoaderData
        E820Ram,             // 3 EfiBootServicesCode
        E820Ram,             // 4 EfiBootServicesData
        E820Reserved,        // 5 EfiRuntimeServicesCode
        E820Reserved,        // 6 EfiRuntimeServicesData
        E820Ram,             // 7 EfiConventionalMemory
        E820Unusable,        // 8 EfiUnusableMemory
        E820AcpiReclaimable, // 9 EfiACPIReclaimMemory
        E820AcpiNvs,         // 10 EfiACPIMemoryNVS
        E820Reserved,        // 11 EfiMemoryMappedIO
        E820Reserved,        // 12 EfiMemoryMappedIOPortSpace
        E820Reserved,        // 13 EfiPalCode
        E820Reserved,        // 14 EfiPersistentMemory
        E820Reserved,        // 15 EfiUnacceptedMemoryType
    ];
}
