using Unikernel.Linker.Model;

namespace Unikernel.Linker.Relocations;

/// <summary>
/// GOT-indirect code that a static link can turn into direct code (psABI "GOTPCRELX" relaxations), so
/// no GOT slot is needed. Only the *X relocation types promise that the bytes before r_offset are one
/// of the known instructions; plain GOTPCREL is never rewritten.
/// </summary>
public static class GotRelaxation
{
    private const byte MovLoad = 0x8b;
    private const byte Lea = 0x8d;
    private const byte IndirectGroup = 0xff;
    private const byte CallRipModRm = 0x15; // ff /2, rip-relative
    private const byte JumpRipModRm = 0x25; // ff /4, rip-relative
    private const byte Addr32Prefix = 0x67;
    private const byte CallRel32 = 0xe8;
    private const byte JumpRel32 = 0xe9;
    private const byte Nop = 0x90;

    public static RelocationAction Decide(ReadOnlySpan<byte> data, in Relocation relocation, Symbol symbol)
    {
        if (relocation.Type == X86_64RelocationType.GotPCRel || relocation.Offset < 2)
            return RelocationAction.UseGotSlot;
        // Absolute symbols may lie beyond ±2 GiB of the code; the null symbol (S = 0) is fine.
        if (symbol.Kind is SymbolKind.Absolute && relocation.SymbolIndex != 0)
            return RelocationAction.UseGotSlot;
        byte opcode = data[(int)relocation.Offset - 2];
        byte modrm = data[(int)relocation.Offset - 1];
        if (opcode == MovLoad && (modrm & 0xC7) == 0x05)
            return RelocationAction.RelaxToLea;
        // A call or jump to an undefined weak function must still go through a (zero) slot: the
        // program tests the pointer, and "call 0" as a direct call would not even encode.
        if (opcode == IndirectGroup && symbol.IsDefined && relocation.Type == X86_64RelocationType.GotPCRelX)
        {
            if (modrm == CallRipModRm)
                return RelocationAction.RelaxCallToDirect;
            if (modrm == JumpRipModRm && relocation.Offset + 4 < (ulong)data.Length)
                return RelocationAction.RelaxJumpToDirect;
        }
        return RelocationAction.UseGotSlot;
    }

    /// <summary>Rewrites the instruction; returns where the 32-bit displacement now is (r_offset + shift).</summary>
    public static int Rewrite(Span<byte> data, ulong offset, RelocationAction action)
    {
        switch (action)
        {
            case RelocationAction.RelaxToLea:
                data[(int)offset - 2] = Lea;
                return 0;
            case RelocationAction.RelaxCallToDirect:
                // The address-size prefix keeps the instruction 6 bytes long and is ignored by call rel32.
                data[(int)offset - 2] = Addr32Prefix;
                data[(int)offset - 1] = CallRel32;
                return 0;
            case RelocationAction.RelaxJumpToDirect:
                // jmp rel32 is one byte shorter: displacement moves back a byte, a nop fills the end.
                data[(int)offset - 2] = JumpRel32;
                data[(int)offset + 3] = Nop;
                return -1;
            default:
                throw new InvalidOperationException($"not a GOT relaxation: {action}");
        }
    }
}
