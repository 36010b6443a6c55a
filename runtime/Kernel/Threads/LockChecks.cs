using Kernel.Arch;
using Kernel.Console;

namespace Kernel.Threads
{
    // uk.debug.locks=1: the checked mode of the locking discipline (docs/architecture.md, "Locking"). Shared
    // state -- the page allocator and kernel heap (KernelMemory), the scheduler's lists, the system-call
    // dispatcher and through it the VFS and the network stack -- asserts that this CPU holds the kernel lock,
    // and a violation panics with a stack trace. A CPU that is still coming up (not yet online, PerCpu) is
    // exempt: it runs while the boot CPU waits for it, before it can take the lock; so is a machine that stayed on one
    // CPU once the app runs (KernelLock.Uniprocessor: nothing to exclude, the lock is not taken). Off by default: one load and
    // a branch per check. At the app's exit the mode also prints what the big lock cost (KernelLock's counters).
    internal static class LockChecks
    {
        public static bool Enabled;

        public static void Configure()
        {
            Enabled = Boot.BootCommandLine.NumberOption("uk.debug.locks") != 0;
            if (Enabled) Memory.KernelMemory.CheckLockOnEveryAllocation();
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static void AssertHeld(string what)
        {
            if (Enabled) Check(what);   // inlined: off, a check costs a load and a branch
        }

        private static void Check(string what)
        {
            if (KernelLock.HeldHere || KernelLock.Uniprocessor || !PerCpu.IsOnline(PerCpu.Index)) return;
            Fail(what);
        }

        public static void Fail(string what)
        {
            Enabled = false;   // the panic's own allocations must not recurse here
            KernelConsole.Prefix();
            KernelConsole.Write("lock check: CPU ");
            KernelConsole.WriteDecimal((ulong)PerCpu.Index);
            KernelConsole.Write(" touches ");
            KernelConsole.Write(what);
            KernelConsole.Write(" without the kernel lock (owner: ");
            int owner = KernelLock.Owner;
            if (owner < 0) KernelConsole.Write("none");
            else
            {
                KernelConsole.Write("CPU ");
                KernelConsole.WriteDecimal((ulong)owner);
            }
            KernelConsole.WriteLine(")");
            Diagnostics.Panic.Fail("locking discipline violated (uk.debug.locks)");
        }

        /// <summary>The lock's cost, one kernel line (uk.debug.locks): acquisitions, how many found it taken, spin rounds.</summary>
        public static void Report()
        {
            if (!Enabled) return;
            KernelConsole.Prefix();
            KernelConsole.Write("kernel lock: ");
            KernelConsole.WriteDecimal(KernelLock.Acquisitions);
            KernelConsole.Write(" acquisitions, ");
            KernelConsole.WriteDecimal(KernelLock.Contended);
            KernelConsole.Write(" contended, ");
            KernelConsole.WriteDecimal(KernelLock.SpinRounds);
            KernelConsole.Write(" spin rounds on ");
            KernelConsole.WriteDecimal((ulong)PerCpu.Count);
            KernelConsole.WriteLine(" CPUs");
        }
    }
}
