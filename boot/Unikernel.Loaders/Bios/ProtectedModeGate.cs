using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Loaders.Bios;

/// <summary>
/// Stage 2's 32-bit code and its GDT. The image's segments go above 1 MiB, out of real mode's reach, so after each
/// INT 13h read stage 2 enters protected mode, moves the chunk from the bounce buffer (or zeroes a segment's tail), and
/// comes back to real mode for the next BIOS call. Why not unreal mode (real mode with 4 GiB segment limits, set up
/// once): it lasts only as long as nobody reloads a segment register in protected mode, and SeaBIOS runs its disk
/// drivers in 32-bit mode, whose transitions do exactly that; a switch per chunk costs a few dozen instructions per
/// 63.5 KiB read and depends on nothing the BIOS does. The last entry is the kernel's: flat 32-bit protected mode,
/// paging and interrupts off, ebx = the hvm_start_info, as a PVH loader enters it (docs/boot-abi.md).
/// </summary>
internal static class ProtectedModeGate
{
    public const ushort Code32 = 0x08;
    public const ushort Data32 = 0x10;
    public const ushort Code16 = 0x18;
    public const ushort Data16 = 0x20;

    /// <summary>null, flat 32-bit code and data (4 GiB), 16-bit code and data (64 KiB, base 0: real mode's limits, loaded before PE is cleared).</summary>
    public static readonly ulong[] Gdt =
    [
        0,
        0x00CF_9A00_0000_FFFF,
        0x00CF_9200_0000_FFFF,
        0x0000_9A00_0000_FFFF,
        0x0000_9200_0000_FFFF,
    ];

    public sealed record Entries(ulong Move, ulong EnterKernel);

    /// <summary>
    /// The 32-bit code at <paramref name="base"/>. Move (from <see cref="Code32"/>): ESI = source, EDI = destination, ECX =
    /// bytes; ESI = 0 zeroes instead of copying. It returns through a far jump to <paramref name="return16"/> in
    /// <see cref="Code16"/>. EnterKernel jumps to the 32-bit address at <paramref name="pvhEntryVariable"/> with ebx =
    /// <paramref name="startInfo"/>.
    /// </summary>
    public static (Assembled Code, Entries Entries) Emit(ulong @base, ulong return16, ushort pvhEntryVariable, uint startInfo)
    {
        var a = new Assembler(32);
        var move = a.CreateLabel();
        var fill = a.CreateLabel();
        var back = a.CreateLabel();
        var enterKernel = a.CreateLabel();

        a.Label(ref move);
        a.mov(ax, Data32);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.cld();
        a.mov(edx, ecx);
        a.shr(ecx, 2);
        a.test(esi, esi);
        a.jz(fill);
        a.rep.movsd();
        a.mov(ecx, edx);
        a.and(ecx, 3);
        a.rep.movsb();
        a.jmp(back);

        a.Label(ref fill);
        a.xor(eax, eax);
        a.rep.stosd();
        a.mov(ecx, edx);
        a.and(ecx, 3);
        a.rep.stosb();

        a.Label(ref back);
        a.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1632, Code16, checked((uint)return16)));

        a.Label(ref enterKernel);
        a.mov(ax, Data32);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(fs, ax);
        a.mov(gs, ax);
        a.mov(ss, ax);
        a.cld();
        a.mov(ebx, startInfo);
        a.mov(eax, __dword_ptr[pvhEntryVariable]);
        a.jmp(eax);

        var code = Assembled.At(a, @base);
        return (code, new Entries(code.AddressOf(move), code.AddressOf(enterKernel)));
    }
}
