using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// Small SysV-callable wrappers for instructions C# cannot express (port I/O, MSRs, control
/// registers, cpuid, hlt...). Arguments arrive in rdi, rsi, rdx; results leave in rax.
/// </summary>
public static class CpuHelpers
{
    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;

        e.Function("uk_outb", isGlobal: true, () => { a.mov(edx, edi); a.mov(eax, esi); a.@out(dx, al); a.ret(); });
        e.Function("uk_outw", isGlobal: true, () => { a.mov(edx, edi); a.mov(eax, esi); a.@out(dx, ax); a.ret(); });
        e.Function("uk_outl", isGlobal: true, () => { a.mov(edx, edi); a.mov(eax, esi); a.@out(dx, eax); a.ret(); });

        // The narrow reads zero rax first so the caller sees a clean zero-extended value.
        e.Function("uk_inb", isGlobal: true, () => { a.mov(edx, edi); a.xor(eax, eax); a.@in(al, dx); a.ret(); });
        e.Function("uk_inw", isGlobal: true, () => { a.mov(edx, edi); a.xor(eax, eax); a.@in(ax, dx); a.ret(); });
        e.Function("uk_inl", isGlobal: true, () => { a.mov(edx, edi); a.@in(eax, dx); a.ret(); });

        e.Function("uk_rdtsc", isGlobal: true, () =>
        {
            a.rdtsc();
            a.shl(rdx, 32);
            a.or(rax, rdx);
            a.ret();
        });

        e.Function("uk_rdmsr", isGlobal: true, () =>
        {
            a.mov(ecx, edi);
            a.rdmsr();
            a.shl(rdx, 32);
            a.or(rax, rdx);
            a.ret();
        });

        e.Function("uk_wrmsr", isGlobal: true, () =>
        {
            a.mov(ecx, edi);
            a.mov(eax, esi);
            a.mov(rdx, rsi);
            a.shr(rdx, 32);
            a.wrmsr();
            a.ret();
        });

        // uk_rdrand(ulong* value) / uk_rdseed(ulong* value) -> 1 with *value filled, or 0 when the
        // instruction kept reporting "no data" (CF = 0) after its retries: 10 for RDRAND (Intel's
        // recommendation: its DRBG only fails under extreme load), 64 with a pause in between for RDSEED
        // (it drains the entropy source and fails more readily). The caller checks CPUID first.
        EmitRandomHelper(e, "uk_rdrand", seed: false, retries: 10);
        EmitRandomHelper(e, "uk_rdseed", seed: true, retries: 64);

        e.Function("uk_read_cr0", isGlobal: true, () => { a.mov(rax, cr0); a.ret(); });
        e.Function("uk_read_cr2", isGlobal: true, () => { a.mov(rax, cr2); a.ret(); });
        e.Function("uk_read_cr3", isGlobal: true, () => { a.mov(rax, cr3); a.ret(); });
        e.Function("uk_read_cr4", isGlobal: true, () => { a.mov(rax, cr4); a.ret(); });
        e.Function("uk_write_cr3", isGlobal: true, () => { a.mov(cr3, rdi); a.ret(); });
        e.Function("uk_write_cr4", isGlobal: true, () => { a.mov(cr4, rdi); a.ret(); });
        e.Function("uk_invlpg", isGlobal: true, () => { a.invlpg(__[rdi]); a.ret(); });
        // SMAP's gate: with EFLAGS.AC set the kernel may touch user pages. `ret` keeps the flag, so the caller
        // carries it. Only for CPUs with SMAP (both instructions are #UD without it).
        e.Function("uk_stac", isGlobal: true, () => { a.stac(); a.ret(); });
        e.Function("uk_clac", isGlobal: true, () => { a.clac(); a.ret(); });

        // Leaf functions without a frame: rbp is still the caller's, and the caller's rsp is ours
        // plus the return address.
        e.Function("uk_read_rbp", isGlobal: true, () => { a.mov(rax, rbp); a.ret(); });
        e.Function("uk_read_rsp", isGlobal: true, () => { a.lea(rax, __[rsp + 8]); a.ret(); });

        e.Function("uk_cpuid", isGlobal: true, () =>
        {
            // rbx is callee-saved in SysV and cpuid overwrites it.
            a.push(rbx);
            a.mov(r8, rdx);
            a.mov(eax, edi);
            a.mov(ecx, esi);
            a.cpuid();
            a.mov(__dword_ptr[r8], eax);
            a.mov(__dword_ptr[r8 + 4], ebx);
            a.mov(__dword_ptr[r8 + 8], ecx);
            a.mov(__dword_ptr[r8 + 12], edx);
            a.pop(rbx);
            a.ret();
        });

        e.Function("uk_halt_forever", isGlobal: true, () =>
        {
            a.cli();
            a.hlt();
            a.jmp(e.LabelOf("uk_halt_forever"));
        });

        // sti only takes effect after the next instruction, so no interrupt can slip in between
        // sti and hlt and leave the CPU asleep with the wake-up already handled.
        e.Function("uk_wait_for_interrupt", isGlobal: true, () => { a.sti(); a.hlt(); a.cli(); a.ret(); });
        e.Function("uk_interrupts_enable", isGlobal: true, () => { a.sti(); a.ret(); });
        e.Function("uk_interrupts_disable", isGlobal: true, () => { a.cli(); a.ret(); });
        e.Function("uk_pause", isGlobal: true, () => { a.pause(); a.ret(); });
        // Stores before it are visible before loads after it: x86 may otherwise let a load pass an earlier
        // store, which virtio's event-index handshake (publish an index, then read the other side's) forbids.
        e.Function("uk_memory_fence", isGlobal: true, () => { a.mfence(); a.ret(); });
        e.Function("uk_lidt", isGlobal: true, () => { a.lidt(__[rdi]); a.ret(); });
        // uk_enter_user_mode(rip, rsp, arg): leave for ring 3 with a clean register file (nothing of the
        // kernel's leaks to the app) and arg in rdi. rflags = 0x2: interrupts stay off until the kernel
        // programs its interrupt controller.
        e.Function("uk_enter_user_mode", isGlobal: true, () =>
        {
            a.push(DescriptorTables.UserDataSelector | 3);
            a.push(rsi);
            a.push(0x2);
            a.push(DescriptorTables.UserCodeSelector | 3);
            a.push(rdi);
            a.mov(rdi, rdx);
            foreach (var r in new[] { rax, rbx, rcx, rdx, rsi, rbp, r8, r9, r10, r11, r12, r13, r14, r15 })
                a.xor(r, r);
            a.swapgs();   // ring 3 runs with the app's GS, the per-CPU block waits in KERNEL_GS_BASE
            a.iretq();
        });
        // uk_set_kernel_stack(top): the stack every entry from ring 3 on this CPU starts on (its TSS.RSP0 for
        // interrupts and exceptions, its per-CPU syscall slot for `syscall`).
        e.Function("uk_set_kernel_stack", isGlobal: true, () =>
        {
            a.mov(rax, __qword_ptr.gs[PerCpuLayout.TssAddress]);
            a.mov(__qword_ptr[rax + DescriptorTables.TssRsp0], rdi);
            a.mov(__qword_ptr.gs[PerCpuLayout.SyscallKernelStack], rdi);
            a.ret();
        });
        // The per-CPU block (gs:[0] is its own address) and this CPU's index, without rdmsr.
        e.Function("uk_percpu_block", isGlobal: true, () => { a.mov(rax, __qword_ptr.gs[PerCpuLayout.Self]); a.ret(); });
        e.Function("uk_percpu_index", isGlobal: true, () => { a.mov(eax, __dword_ptr.gs[PerCpuLayout.Index]); a.ret(); });
        // uk_kernel_lock_enter() -> 0 when this CPU now holds the kernel lock (taken, or once more: the depth counts),
        // else the owner's index + 1 (the caller spins and calls again). The fast path of Threads/KernelLock.
        e.Function("uk_kernel_lock_enter", isGlobal: true, () =>
        {
            var again = a.CreateLabel();
            var taken = a.CreateLabel();
            a.mov(ecx, __dword_ptr.gs[PerCpuLayout.Index]);
            a.inc(ecx);
            a.xor(eax, eax);
            a.AddInstruction(Iced.Intel.Instruction.Create(Iced.Intel.Code.Cmp_rm32_r32,
                new Iced.Intel.MemoryOperand(Iced.Intel.Register.RIP, (long)e.DataAddress(BootMemoryLayout.KernelLockWord)), Iced.Intel.Register.ECX));
            a.je(again);
            var cmpxchg = Iced.Intel.Instruction.Create(Iced.Intel.Code.Cmpxchg_rm32_r32,
                new Iced.Intel.MemoryOperand(Iced.Intel.Register.RIP, (long)e.DataAddress(BootMemoryLayout.KernelLockWord)), Iced.Intel.Register.ECX);
            cmpxchg.HasLockPrefix = true;
            a.AddInstruction(cmpxchg);
            a.jz(taken);
            a.ret();                                            // eax: the owner word
            a.Label(ref again);
            a.inc(__dword_ptr.gs[PerCpuLayout.LockDepth]);
            a.ret();                                            // eax = 0
            a.Label(ref taken);
            a.mov(__dword_ptr.gs[PerCpuLayout.LockDepth], 1);
            a.ret();                                            // eax = 0 (cmpxchg found it)
        });
        // The boot CPU's descriptor tables and the kernel lock's word, for the kernel to find.
        e.Function("uk_boot_tss_address", isGlobal: true, () => { e.LeaRipRelative(rax, e.DataAddress(BootMemoryLayout.Tss)); a.ret(); });
        e.Function("uk_boot_gdt_address", isGlobal: true, () => { e.LeaRipRelative(rax, e.DataAddress(BootMemoryLayout.Gdt)); a.ret(); });
        e.Function("uk_kernel_lock_word", isGlobal: true, () => { e.LeaRipRelative(rax, e.DataAddress(BootMemoryLayout.KernelLockWord)); a.ret(); });
        // uk_compare_exchange32(uint* word, uint expected, uint desired) -> the old value (lock cmpxchg).
        e.Function("uk_compare_exchange32", isGlobal: true, () =>
        {
            a.mov(eax, esi);
            a.@lock.cmpxchg(__dword_ptr[rdi], edx);
            a.ret();
        });
        // uk_idle_loop: a CPU with nothing to run (Threads/Scheduler's idle context, entered through a frame
        // with interrupts on): every wake-up is an interrupt, and the kernel entry decides what runs next.
        e.Function("uk_idle_loop_address", isGlobal: true, () => { a.lea(rax, __[e.LabelOf("uk_idle_loop")]); a.ret(); });
        e.Function("uk_idle_loop", isGlobal: true, () =>
        {
            a.sti();
            var again = a.CreateLabel();
            a.Label(ref again);
            a.hlt();
            a.jmp(again);   // interrupts stay on: an entry from here always ends in a fresh idle frame or a thread
        });
        // A trap that returns: exercises the whole interrupt entry and exit path (self-test).
        e.Function("uk_breakpoint", isGlobal: true, () => { a.int3(); a.ret(); });
        // The ret lets a self-test handler that skips the 2-byte ud2 return normally.
        e.Function("uk_trigger_invalid_opcode", isGlobal: true, () => { a.ud2(); a.ret(); });
    }

    private static void EmitRandomHelper(CodeEmitter e, string name, bool seed, int retries)
    {
        var a = e.Asm;
        e.Function(name, isGlobal: true, () =>
        {
            var retry = a.CreateLabel();
            var success = a.CreateLabel();
            a.mov(ecx, retries);
            a.Label(ref retry);
            if (seed) a.rdseed(rax); else a.rdrand(rax);
            a.jc(success);
            if (seed) a.pause();
            a.dec(ecx);
            a.jnz(retry);
            a.xor(eax, eax);
            a.ret();
            a.Label(ref success);
            a.mov(__qword_ptr[rdi], rax);
            a.mov(eax, 1);
            a.ret();
        });
    }
}
