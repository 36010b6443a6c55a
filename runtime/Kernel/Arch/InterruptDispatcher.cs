using System.Runtime.InteropServices;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.Signals;
using Kernel.Threads;

namespace Kernel.Arch
{
    // Every interrupt, CPU exception and system call arrives here from the boot stub's common entry.
    // Entries from the app (ring 3) end in the scheduler, which picks the frame to resume; entries from
    // the kernel itself (a demand-paging fault while a system call touches app memory, an interrupt
    // while the CPU idles) return to where they came from. External interrupts go to the handler their
    // owner registered (InterruptHandlers, vectors in InterruptVectors): Arch knows no device.
    internal static unsafe class InterruptDispatcher
    {
        private const int BreakpointVector = 3;
        private const int PageFaultVector = 14;
        /// <summary>The pseudo vector uk_syscall_entry gives a `syscall` (docs/boot-abi.md).</summary>
        public const int SyscallVector = 256;

        /// <summary>How many breakpoints (int3) the kernel has stepped over.</summary>
        public static ulong BreakpointCount;

        [UnmanagedCallersOnly(EntryPoint = "uk_interrupt")]
        private static InterruptFrame* Dispatch(InterruptFrame* frame)
        {
            // Answered before anything else and without the kernel lock: its sender holds the lock and waits for us.
            if (frame->Vector == InterruptVectors.TlbShootdown)
            {
                TlbShootdown.HandleInterrupt();
                return frame;
            }
            bool fromRing3 = (frame->Cs & 3) == 3;
            if (fromRing3 && LockChecks.Enabled && KernelLock.HeldHere) LockChecks.Fail("an entry from ring 3 found the kernel lock held by its own CPU");
            KernelLock.Acquire();   // released by uk_resume_frame once rsp stands on the frame this returns
            // An interrupt keeps EFLAGS.AC: whatever ran before (the app, or a system call inside its UserAccess
            // window) must not lend it to this entry. iretq restores the interrupted code's own flag.
            UserAccess.End();
            bool fromApp = fromRing3 && Scheduler.Current != null;
            bool fromIdle = !fromRing3 && Scheduler.InterruptedIdle(frame);
            if (fromIdle) TlbShootdown.LeaveIdle();
            if (fromApp) Scheduler.EnteredFromApp();
            if (frame->Vector == SyscallVector)
            {
                Syscalls.SyscallTable.Dispatch(frame);
                return fromApp ? Scheduler.Leave() : frame;
            }
            if (frame->Vector == PageFaultVector)
            {
                ulong address = Cpu.ReadCr2();
                if (Memory.UserAddressSpace.IsReady && FaultSignals.TryResolvePageFault(frame, address))
                    return fromApp ? Scheduler.Leave() : frame;
                if (fromApp)
                {
                    FaultSignals.Raise(frame, address);
                    return Scheduler.Leave();
                }
            }
            else if (frame->Vector < InterruptVectors.FirstExternal && fromApp)
            {
                FaultSignals.Raise(frame, 0);
                return Scheduler.Leave();
            }
            // int3 in the kernel is a trap: the saved rip is already past it, so returning continues.
            if (frame->Vector == BreakpointVector)
            {
                BreakpointCount++;
                KernelConsole.Prefix();
                KernelConsole.Write("breakpoint (#BP) at ");
                StackTrace.WriteLocation(frame->Rip - 1);
                KernelConsole.WriteLine("; continuing");
                return frame;
            }
            if (frame->Vector < InterruptVectors.FirstExternal)
                CpuExceptionReport.ReportAndStop(frame);
            var handler = InterruptHandlers.Find(frame->Vector);
            InterruptFrame* chosen = handler == null ? null : handler(frame);
            if (fromIdle) return Scheduler.Leave();   // the interrupt may have made work for this CPU
            if (chosen != null) return chosen;
            return fromApp ? Scheduler.Leave() : frame;
        }
    }
}
