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
    public const uint DtpOff64 = 17;
    public const uint TpOff64 = 18;
    public const uint TlsGd = 19;
    public const uint TlsLd = 20;
    public const uint DtpOff32 = 21;
    public const uint GotTpOff = 22;
    public const uint TpOff32 = 23;
    public const uint PC64 = 24;
    public const uint GotOff64 = 25;
    public const uint GotPC32 = 26;
    public const uint GotPC64 = 29;
    public const uint Size32 = 32;
    public const uint Size64 = 33;
    public const uint GotPCRelX = 41;
    public const uint RexGotPCRelX = 42;

    /// <summary>Types valid in every output kind; the kernel rejects TLS by symbol before looking at the type.</summary>
    public static bool IsSupported(uint type) =>
        type is None or Abs64 or PC32 or PLT32 or GotPCRel or Abs32 or Abs32Signed or PC64 or GotPCRelX or RexGotPCRelX
            or GotOff64 or GotPC32 or GotPC64 or Size32 or Size64
            or DtpOff64 or TpOff64 or TlsGd or TlsLd or DtpOff32 or GotTpOff or TpOff32;

    public static bool IsGotRelative(uint type) => type is GotPCRel or GotPCRelX or RexGotPCRelX;

    public static bool IsThreadLocal(uint type) =>
        type is DtpOff64 or TpOff64 or TlsGd or TlsLd or DtpOff32 or GotTpOff or TpOff32;

    /// <summary>Types whose value is relative to the GOT's address rather than to a slot in it.</summary>
    public static bool UsesGotBase(uint type) => type is GotOff64 or GotPC32 or GotPC64;

    /// <summary>Bytes patched at r_offset.</summary>
    public static int Width(uint type) => type switch
    {
        None => 0,
        Abs64 or PC64 or DtpOff64 or TpOff64 or GotOff64 or GotPC64 or Size64 => 8,
        _ => 4,
    };

    public static string Name(uint type)
    {
        string? name = new ElfRelocationType(ElfArchEx.X86_64, type).Name;
        return string.IsNullOrEmpty(name) ? $"R_X86_64_<{type}>" : name;
    }
}
