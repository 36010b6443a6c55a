using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Boot.DescriptorTables;

namespace Unikernel.Boot;

/// <summary>
/// The `syscall` instruction's landing point (MSR LSTAR). It turns a system call into the same frame an
/// interrupt from ring 3 produces -- user ss, rsp, rflags, cs, rip, then error code 0 and the pseudo
/// vector 256 -- and continues in uk_isr_common's register save (uk_isr_save), so the kernel sees one frame layout for every entry
/// from the app (and can edit it, e.g. for signal delivery or a thread switch, and return with iretq).
/// On entry rcx = user rip, r11 = user rflags, rsp is still the user's stack and interrupts are off
/// (FMASK clears IF). swapgs makes GS this CPU's per-CPU block (PerCpuLayout), whose two slots carry the
/// stack switch; the common exit swaps back before iretq to ring 3.
/// </summary>
public static class SyscallEntry
{
    public const string Symbol = "uk_syscall_entry";
    public const int SyscallVector = 256;

    /// <summary>The flags `syscall` clears in rflags: TF, DF, IF, IOPL, AC, NT (as Linux does).</summary>
    public const uint FlagsMask = 0x47700;

    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;
        e.Function(Symbol, isGlobal: true, () =>
        {
            a.swapgs();
            a.mov(__qword_ptr.gs[PerCpuLayout.SyscallUserStack], rsp);
            a.mov(rsp, __qword_ptr.gs[PerCpuLayout.SyscallKernelStack]);
            a.push(UserDataSelector | 3);
            a.push(__qword_ptr.gs[PerCpuLayout.SyscallUserStack]);
            a.push(r11);
            a.push(UserCodeSelector | 3);
            a.push(rcx);
            a.push(0);                      // error code
            a.push(SyscallVector);          // push imm32: 256 does not fit the sign-extended imm8 form
            a.jmp(e.LabelOf(InterruptStubs.SaveSymbol));   // past the common entry's swapgs
        });
    }
}
