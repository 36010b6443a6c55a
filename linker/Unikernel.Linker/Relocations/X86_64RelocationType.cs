using LibObjectFile.Elf;

namespace Unikernel.Linker.Relocations;

/// <summary>The x86-64 psABI relocation numbers this linker understands.</summary>
public static class X86_64RelocationType
{
    public const uint None = 0;
    public const uint Abs64 = 1;         // R_X86_64_64
    public const uint PC32 = 2;
    public const uint PLT32 = 4;
    public const uint GotPCRel = 9;
    public const uint Abs32 = 10;        // R_X86_64_32
    public const uint Abs32Signed = 11;  // R_X86_64_32S
    public const uint PC64 = 24;
    public const uint GotPCRelX = 41;
    public const uint RexGotPCRelX = 42;

    public static bool IsSupported(uint type) =>
        type is None or Abs64 or PC32 or PLT32 or GotPCRel or Abs32 or Abs32Signed or PC64 or GotPCRelX or RexGotPCRelX;

    public static bool IsGotRelative(uint type) => type is GotPCRel or GotPCRelX or RexGotPCRelX;

    /// <summary>Bytes patched at r_offset.</summary>
    public static int Width(uint type) => type switch
    {
        None => 0,
        Abs64 or PC64 => 8,
        _ => 4,
    };

    public static string Name(uint type)
    {
        string? name = new ElfRelocationType(ElfArchEx.X86_64, type).Name;
        return string.IsNullOrEmpty(name) ? $"R_X86_64_<{type}>" : name;
    }
}
