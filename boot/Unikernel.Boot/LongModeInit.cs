using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Boot.BootMemoryLayout;
using static Unikernel.Boot.ControlRegisters;
using static Unikernel.Boot.DescriptorTables;

namespace Unikernel.Boot;

/// <summary>
/// The 64-bit part of the boot path, reached by the far jump from <see cref="PvhEntry"/>: segments,
/// stack, SSE/XSAVE, TSS, IDT, stack-protector cookie, then <c>uk_kernel_main</c>. Each step is its
/// own local function symbol so that a fault during boot names the step.
/// </summary>
public static class LongModeInit
{
    public const string EntrySymbol = "uk_boot_long_mode_entry";
    public const string EnableSseSymbol = "uk_boot_enable_sse";
    public const string LoadTssSymbol = "uk_boot_load_tss";
    public const string LoadIdtSymbol = "uk_boot_load_idt";
    public const string EnableSyscallSymbol = "uk_boot_enable_syscall";
    public const string CallKernelSymbol = "uk_boot_call_kernel";

    private const uint MsrEfer = 0xC000_0080, MsrStar = 0xC000_0081, MsrLstar = 0xC000_0082, MsrFmask = 0xC000_0084;
    private const int EferSyscallEnable = 1 << 0;
    public const string KernelMain = "uk_kernel_main";

    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;

        e.Function(EntrySymbol, isGlobal: false, () =>
        {
            a.mov(eax, (uint)KernelDataSelector);
            a.mov(ds, eax);
            a.mov(es, eax);
            a.mov(ss, eax);
            // fs/gs bases belong to the kernel (per-CPU data later); their selectors stay null.
            a.xor(eax, eax);
            a.mov(fs, eax);
            a.mov(gs, eax);
            e.LeaRipRelative(rsp, e.BssAddress(BootStackTop));
        });

        e.Function(EnableSseSymbol, isGlobal: false, () =>
        {
            a.mov(rax, cr0);
            a.and(rax, ~(int)(Cr0Emulation | Cr0TaskSwitched));
            a.or(rax, (int)Cr0MonitorCoprocessor);
            a.mov(cr0, rax);
            a.mov(rax, cr4);
            a.or(rax, (int)(Cr4OsFxsr | Cr4OsXmmExcpt));
            a.mov(cr4, rax);

            // r12 carries the XCR0 value (0 = no XSAVE) to uk_boot_info.
            var storeXcr0 = a.CreateLabel();
            var writeXcr0 = a.CreateLabel();
            a.xor(r12d, r12d);
            a.mov(eax, 1);
            a.xor(ecx, ecx);
            a.cpuid();
            a.bt(ecx, CpuidXsaveBit);
            a.jnc(storeXcr0);
            a.mov(rax, cr4);
            a.or(rax, (int)Cr4OsXsave);
            a.mov(cr4, rax);
            a.mov(r12d, Xcr0X87 | Xcr0Sse);
            a.bt(ecx, CpuidAvxBit);
            a.jnc(writeXcr0);
            a.or(r12d, (int)Xcr0Avx);
            a.Label(ref writeXcr0);
            a.xor(ecx, ecx);
            a.mov(eax, r12d);
            a.xor(edx, edx);
            a.xsetbv();
            a.Label(ref storeXcr0);
            e.LeaRipRelative(rax, e.BootInfoAddress(BootInfoLayout.Xcr0));
            a.mov(__qword_ptr[rax], r12);
            a.fninit();
        });

        e.Function(LoadTssSymbol, isGlobal: false, () =>
        {
            e.LeaRipRelative(rdi, e.DataAddress(Tss));
            foreach (var (field, stackTop) in new[]
                     {
                         (TssRsp0, BootStackTop),
                         (TssIst1, DoubleFaultStackTop),
                         (TssIst2, NmiStackTop),
                         (TssIst3, MachineCheckStackTop),
                     })
            {
                e.LeaRipRelative(rax, e.BssAddress(stackTop));
                a.mov(__qword_ptr[rdi + field], rax);
            }

            // The 16-byte TSS descriptor scatters the base over bits 16..39 and 56..63 of the first
            // quadword and bits 0..31 of the second: rax = base, rdx = first quadword.
            e.LeaRipRelative(rsi, e.DataAddress(Gdt + TssSelector));
            a.mov(rax, rdi);
            a.mov(edx, eax);
            a.and(edx, 0x00FF_FFFF);
            a.shl(rdx, 16);
            a.or(rdx, TssSize - 1);
            a.mov(rcx, (ulong)TssDescriptorAccess << 40);
            a.or(rdx, rcx);
            a.mov(rcx, rax);
            a.shr(rcx, 24);
            a.and(ecx, 0xFF);
            a.shl(rcx, 56);
            a.or(rdx, rcx);
            a.mov(__qword_ptr[rsi], rdx);
            a.mov(rcx, rax);
            a.shr(rcx, 32);
            a.mov(__qword_ptr[rsi + 8], rcx);
            a.mov(eax, (uint)TssSelector);
            a.ltr(eax);
        });

        e.Function(LoadIdtSymbol, isGlobal: false, () =>
        {
            // Gate v points at uk_isr_stubs + 16 * v. The handler offset is split like the TSS base:
            // bits 0..15 and 16..31 of the first quadword, 32..63 in the second.
            var gateLoop = a.CreateLabel();
            e.LeaRipRelative(rdi, e.BssAddress(Idt));
            a.lea(rsi, __[e.LabelOf(InterruptStubs.StubsSymbol)]);
            a.mov(ecx, IdtVectors);
            a.Label(ref gateLoop);
            a.mov(rax, rsi);
            a.movzx(edx, ax);
            a.or(edx, KernelCodeSelector << 16);
            a.mov(r8, (ulong)InterruptGateAccess << 40);
            a.or(rdx, r8);
            a.mov(r8, rax);
            a.shr(r8, 16);
            a.movzx(r8d, r8w);
            a.shl(r8, 48);
            a.or(rdx, r8);
            a.mov(__qword_ptr[rdi], rdx);
            a.shr(rax, 32);
            a.mov(__qword_ptr[rdi + 8], rax);
            a.add(rdi, IdtGateSize);
            a.add(rsi, InterruptStubs.StubSize);
            a.dec(ecx);
            a.jnz(gateLoop);

            e.LeaRipRelative(rdi, e.BssAddress(Idt));
            foreach (var (vector, ist) in IstAssignments)
                a.mov(__byte_ptr[rdi + (vector * IdtGateSize + GateIstByte)], (byte)ist);
            foreach (int vector in UserCallableVectors)
                a.mov(__byte_ptr[rdi + (vector * IdtGateSize + GateAccessByte)], UserInterruptGateAccess);

            e.LeaRipRelative(rax, e.DataAddress(IdtPointer));
            a.lidt(__[rax]);
        });

        e.Function(EnableSyscallSymbol, isGlobal: false, () =>
        {
            // The app enters the kernel with `syscall` (the Linux x86-64 ABI): enable it, land in
            // uk_syscall_entry with the kernel's selectors (STAR[47:32] = kernel CS, SS = CS + 8;
            // STAR[63:48] = the base sysret would use: SS = base + 8, CS = base + 16, RPL 3), and let it
            // start with interrupts off and DF clear.
            a.mov(ecx, MsrEfer);
            a.rdmsr();
            a.or(eax, EferSyscallEnable);
            a.wrmsr();
            a.mov(ecx, MsrStar);
            a.xor(eax, eax);
            a.mov(edx, (uint)(KernelCodeSelector | (KernelDataSelector << 16)));
            a.wrmsr();
            a.mov(ecx, MsrLstar);
            a.lea(rax, __[e.LabelOf(SyscallEntry.Symbol)]);
            a.mov(rdx, rax);
            a.shr(rdx, 32);
            a.wrmsr();
            a.mov(ecx, MsrFmask);
            a.mov(eax, SyscallEntry.FlagsMask);
            a.xor(edx, edx);
            a.wrmsr();
            // The syscall entry's stack slots are per CPU (PerCpuLayout): the kernel sets GS_BASE up before
            // anything enters from ring 3.
        });

        e.Function(CallKernelSymbol, isGlobal: false, () =>
        {
            // The cookie's fixed starting value would be known to an attacker; the TSC is not.
            a.rdtsc();
            a.shl(rdx, 32);
            a.or(rax, rdx);
            e.LeaRipRelative(rcx, e.DataAddress(SecurityCookie));
            a.xor(__qword_ptr[rcx], rax);

            e.LeaRipRelative(rdi, e.DataAddress(BootInfo));
            e.CallExternal(KernelMain);
            var hang = a.CreateLabel();
            a.Label(ref hang);
            a.cli();
            a.hlt();
            a.jmp(hang);
        });
    }
}
