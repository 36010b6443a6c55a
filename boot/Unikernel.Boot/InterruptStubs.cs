using System.Buffers.Binary;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// The 256 vector entry stubs and the common interrupt entry. Every stub leaves the same frame shape
/// (error code, vector) so that <c>uk_isr_common</c> builds one <c>InterruptFrame</c> layout for all
/// vectors.
/// </summary>
public static class InterruptStubs
{
    public const string StubsSymbol = "uk_isr_stubs";
    public const string CommonSymbol = "uk_isr_common";
    public const string Handler = "uk_interrupt";
    public const string ResumeSymbol = "uk_resume_frame";
    /// <summary>Where the common entry saves the registers, GS already the kernel's (uk_syscall_entry's target).</summary>
    public const string SaveSymbol = "uk_isr_save";
    /// <summary>The common entry's way for an entry from ring 0: NMI, #DF and #MC decide GS by GS_BASE, then the save.</summary>
    public const string KernelEntrySymbol = "uk_isr_kernel";
    public const int StubSize = 16;
    public const int FxSaveAreaSize = 512;

    /// <summary>Push order of the general-purpose registers; r15 ends up at the lowest address,
    /// right above the FXSAVE area, as <c>InterruptFrame</c> expects.</summary>
    public static readonly string[] SavedRegisterOrder =
        { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

    private const byte Int3 = 0xCC;
    private const int PushImm8Size = 2;
    private const int PushImm32Size = 5;
    private const int JmpRel32Size = 5;

    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;

        e.Function(StubsSymbol, isGlobal: true, () =>
        {
            for (int vector = 0; vector < DescriptorTables.IdtVectors; vector++)
            {
                int stubStart = vector * StubSize;
                int size = 0;
                if (!DescriptorTables.CpuPushesErrorCode(vector))
                {
                    a.push(0);
                    size += PushImm8Size;
                }
                // push imm8 sign-extends, so vectors >= 128 need the imm32 form (Iced picks it).
                a.push(vector);
                size += vector < 128 ? PushImm8Size : PushImm32Size;

                // uk_isr_common directly follows the stubs (checked in BootStub). The jump is written
                // as rel32 by hand because Iced would shorten the last stubs' jumps to rel8 and break
                // the fixed stub size.
                int jumpEnd = stubStart + size + JmpRel32Size;
                int rel32 = DescriptorTables.IdtVectors * StubSize - jumpEnd;
                var jump = new byte[JmpRel32Size];
                jump[0] = 0xE9;
                BinaryPrimitives.WriteInt32LittleEndian(jump.AsSpan(1), rel32);
                a.db(jump);
                size += JmpRel32Size;

                for (; size < StubSize; size++)
                    a.db(Int3);
            }
        });

        // GS becomes this CPU's per-CPU block for the kernel: swapgs when the entry came from ring 3 (the saved
        // cs, above vector, error code and rip). uk_syscall_entry swaps itself and continues at SaveSymbol. An
        // entry from ring 0 keeps GS, except for the few vectors KernelEntrySymbol looks at first: the common
        // path from ring 3 (every system call, fault and interrupt of the app) pays no test for them.
        e.Function(CommonSymbol, isGlobal: true, () =>
        {
            a.test(__byte_ptr[rsp + 24], 3);
            a.jz(e.LabelOf(KernelEntrySymbol));
            a.swapgs();
        });

        e.Function(SaveSymbol, isGlobal: true, () =>
        {
            a.push(rax);
            a.push(rbx);
            a.push(rcx);
            a.push(rdx);
            a.push(rsi);
            a.push(rdi);
            a.push(rbp);
            a.push(r8);
            a.push(r9);
            a.push(r10);
            a.push(r11);
            a.push(r12);
            a.push(r13);
            a.push(r14);
            a.push(r15);
            // The CPU aligned rsp to 16 before its 5-quadword frame; with error code, vector and 15
            // registers (22 quadwords in all) rsp is 16-byte aligned here, as fxsave64 and the SysV
            // call require.
            a.sub(rsp, FxSaveAreaSize);
            a.fxsave64(__[rsp]);
            a.cld();
            a.mov(rdi, rsp);
            e.CallExternal(Handler);
            // The handler returns the frame to resume (this one, or another thread's); the restore path
            // below is also the scheduler's way into a thread that has never run.
            a.mov(rdi, rax);
        });

        // uk_resume_frame(frame): falls straight through from uk_isr_common. Switching threads is just
        // loading rsp with the other thread's frame, which sits at the top of that thread's kernel stack.
        e.Function(ResumeSymbol, isGlobal: true, () =>
        {
            a.mov(rsp, rdi);
            // Only now, standing on the resumed frame, may another CPU take the kernel lock (and resume the
            // thread whose kernel stack this CPU just left). Depth 0: this entry never took it (TLB shootdown).
            var keep = a.CreateLabel();
            a.cmp(__dword_ptr.gs[PerCpuLayout.LockDepth], 0);
            a.je(keep);
            a.dec(__dword_ptr.gs[PerCpuLayout.LockDepth]);
            a.jnz(keep);
            a.AddInstruction(Iced.Intel.Instruction.Create(Iced.Intel.Code.Mov_rm32_imm32,
                new Iced.Intel.MemoryOperand(Iced.Intel.Register.RIP, (long)e.DataAddress(BootMemoryLayout.KernelLockWord)), 0));
            a.Label(ref keep);
            a.fxrstor64(__[rsp]);
            a.add(rsp, FxSaveAreaSize);
            a.pop(r15);
            a.pop(r14);
            a.pop(r13);
            a.pop(r12);
            a.pop(r11);
            a.pop(r10);
            a.pop(r9);
            a.pop(r8);
            a.pop(rbp);
            a.pop(rdi);
            a.pop(rsi);
            a.pop(rdx);
            a.pop(rcx);
            a.pop(rbx);
            a.pop(rax);
            a.add(rsp, 16); // vector and error code
            var toKernel = a.CreateLabel();
            a.test(__byte_ptr[rsp + SavedCsOffset], 3);
            a.jz(toKernel);
            a.swapgs();
            a.Label(ref toKernel);
            a.iretq();
        });

        e.Function(KernelEntrySymbol, isGlobal: true, () => EmitParanoidSwapGs(e));
    }

    /// <summary>Where the interrupted cs lies once iretq's frame is on top (rip below it).</summary>
    private const int SavedCsOffset = 8;
    /// <summary>The vectors that arrive on an IST stack whatever the CPU was doing, even between a swapgs and
    /// the instruction after it (NMI, #DF, #MC): for them the saved cs does not tell whose GS is loaded.</summary>
    private static readonly int[] ParanoidVectors = { 2, 8, 18 };
    private const uint GsBaseMsr = 0xC000_0101;

    // An NMI, #DF or #MC in ring 0 may have hit the syscall entry's first instruction or the exit's last two
    // (the app's GS loaded in ring 0), so for them GS_BASE itself decides: the kernel's blocks all lie in the
    // upper half. Those three are fatal in ring 0 (the kernel reports and stops), so their exit never swaps back.
    // Entered with the vector on top of the stack and nothing saved yet: rax, rcx and rdx (rdmsr's) are kept around
    // the check, then the common save runs as for any entry.
    private static void EmitParanoidSwapGs(CodeEmitter e)
    {
        var a = e.Asm;
        var check = a.CreateLabel();
        var keep = a.CreateLabel();
        foreach (int vector in ParanoidVectors)
        {
            a.cmp(__qword_ptr[rsp], vector);
            a.je(check);
        }
        a.jmp(e.LabelOf(SaveSymbol));
        a.Label(ref check);
        a.push(rax);
        a.push(rcx);
        a.push(rdx);
        a.mov(ecx, GsBaseMsr);
        a.rdmsr();
        a.test(edx, edx);
        a.js(keep);                  // the kernel's block already
        a.swapgs();
        a.Label(ref keep);
        a.pop(rdx);
        a.pop(rcx);
        a.pop(rax);
        a.jmp(e.LabelOf(SaveSymbol));
    }
}
