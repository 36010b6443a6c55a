using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    // The machine instructions C# cannot express, as tiny functions in the boot stub (boot/CpuHelpers).
    // ILC calls them directly (--directpinvoke), with no marshalling, and SuppressGCTransition drops the
    // RhpPInvoke/RhpPInvokeReturn pair around each call: the kernel has no GC, so they are `ret` stubs,
    // but each call costs two more calls (under QEMU TCG, more code to translate on first use).
    internal static unsafe class Cpu
    {
        [DllImport("*", EntryPoint = "uk_outb"), SuppressGCTransition] public static extern void OutByte(ushort port, byte value);
        [DllImport("*", EntryPoint = "uk_outw"), SuppressGCTransition] public static extern void OutWord(ushort port, ushort value);
        [DllImport("*", EntryPoint = "uk_outl"), SuppressGCTransition] public static extern void OutDword(ushort port, uint value);
        [DllImport("*", EntryPoint = "uk_inb"), SuppressGCTransition] public static extern byte InByte(ushort port);
        [DllImport("*", EntryPoint = "uk_inw"), SuppressGCTransition] public static extern ushort InWord(ushort port);
        [DllImport("*", EntryPoint = "uk_inl"), SuppressGCTransition] public static extern uint InDword(ushort port);
        [DllImport("*", EntryPoint = "uk_rdtsc"), SuppressGCTransition] public static extern ulong ReadTimeStampCounter();
        [DllImport("*", EntryPoint = "uk_rdmsr"), SuppressGCTransition] public static extern ulong ReadMsr(uint msr);
        [DllImport("*", EntryPoint = "uk_wrmsr"), SuppressGCTransition] public static extern void WriteMsr(uint msr, ulong value);
        [DllImport("*", EntryPoint = "uk_read_cr0"), SuppressGCTransition] public static extern ulong ReadCr0();
        [DllImport("*", EntryPoint = "uk_read_cr2"), SuppressGCTransition] public static extern ulong ReadCr2();
        [DllImport("*", EntryPoint = "uk_read_cr3"), SuppressGCTransition] public static extern ulong ReadCr3();
        [DllImport("*", EntryPoint = "uk_read_cr4"), SuppressGCTransition] public static extern ulong ReadCr4();
        [DllImport("*", EntryPoint = "uk_write_cr3"), SuppressGCTransition] public static extern void WriteCr3(ulong value);
        [DllImport("*", EntryPoint = "uk_write_cr4"), SuppressGCTransition] public static extern void WriteCr4(ulong value);
        [DllImport("*", EntryPoint = "uk_invlpg"), SuppressGCTransition] public static extern void InvalidatePage(ulong address);
        /// <summary>STAC / CLAC: open and close SMAP's window on user pages. Use UserAccess, which knows whether the CPU has them.</summary>
        [DllImport("*", EntryPoint = "uk_stac"), SuppressGCTransition] public static extern void SetAlignmentCheck();
        [DllImport("*", EntryPoint = "uk_clac"), SuppressGCTransition] public static extern void ClearAlignmentCheck();
        [DllImport("*", EntryPoint = "uk_read_rbp"), SuppressGCTransition] public static extern ulong ReadFramePointer();
        [DllImport("*", EntryPoint = "uk_read_rsp"), SuppressGCTransition] public static extern ulong ReadStackPointer();
        /// <summary>RDRAND / RDSEED, retried a few times: 1 with *value filled, or 0 (docs/boot-abi.md). Check CPUID first.</summary>
        [DllImport("*", EntryPoint = "uk_rdrand"), SuppressGCTransition] public static extern int ReadRandom(ulong* value);
        [DllImport("*", EntryPoint = "uk_rdseed"), SuppressGCTransition] public static extern int ReadRandomSeed(ulong* value);
        [DllImport("*", EntryPoint = "uk_cpuid"), SuppressGCTransition] public static extern void CpuId(uint leaf, uint subleaf, uint* registers);
        [DllImport("*", EntryPoint = "uk_halt_forever"), SuppressGCTransition] public static extern void HaltForever();
        [DllImport("*", EntryPoint = "uk_wait_for_interrupt"), SuppressGCTransition] public static extern void WaitForInterrupt();
        [DllImport("*", EntryPoint = "uk_interrupts_enable"), SuppressGCTransition] public static extern void EnableInterrupts();
        [DllImport("*", EntryPoint = "uk_interrupts_disable"), SuppressGCTransition] public static extern void DisableInterrupts();
        [DllImport("*", EntryPoint = "uk_pause"), SuppressGCTransition] public static extern void Pause();
        [DllImport("*", EntryPoint = "uk_memory_fence"), SuppressGCTransition] public static extern void MemoryFence();
        [DllImport("*", EntryPoint = "uk_lidt"), SuppressGCTransition] public static extern void LoadInterruptDescriptorTable(void* descriptor);
        [DllImport("*", EntryPoint = "uk_breakpoint"), SuppressGCTransition] public static extern void Breakpoint();
        [DllImport("*", EntryPoint = "uk_enter_user_mode"), SuppressGCTransition] public static extern void EnterUserMode(ulong rip, ulong rsp, ulong argument);
        [DllImport("*", EntryPoint = "uk_xsave"), SuppressGCTransition] public static extern void SaveExtendedState(void* area, ulong components);
        [DllImport("*", EntryPoint = "uk_xrstor"), SuppressGCTransition] public static extern void RestoreExtendedState(void* area, ulong components);
        [DllImport("*", EntryPoint = "uk_resume_frame"), SuppressGCTransition] public static extern void ResumeFrame(InterruptFrame* frame);
        [DllImport("*", EntryPoint = "uk_set_kernel_stack"), SuppressGCTransition] public static extern void SetKernelStack(ulong top);
        [DllImport("*", EntryPoint = "uk_trigger_invalid_opcode"), SuppressGCTransition] public static extern void TriggerInvalidOpcode();
    }
}
