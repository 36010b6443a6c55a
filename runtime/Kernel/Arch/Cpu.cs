using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    // The machine instructions C# cannot express, as tiny functions in the boot stub (boot/CpuHelpers).
    // ILC calls them directly (--directpinvoke), with no marshalling.
    internal static unsafe class Cpu
    {
        [DllImport("*", EntryPoint = "uk_outb")] public static extern void OutByte(ushort port, byte value);
        [DllImport("*", EntryPoint = "uk_outw")] public static extern void OutWord(ushort port, ushort value);
        [DllImport("*", EntryPoint = "uk_outl")] public static extern void OutDword(ushort port, uint value);
        [DllImport("*", EntryPoint = "uk_inb")] public static extern byte InByte(ushort port);
        [DllImport("*", EntryPoint = "uk_inw")] public static extern ushort InWord(ushort port);
        [DllImport("*", EntryPoint = "uk_inl")] public static extern uint InDword(ushort port);
        [DllImport("*", EntryPoint = "uk_rdtsc")] public static extern ulong ReadTimeStampCounter();
        [DllImport("*", EntryPoint = "uk_rdmsr")] public static extern ulong ReadMsr(uint msr);
        [DllImport("*", EntryPoint = "uk_wrmsr")] public static extern void WriteMsr(uint msr, ulong value);
        [DllImport("*", EntryPoint = "uk_read_cr0")] public static extern ulong ReadCr0();
        [DllImport("*", EntryPoint = "uk_read_cr2")] public static extern ulong ReadCr2();
        [DllImport("*", EntryPoint = "uk_read_cr3")] public static extern ulong ReadCr3();
        [DllImport("*", EntryPoint = "uk_read_cr4")] public static extern ulong ReadCr4();
        [DllImport("*", EntryPoint = "uk_write_cr3")] public static extern void WriteCr3(ulong value);
        [DllImport("*", EntryPoint = "uk_invlpg")] public static extern void InvalidatePage(ulong address);
        [DllImport("*", EntryPoint = "uk_read_rbp")] public static extern ulong ReadFramePointer();
        [DllImport("*", EntryPoint = "uk_read_rsp")] public static extern ulong ReadStackPointer();
        [DllImport("*", EntryPoint = "uk_cpuid")] public static extern void CpuId(uint leaf, uint subleaf, uint* registers);
        [DllImport("*", EntryPoint = "uk_halt_forever")] public static extern void HaltForever();
        [DllImport("*", EntryPoint = "uk_wait_for_interrupt")] public static extern void WaitForInterrupt();
        [DllImport("*", EntryPoint = "uk_interrupts_enable")] public static extern void EnableInterrupts();
        [DllImport("*", EntryPoint = "uk_interrupts_disable")] public static extern void DisableInterrupts();
        [DllImport("*", EntryPoint = "uk_pause")] public static extern void Pause();
        [DllImport("*", EntryPoint = "uk_lidt")] public static extern void LoadInterruptDescriptorTable(void* descriptor);
        [DllImport("*", EntryPoint = "uk_breakpoint")] public static extern void Breakpoint();
        [DllImport("*", EntryPoint = "uk_enter_user_mode")] public static extern void EnterUserMode(ulong rip, ulong rsp, ulong argument);
        [DllImport("*", EntryPoint = "uk_xsave")] public static extern void SaveExtendedState(void* area, ulong components);
        [DllImport("*", EntryPoint = "uk_xrstor")] public static extern void RestoreExtendedState(void* area, ulong components);
        [DllImport("*", EntryPoint = "uk_resume_frame")] public static extern void ResumeFrame(InterruptFrame* frame);
        [DllImport("*", EntryPoint = "uk_set_kernel_stack")] public static extern void SetKernelStack(ulong top);
        [DllImport("*", EntryPoint = "uk_trigger_invalid_opcode")] public static extern void TriggerInvalidOpcode();
    }
}
