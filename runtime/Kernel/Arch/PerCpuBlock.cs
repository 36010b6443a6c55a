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
        public ulong Reserved;              // 56: the block is 64 bytes, one cache line
    }
}
