namespace Unikernel.Loaders.Bios;

/// <summary>
/// Where the BIOS loader keeps things in the first 640 KiB while it runs in real mode (all of it below 1 MiB, where the
/// kernel copies the start info, memory map and command line before anything else: LoaderData.Capture). Everything the
/// 16-bit code touches through DS = 0 lies in the first 64 KiB; the bounce buffer has a segment of its own.
/// </summary>
internal static class LowMemory
{
    /// <summary>The BIOS data area's word holding the EBDA's segment (ACPI 5.2.5.1: the RSDP may be in its first KiB).</summary>
    public const ushort EbdaSegmentPointer = 0x040E;

    /// <summary>hvm_start_info, version 1 (56 bytes), what ebx points at when the kernel starts.</summary>
    public const ushort StartInfo = 0x0500;
    public const int StartInfoBytes = 56;

    /// <summary>The loader's variables (one 256-byte block; see <see cref="Variable"/>).</summary>
    public const ushort Variables = 0x0600;

    /// <summary>The INT 13h AH=42h disk address packet (16 bytes).</summary>
    public const ushort DiskAddressPacket = 0x0700;

    /// <summary>The E820 memory map as hvm_memmap_table_entry records (24 bytes each), at most 128 (the kernel's limit).</summary>
    public const ushort MemoryMap = 0x1000;
    public const int MemoryMapEntryBytes = 24;
    public const int MaxMemoryMapEntries = 128;

    /// <summary>The configuration's 4096 bytes, then a NUL of our own: the command line ends at the first NUL.</summary>
    public const ushort CommandLine = 0x2000;

    /// <summary>The image's first 4 KiB: the ELF header and, in every image uk-ld writes, the program headers.</summary>
    public const ushort ElfHeader = 0x4000;
    public const int ElfHeaderBytes = 4096;

    /// <summary>A PT_NOTE segment's bytes while the loader looks for the PVH entry note.</summary>
    public const ushort Notes = 0x5000;
    public const int NotesBytes = 8192;

    /// <summary>The stack grows down from the boot sector.</summary>
    public const ushort StackTop = 0x7C00;

    /// <summary>Where the BIOS loads the MBR (stage 1).</summary>
    public const ushort BootSector = 0x7C00;

    /// <summary>Where stage 1 reads the <see cref="BiosBootMap"/> sector; stage 2 reads it there too.</summary>
    public const ushort BootMap = 0x7E00;

    /// <summary>Stage 2, up to the end of the first 64 KiB (so its code and data need no segment but 0).</summary>
    public const ushort Stage2 = 0x8000;
    public const int MaxStage2Sectors = (0x10000 - Stage2) / DiskBootContract.SectorBytes;

    /// <summary>
    /// The bounce buffer INT 13h reads the image into, one 64 KiB segment. 127 sectors a read: the most the Phoenix EDD
    /// specification lets a caller ask for at once (some BIOSes refuse more).
    /// </summary>
    public const ushort BounceSegment = 0x1000;
    public const uint Bounce = BounceSegment << 4;
    public const int SectorsPerRead = 127;

    /// <summary>The loader's variables, each at <see cref="Variables"/> + its offset.</summary>
    public static class Variable
    {
        public const ushort Drive = Variables + 0x00;           // u8: DL as the BIOS gave it to stage 1
        public const ushort MemoryMapEntries = Variables + 0x04; // u32
        public const ushort PvhEntry = Variables + 0x08;          // u32: from the Xen note, 0 until found
        public const ushort Rsdp = Variables + 0x0C;              // u32: 0 when not found
        public const ushort ProgramHeader = Variables + 0x10;     // u16: address of the current program header
        public const ushort ProgramHeadersLeft = Variables + 0x12; // u16
        public const ushort LoadOffset = Variables + 0x14;        // u32: image file offset of the next byte to load
        public const ushort LoadRemaining = Variables + 0x18;     // u32: bytes still to load
        public const ushort LoadDestination = Variables + 0x1C;   // u32: physical address of the next byte
        public const ushort ReadLba = Variables + 0x20;           // u32: the LBA of the read in progress (for the message)
        public const ushort ReadSectors = Variables + 0x24;       // u16
        public const ushort ReadSegment = Variables + 0x26;       // u16
        public const ushort CommandLineAddress = Variables + 0x28; // u32: 0 without a configuration
        public const ushort A20Probe = Variables + 0xF0;          // u16: compared with its alias 1 MiB higher
    }
}
