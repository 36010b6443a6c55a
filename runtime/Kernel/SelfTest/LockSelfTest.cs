#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Memory;
using Kernel.Threads;

namespace Kernel.SelfTest
{
    // uk.selftest=locks (with uk.debug.locks=1): the kernel lock and its checked mode. The boot CPU holds the lock
    // through boot; a breakpoint re-enters the kernel, takes it once more and gives that level back on return; then
    // the test lets the lock go and touches the kernel heap, which the checked mode must refuse with a panic naming
    // the heap (the host expects that panic: the line "selftest locks: ... (ok)" first, then "lock check: ...").
    internal static unsafe class LockSelfTest
    {
        // Its own frame: the panic's stack trace must name the offender (KernelLockTests looks for it).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static void Run()
        {
            if (!LockChecks.Enabled) SelfTestOutput.Fail("locks: run it with uk.debug.locks=1");
            if (!KernelLock.HeldHere || PerCpu.This->LockDepth != 1) SelfTestOutput.Fail("locks: the boot CPU does not hold the kernel lock once during boot");
            Cpu.Breakpoint();   // an entry from ring 0: the lock is taken again and that level released by uk_resume_frame
            if (!KernelLock.HeldHere || PerCpu.This->LockDepth != 1) SelfTestOutput.Fail("locks: a nested entry did not give back exactly its own level");
            if (KernelMemory.AllocateZeroed(16) == null) SelfTestOutput.Fail("locks: no heap under the lock");
            SelfTestOutput.Pass("selftest locks: held through boot, re-entered by a breakpoint and still held once (ok)");
            KernelLock.ReleaseAll();
            // Must panic: the heap without the lock. Called directly: AllocateZeroed keeps no frame pointer, so a stack
            // trace through it skips its caller, and the test looks for this method's name in the trace.
            KernelMemory.Heap->Allocate(16);
            SelfTestOutput.Fail("locks: the kernel heap was used without the kernel lock and the checked mode let it");
        }
    }
}
#endif
