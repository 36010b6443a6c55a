using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    /// <summary>
    /// One CPU's block, reached through GS while the kernel runs. The boot stub's entry and exit code reads the
    /// first fields at fixed offsets (boot/Unikernel.Boot/BootMemoryLayout.cs, PerCpuLayout; docs/boot-abi.md):
    /// keep the two in step.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct PerCpuBlock
    {
        public PerCpuBlock* Self;           // 0
        public ulong SyscallKernelStack;    // 8
        public ulong SyscallUserStack;      // 16
        public ulong TssAddress;            // 24
        public ulong GdtAddress;            // 32
        public int Index;                   // 40
        public uint ApicId;                 // 44
        public int LockDepth;               // 48: how deep this CPU holds the kernel lock (Threads/KernelLock)
        public int Online;                  // 52
        public ulong Current;               // 56: Scheduler.Current (the Thread's address; the kernel has no GC to move it)
        // The kernel's own per-CPU state from here on (the boot stub reads only the fields above): Threads/Scheduler.
        public ulong LastSwitch;            // monotonic ns of the last switch (CPU time accounting)
        public ulong KernelEntry;           // monotonic ns of the current entry from ring 3; 0: none
        public ulong DeadToFree;            // a dead thread (address) whose kernel stack this CPU still stood on
        public ulong IdleFrame;             // the idle context's frame; 0: not built yet
        public int SwitchRequested;         // the time slice is over or the thread yielded
        public int Padding;
    }
}
