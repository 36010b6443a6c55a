using System.Runtime.InteropServices;
using Kernel.Arch;

namespace Kernel.Threads
{
    // The big kernel lock: SMP's first step (docs/architecture.md, "Locking"). Every entry into the kernel takes
    // it (InterruptDispatcher, after the lock-free TLB-shootdown answer), the kernel runs with interrupts off and
    // to completion as on one CPU, and the lock is given back by the boot stub's uk_resume_frame once rsp stands
    // on the frame it resumes -- never earlier, or another CPU could resume the thread whose kernel stack this
    // CPU still stands on. The word lives in boot.o's data (uk_kernel_lock: 0 free, else the owner's index + 1)
    // and the depth in the per-CPU block, where the stub reads both.
    //
    // A test-and-set lock with `pause`: with a handful of CPUs and short holds, fairness buys little. An entry
    // while this CPU already holds it is the kernel re-entering itself (a page fault while a system call copies
    // user memory, a breakpoint): the depth counts it, and the stub's release undoes one level per return.
    // The spin loop answers TLB shootdowns (interrupts are off while it spins, and the holder may wait for us).
    internal static unsafe class KernelLock
    {
        /// <summary>
        /// One CPU for good: no application processor came online, so from the app's first resume on there is nobody
        /// to exclude, and entries neither take nor give back the lock (uk_resume_frame finds depth 0). Set once by
        /// Scheduler.Start while it still holds the lock at depth 1 from boot, which that first resume releases; APs are
        /// started before the app and never later, so it cannot become false again. This keeps the one-vCPU kernel's
        /// entries as cheap as before SMP (docs/benchmarks.md, "The kernel lock and per-CPU state on one CPU").
        /// </summary>
        public static bool Uniprocessor;   // first: the entry's test reads it at the statics' base

        [DllImport("*", EntryPoint = "uk_kernel_lock_word"), SuppressGCTransition] private static extern int* Word();
        [DllImport("*", EntryPoint = "uk_kernel_lock_enter"), SuppressGCTransition] private static extern int TryEnter();

        private static int* s_word;

        /// <summary>Acquisitions that found the lock taken by another CPU, and the spin rounds they waited
        /// (uk.debug.locks prints them at exit: what the big lock costs).</summary>
        public static ulong Contended, SpinRounds, Acquisitions;

        /// <summary>The counters from here on (the app's start: APs spin for the lock during boot by design).</summary>
        public static void ResetCounters() => Contended = SpinRounds = Acquisitions = 0;

        /// <summary>From here on entries take the lock. The boot CPU takes it now and holds it through boot: the
        /// first return to the app (Scheduler.Start) gives it back, and other CPUs wait for it until then.</summary>
        public static void Initialize()
        {
            s_word = Word();
            Acquire();
        }

        public static void EnterUniprocessorMode()
        {
            if (PerCpu.Count == 1) Uniprocessor = true;
        }

        public static bool HeldHere => s_word != null && *s_word == PerCpu.Index + 1;

        public static int Owner => s_word == null ? -1 : *s_word - 1;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static void Acquire()
        {
            if (s_word == null || Uniprocessor) return;   // before Initialize, or one CPU for good: nothing to exclude
            // The boot stub's fast path: taken or re-entered (depth counted there), else the word it found.
            if (TryEnter() != 0) Spin();
            Acquisitions++;   // under the lock from here
        }

        private static void Spin()
        {
            Contended++;   // before the lock is ours: a statistic, a lost update is harmless
            do
            {
                while (*s_word != 0)
                {
                    TlbShootdown.ServicePending();
                    Cpu.Pause();   // an opaque call: the word is read again
                    SpinRounds++;
                }
            }
            while (TryEnter() != 0);
        }

        /// <summary>
        /// Gives the lock back from C# (the stub's release is for entries): a CPU going idle, or code that held it
        /// outside an entry (boot). Releases every level this CPU holds.
        /// </summary>
        public static void ReleaseAll()
        {
            if (s_word == null) return;
            PerCpu.This->LockDepth = 0;
            Atomic.CompareExchange(s_word, PerCpu.Index + 1, 0);   // a locked instruction: every store before it is seen first
        }

        /// <summary>Takes it for code outside an entry that must return with it held once (Scheduler.Start, an AP's first pick).</summary>
        public static void AcquireOutsideEntry()
        {
            PerCpu.This->LockDepth = 0;
            Acquire();
        }
    }
}
