using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Loaders.Uefi;

/// <summary>
/// The loader's last code, copied into the transfer block (<see cref="HandoffLayout"/>) and entered by a far return
/// into its 32-bit code segment, i.e. in compatibility mode, with ebp = the block's address and interrupts off.
/// It leaves long mode as the Intel SDM (vol. 3, 10.8.5.4) prescribes -- paging off (which clears EFER.LMA), then
/// EFER.LME off -- because the image is about to overwrite memory that may hold the firmware's page tables; then, in
/// 32-bit protected mode with paging off, it copies each PT_LOAD to its physical address, zeroes the rest of its
/// memory size, and jumps to the PVH entry with ebx = the hvm_start_info. It uses no stack and no absolute address of
/// its own (everything is ebp-relative), so it runs wherever the block is.
/// </summary>
internal static class ProtectedModeTrampoline
{
    private const uint EferMsr = 0xC000_0080;
    private const uint EferLongModeEnable = 1 << 8;

    public static byte[] Assemble()
    {
        var a = new Assembler(32);
        a.mov(eax, (uint)HandoffLayout.DataSelector);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(fs, ax);
        a.mov(gs, ax);

        a.mov(eax, cr0);
        a.and(eax, 0x7FFF_FFFF);                       // CR0.PG
        a.mov(cr0, eax);
        a.mov(ecx, EferMsr);
        a.rdmsr();
        a.and(eax, ~EferLongModeEnable);
        a.wrmsr();
        a.xor(eax, eax);                               // CR4: PAE and the rest off; the kernel's entry sets what it needs
        a.mov(cr4, eax);

        a.cld();
        a.mov(edx, __dword_ptr[ebp + HandoffLayout.CopyCount]);
        a.lea(ebx, __[ebp + HandoffLayout.Copies]);
        var next = a.CreateLabel();
        var done = a.CreateLabel();
        a.Label(ref next);
        a.test(edx, edx);
        a.jz(done);
        a.mov(edi, __dword_ptr[ebx]);
        a.mov(esi, __dword_ptr[ebx + 4]);
        a.mov(ecx, __dword_ptr[ebx + 8]);
        a.mov(eax, ecx);
        a.shr(ecx, 2);
        a.rep.movsd();
        a.mov(ecx, eax);
        a.and(ecx, 3);
        a.rep.movsb();
        a.mov(esi, __dword_ptr[ebx + 12]);
        a.mov(ecx, esi);
        a.shr(ecx, 2);
        a.xor(eax, eax);
        a.rep.stosd();
        a.mov(ecx, esi);
        a.and(ecx, 3);
        a.rep.stosb();
        a.add(ebx, HandoffLayout.CopyBytes);
        a.dec(edx);
        a.jmp(next);

        a.Label(ref done);
        a.mov(eax, __dword_ptr[ebp + HandoffLayout.EntryAddress]);
        a.mov(ebx, __dword_ptr[ebp + HandoffLayout.StartInfoAddress]);
        a.jmp(eax);

        var writer = new CodeWriterBuffer();
        a.Assemble(writer, 0);
        return writer.ToArray();
    }
}

/// <summary>Collects what Iced's assembler writes.</summary>
internal sealed class CodeWriterBuffer : CodeWriter
{
    private readonly List<byte> _bytes = [];
    public override void WriteByte(byte value) => _bytes.Add(value);
    public byte[] ToArray() => [.. _bytes];
}
