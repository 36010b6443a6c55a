using System.Runtime.InteropServices;

namespace Unikernel.Formats
{
    // The ELF64 little-endian numbers and records that the linker reads and writes and `uk inspect` reads, spelled
    // as in the gABI so that they can be grepped. The structs' explicit offsets are the gABI layouts (Elf64_Ehdr,
    // Elf64_Phdr, Elf64_Shdr, Elf64_Sym, Elf64_Nhdr): the host reads and writes them with MemoryMarshal, kernel code
    // through a pointer.
    internal static class ElfConstants
    {
        // e_ident: the magic "\x7fELF", then class and data encoding.
        public const uint ELFMAG = 0x464C457F;
        public const int EI_CLASS = 4;
        public const int EI_DATA = 5;
        public const int EI_VERSION = 6;
        public const byte ELFCLASS64 = 2;
        public const byte ELFDATA2LSB = 1;
        public const byte EV_CURRENT = 1;

        public const ushort ET_REL = 1;
        public const ushort ET_EXEC = 2;
        public const ushort EM_X86_64 = 62;

        public const uint SHT_NULL = 0;
        public const uint SHT_PROGBITS = 1;
        public const uint SHT_SYMTAB = 2;
        public const uint SHT_STRTAB = 3;
        public const uint SHT_RELA = 4;
        public const uint SHT_NOTE = 7;
        public const uint SHT_NOBITS = 8;
        public const uint SHT_REL = 9;
        public const uint SHT_INIT_ARRAY = 14;
        public const uint SHT_FINI_ARRAY = 15;
        public const uint SHT_PREINIT_ARRAY = 16;
        public const uint SHT_GROUP = 17;
        public const uint SHT_SYMTAB_SHNDX = 18;

        public const ulong SHF_WRITE = 0x1;
        public const ulong SHF_ALLOC = 0x2;
        public const ulong SHF_EXECINSTR = 0x4;
        public const ulong SHF_TLS = 0x400;

        public const uint GRP_COMDAT = 1;

        public const ushort SHN_UNDEF = 0;
        public const ushort SHN_LORESERVE = 0xff00;
        public const ushort SHN_ABS = 0xfff1;
        public const ushort SHN_COMMON = 0xfff2;
        public const ushort SHN_XINDEX = 0xffff;

        public const byte STB_LOCAL = 0;
        public const byte STB_GLOBAL = 1;
        public const byte STB_WEAK = 2;

        public const byte STT_NOTYPE = 0;
        public const byte STT_OBJECT = 1;
        public const byte STT_FUNC = 2;
        public const byte STT_SECTION = 3;
        public const byte STT_FILE = 4;
        public const byte STT_COMMON = 5;
        public const byte STT_TLS = 6;

        public const uint PT_LOAD = 1;
        public const uint PT_DYNAMIC = 2;
        public const uint PT_INTERP = 3;
        public const uint PT_NOTE = 4;
        public const uint PT_TLS = 7;
        public const uint PT_GNU_EH_FRAME = 0x6474e550;
        public const uint PT_GNU_STACK = 0x6474e551;

        public const uint NT_GNU_BUILD_ID = 3;
        // The Xen note that carries the 32-bit PVH entry point: what makes an ELF bootable by QEMU -kernel.
        public const uint XEN_ELFNOTE_PHYS32_ENTRY = 18;

        public const uint PF_X = 1;
        public const uint PF_W = 2;
        public const uint PF_R = 4;

        public const int ElfHeaderSize = 64;
        public const int ProgramHeaderSize = 56;
        public const int SectionHeaderSize = 64;
        public const int SymbolSize = 24;
        public const int NoteHeaderSize = 12;
    }

    // Elf64_Ehdr; of e_ident (bytes 0..16) the magic, class, data encoding and version, the rest is zero.
    [StructLayout(LayoutKind.Explicit, Size = ElfConstants.ElfHeaderSize)]
    internal struct Elf64Header
    {
        [FieldOffset(0)] public uint Magic;
        [FieldOffset(ElfConstants.EI_CLASS)] public byte Class;
        [FieldOffset(ElfConstants.EI_DATA)] public byte Data;
        [FieldOffset(ElfConstants.EI_VERSION)] public byte IdentVersion;
        [FieldOffset(16)] public ushort Type;
        [FieldOffset(18)] public ushort Machine;
        [FieldOffset(20)] public uint Version;
        [FieldOffset(24)] public ulong Entry;
        [FieldOffset(32)] public ulong ProgramHeaderOffset;
        [FieldOffset(40)] public ulong SectionHeaderOffset;
        [FieldOffset(48)] public uint Flags;
        [FieldOffset(52)] public ushort HeaderSize;
        [FieldOffset(54)] public ushort ProgramHeaderEntrySize;
        [FieldOffset(56)] public ushort ProgramHeaderCount;
        [FieldOffset(58)] public ushort SectionHeaderEntrySize;
        // 0 with extended numbering: the count is then section 0's sh_size.
        [FieldOffset(60)] public ushort SectionCount;
        // SHN_XINDEX with extended numbering: the index is then section 0's sh_link.
        [FieldOffset(62)] public ushort SectionNameTableIndex;

        // An x86-64 ET_EXEC whose program header table follows this header: what the linker, uk's probe guest and
        // the tests write.
        public static Elf64Header Executable(ulong entry, ushort programHeaderCount, ulong sectionHeaderOffset, ushort sectionCount,
            ushort sectionNameTableIndex)
        {
            return new Elf64Header
            {
                Magic = ElfConstants.ELFMAG,
                Class = ElfConstants.ELFCLASS64,
                Data = ElfConstants.ELFDATA2LSB,
                IdentVersion = ElfConstants.EV_CURRENT,
                Type = ElfConstants.ET_EXEC,
                Machine = ElfConstants.EM_X86_64,
                Version = ElfConstants.EV_CURRENT,
                Entry = entry,
                ProgramHeaderOffset = ElfConstants.ElfHeaderSize,
                SectionHeaderOffset = sectionHeaderOffset,
                HeaderSize = ElfConstants.ElfHeaderSize,
                ProgramHeaderEntrySize = ElfConstants.ProgramHeaderSize,
                ProgramHeaderCount = programHeaderCount,
                SectionHeaderEntrySize = ElfConstants.SectionHeaderSize,
                SectionCount = sectionCount,
                SectionNameTableIndex = sectionNameTableIndex,
            };
        }
    }

    // Elf64_Phdr.
    [StructLayout(LayoutKind.Explicit, Size = ElfConstants.ProgramHeaderSize)]
    internal struct Elf64ProgramHeader
    {
        [FieldOffset(0)] public uint Type;
        [FieldOffset(4)] public uint Flags;
        [FieldOffset(8)] public ulong Offset;
        [FieldOffset(16)] public ulong VirtualAddress;
        [FieldOffset(24)] public ulong PhysicalAddress;
        [FieldOffset(32)] public ulong FileSize;
        [FieldOffset(40)] public ulong MemorySize;
        [FieldOffset(48)] public ulong Alignment;
    }

    // Elf64_Shdr.
    [StructLayout(LayoutKind.Explicit, Size = ElfConstants.SectionHeaderSize)]
    internal struct Elf64SectionHeader
    {
        [FieldOffset(0)] public uint NameOffset;
        [FieldOffset(4)] public uint Type;
        [FieldOffset(8)] public ulong Flags;
        [FieldOffset(16)] public ulong Address;
        [FieldOffset(24)] public ulong Offset;
        [FieldOffset(32)] public ulong Size;
        [FieldOffset(40)] public uint Link;
        [FieldOffset(44)] public uint Info;
        [FieldOffset(48)] public ulong Alignment;
        [FieldOffset(56)] public ulong EntrySize;

        // SHT_NOBITS and SHT_NULL sections occupy no bytes of the file.
        public bool HasFileContents => Type != ElfConstants.SHT_NOBITS && Type != ElfConstants.SHT_NULL;
    }

    // Elf64_Sym.
    [StructLayout(LayoutKind.Explicit, Size = ElfConstants.SymbolSize)]
    internal struct Elf64Symbol
    {
        [FieldOffset(0)] public uint NameOffset;
        [FieldOffset(4)] public byte Info;
        // Visibility, which a static link does not act on.
        [FieldOffset(5)] public byte Other;
        [FieldOffset(6)] public ushort SectionIndex;
        [FieldOffset(8)] public ulong Value;
        [FieldOffset(16)] public ulong Size;

        public byte Binding => (byte)(Info >> 4);
        public byte Type => (byte)(Info & 0xf);
    }

    // Elf64_Nhdr: the name (NameSize bytes) and the descriptor follow, each padded to the note's alignment.
    [StructLayout(LayoutKind.Explicit, Size = ElfConstants.NoteHeaderSize)]
    internal struct Elf64NoteHeader
    {
        [FieldOffset(0)] public uint NameSize;
        [FieldOffset(4)] public uint DescriptorSize;
        [FieldOffset(8)] public uint Type;
    }
}
