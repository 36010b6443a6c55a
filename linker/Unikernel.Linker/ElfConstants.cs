namespace Unikernel.Linker;

/// <summary>The ELF numbers the linker reads and writes; spelled as in the gABI so they can be grepped.</summary>
internal static class ElfConstants
{
    public const ushort ET_REL = 1;
    public const ushort ET_EXEC = 2;
    public const ushort EM_X86_64 = 62;
    public const byte ELFCLASS64 = 2;
    public const byte ELFDATA2LSB = 1;

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

    public const uint PF_X = 1;
    public const uint PF_W = 2;
    public const uint PF_R = 4;

    public const int ElfHeaderSize = 64;
    public const int ProgramHeaderSize = 56;
    public const int SectionHeaderSize = 64;
    public const int SymbolSize = 24;
}
