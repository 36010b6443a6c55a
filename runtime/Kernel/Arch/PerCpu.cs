using System.Runtime.InteropServices;
using Kernel.Memory;

namespace Kernel.Arch
{
    // Per-CPU data. While the kernel runs, GS_BASE points at this CPU's PerCpuBlock (gs:[0] is the block's own
    // address) and KERNEL_GS_BASE holds the app's GS; every entry from ring 3 and every return to it is a swapgs
    // (boot/InterruptStubs, SyscallEntry). Kernel state that is "this CPU's" (Scheduler.Current, the idle
    // context, ...) lives in arrays indexed by PerCpu.Index. The boot CPU is index 0; its block is a static,
    // installed before anything can enter the kernel, so that an early fault already finds a valid GS.
    // Blocks lie in the upper half (the direct map): the entry code of NMI, #DF and #MC tells the kernel's GS
    // from the app's by the sign of GS_BASE.
    internal static unsafe class PerCpu
    {
        public const int MaxCpus = 64;
        private const uint GsBaseMsr = 0xC000_0101;

        // A runtime import, not a P/Invoke: ILC puts a GC-poll test after every P/Invoke, and this is called on every
        // kernel entry (Scheduler.Current, Leave). The helper is one load and ret and touches no other register.
        [System.Runtime.RuntimeImport("*", "uk_percpu_block")]
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.InternalCall)]
        private static extern PerCpuBlock* ReadBlock();
        [DllImport("*", EntryPoint = "uk_percpu_index"), SuppressGCTransition] private static extern int ReadIndex();
        [DllImport("*", EntryPoint = "uk_boot_tss_address"), SuppressGCTransition] public static extern ulong BootTssAddress();
        [DllImport("*", EntryPoint = "uk_boot_gdt_address"), SuppressGCTransition] public static extern ulong BootGdtAddress();

        private struct BlockTable { public fixed ulong Addresses[MaxCpus]; }

        private static PerCpuBlock s_bootCpu;
        private static PerCpuBlock s_startingCpu;
        private static BlockTable s_blocks;
        private static int s_count;

        /// <summary>CPUs online (the boot CPU counts from InstallBootCpu on).</summary>
        public static int Count => s_count;

        /// <summary>This CPU's index: 0 for the boot CPU, 1.. for the others in the order they were started.</summary>
        public static int Index => ReadIndex();

        /// <summary>This CPU's block.</summary>
        public static PerCpuBlock* This => ReadBlock();

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static PerCpuBlock* Block(int index) => (PerCpuBlock*)s_blocks.Addresses[index];

        public static uint ApicIdOf(int index) => Block(index) == null ? 0 : Block(index)->ApicId;

        public static bool IsOnline(int index) => index >= 0 && index < MaxCpus && Block(index) != null && Block(index)->Online != 0;

        /// <summary>The boot CPU's block, as the kernel's first act: from here on GS is valid in the kernel.</summary>
        public static void InstallBootCpu()
        {
            PerCpuBlock* block;
            fixed (PerCpuBlock* p = &s_bootCpu) block = (PerCpuBlock*)MemoryLayout.ToDirectMap((ulong)p);
            block->Self = block;
            block->TssAddress = BootTssAddress();
            block->GdtAddress = BootGdtAddress();
            block->Online = 1;
            s_blocks.Addresses[0] = (ulong)block;
            s_count = 1;
            Cpu.WriteMsr(GsBaseMsr, (ulong)block);
        }

        /// <summary>
        /// Makes GS this CPU's block, allocated here (index 0 reuses the boot CPU's static one), and records the
        /// TSS whose RSP0 uk_set_kernel_stack writes from now on. Run by each CPU itself, before it can take an
        /// interrupt or enter ring 3. False: out of memory.
        /// </summary>
        public static bool InitializeThisCpu(int index, uint apicId, ulong tssAddress, ulong gdtAddress)
        {
            if (index < 0 || index >= MaxCpus) return false;
            PerCpuBlock* block = Block(index);
            if (block == null)
            {
                // The allocation below is kernel code, which reads GS (the lock checks): until its own block exists
                // the CPU borrows a static one. CPUs come up one at a time, so one is enough; it is not online.
                PerCpuBlock* starting;
                fixed (PerCpuBlock* p = &s_startingCpu) starting = (PerCpuBlock*)MemoryLayout.ToDirectMap((ulong)p);
                starting->Self = starting;
                starting->Index = index;
                starting->TssAddress = tssAddress;
                Cpu.WriteMsr(GsBaseMsr, (ulong)starting);
                block = (PerCpuBlock*)KernelMemory.AllocateZeroed((nuint)sizeof(PerCpuBlock));
                if (block == null) return false;
                if (!MemoryLayout.IsInDirectMap((ulong)block)) Diagnostics.Panic.Fail("per-CPU block outside the direct map");
                s_blocks.Addresses[index] = (ulong)block;
            }
            block->Self = block;
            block->Index = index;
            block->ApicId = apicId;
            block->TssAddress = tssAddress;
            block->GdtAddress = gdtAddress;
            Cpu.WriteMsr(GsBaseMsr, (ulong)block);
            return true;
        }

        /// <summary>The CPU is ready to run threads: PerCpu.Count includes it.</summary>
        public static void MarkOnline(int index)
        {
            PerCpuBlock* block = Block(index);
            if (block == null || block->Online != 0) return;
            block->Online = 1;
            fixed (int* count = &s_count) Atomic.Increment(count);
        }
    }
}
