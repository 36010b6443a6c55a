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
            if (!KernelLock.Uniprocessor) TakeKernelLock(fromRing3);
            // An interrupt keeps EFLAGS.AC: whatever ran before (the app, or a system call inside its UserAccess
            // window) must not lend it to this entry. iretq restores the interrupted code's own flag.
            UserAccess.End();
            PerCpuBlock* me = PerCpu.This;
            bool fromApp = false, fromIdle = false;
            if (fromRing3) fromApp = Scheduler.EnteredFromApp(me);
            else if (Scheduler.InterruptedIdle(frame))
            {
                fromIdle = true;
                TlbShootdown.LeaveIdle();
            }
            if (frame->Vector == SyscallVector)
            {
                Syscalls.SyscallTable.Dispatch(frame);
                return fromApp ? Scheduler.Leave(me) : frame;
            }
            if (frame->Vector == PageFaultVector)
            {
                ulong address = Cpu.ReadCr2();
                if (Memory.UserAddressSpace.IsReady && FaultSignals.TryResolvePageFault(frame, address))
                    return fromApp ? Scheduler.Leave(me) : frame;
                if (fromApp)
                {
                    FaultSignals.Raise(frame, address);
                    return Scheduler.Leave(me);
                }
            }
            else if (frame->Vector < InterruptVectors.FirstExternal && fromApp)
            {
                FaultSignals.Raise(frame, 0);
                return Scheduler.Leave(me);
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
            if (fromIdle) return Scheduler.Leave(me);   // the interrupt may have made work for this CPU
            if (chosen != null) return chosen;
            return fromApp ? Scheduler.Leave(me) : frame;
        }

        // Out of line: a machine that stayed on one CPU skips it with one test (KernelLock.Uniprocessor).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void TakeKernelLock(bool fromRing3)
        {
            if (fromRing3 && LockChecks.Enabled && KernelLock.HeldHere) LockChecks.Fail("an entry from ring 3 found the kernel lock held by its own CPU");
            KernelLock.Acquire();   // released by uk_resume_frame once rsp stands on the frame Dispatch returns
            LockChecks.AssertHeld("the system call handlers' state (VFS, network, memory map), devices, faults");
        }
    }
}
