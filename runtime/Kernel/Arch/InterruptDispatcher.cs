using System.Runtime.InteropServices;
using Kernel.Console;
using Kernel.Diagnostics;

namespace Kernel.Arch
{
    // Every interrupt and CPU exception arrives here from the boot stub's common entry.
    internal static unsafe class InterruptDispatcher
    {
        public const int FirstExternalVector = 32;
        private const int BreakpointVector = 3;
        /// <summary>The pseudo vector uk_syscall_entry gives a `syscall` (docs/boot-abi.md).</summary>
        public const int SyscallVector = 256;

        /// <summary>How many breakpoints (int3) the kernel has stepped over.</summary>
        public static ulong BreakpointCount;

        [UnmanagedCallersOnly(EntryPoint = "uk_interrupt")]
        private static InterruptFrame* Dispatch(InterruptFrame* frame)
        {
            if (frame->Vector == SyscallVector)
            {
                Syscalls.SyscallTable.Dispatch(frame);
                return frame;
            }
            // int3 is a trap: the saved rip is already past it, so returning simply continues.
            if (frame->Vector == BreakpointVector)
            {
                BreakpointCount++;
                KernelConsole.Prefix();
                KernelConsole.Write("breakpoint (#BP) at ");
                StackTrace.WriteLocation(frame->Rip - 1);
                KernelConsole.WriteLine("; continuing");
                return frame;
            }
            if (frame->Vector < FirstExternalVector)
                CpuExceptionReport.ReportAndStop(frame);
            // The local APIC timer (runtime/Kernel/Time): tick, EOI, then the scheduler's hook picks the frame.
            if (frame->Vector == Time.InterruptVectors.Timer)
                return Time.TimerInterrupt.Handle(frame);
            // Anything else (the APIC's spurious vector included, which takes no EOI) simply returns.
            return frame;
        }
    }
}
