using Kernel.Arch;

namespace Kernel.Threads
{
    internal enum ThreadState : byte { Runnable, Blocked, Dead }

    /// <summary>A task's comm, inline in its Thread (TASK_COMM_LEN = 16).</summary>
    internal unsafe struct ThreadName
    {
        public const int Capacity = 16;
        public fixed byte Bytes[Capacity];
    }

    // One app thread (Linux task). While it is not running, its user-mode registers are the
    // InterruptFrame at the top of its own kernel stack: every entry from ring 3 starts on an empty
    // kernel stack (TSS.RSP0 / the syscall slot point at its top), so that is exactly where the entry
    // code saved them, and resuming the thread is returning that frame from uk_interrupt.
    internal sealed unsafe class Thread
    {
        public const ulong KernelStackPages = 8;

        public const int NotRunning = -1;

        public int Id;
        public ThreadState State;
        /// <summary>The CPU whose Current it is (NotRunning: none); a thread runs on one CPU at a time.</summary>
        public int RunningOn;
        /// <summary>The CPUs it may run on, bit N for PerCpu index N (sched_setaffinity); every CPU by default.</summary>
        public ulong AffinityMask;
        public ulong KernelStackBase;
        public ulong KernelStackTop;
        public ulong FsBase;
        public ulong GsBase;              // arch_prctl(ARCH_SET_GS): the kernel itself never uses GS
        /// <summary>set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken when the thread exits.</summary>
        public ulong ClearChildTid;
        public ulong CpuNanoseconds;
        /// <summary>The part of CpuNanoseconds spent in the kernel on its behalf, from entry to Scheduler.Leave (stime).</summary>
        public ulong SystemNanoseconds;
        /// <summary>Monotonic ns when it was created: /proc's starttime (Linux counts from boot, as this clock does).</summary>
        public ulong StartNanoseconds;
        /// <summary>The task's comm (prctl PR_SET_NAME, /proc/.../stat and status): up to 15 bytes and a NUL.</summary>
        public ThreadName Name;
        public ulong ExtendedStateArea;   // see Arch/ExtendedState

        // Blocking (see Blocking and WaitQueue).
        public WaitQueue BlockedOn;
        public Thread NextWaiter;
        public bool RestartOnWake;
        public ulong Deadline;            // monotonic ns; 0 = none
        public long TimeoutResult;
        public bool RestartAtDeadline;    // Blocking.WaitThenRestartEvenAtDeadline
        public ulong RestartedDeadline;   // the deadline a restarted call keeps (Blocking.DeadlineAfter)
        public ulong FutexAddress;
        public uint FutexBitset;

        // Signals (see Signals/).
        public ulong SignalMask;
        public ulong PendingSignals;
        public ulong AlternateStack, AlternateStackSize;
        public int AlternateStackFlags;
        public LinuxAbi.SignalInfo* PendingInfo;   // one siginfo per signal number, allocated on first use
        /// <summary>pause, rt_sigsuspend, rt_sigtimedwait: a signal ends the wait with -EINTR, SA_RESTART or not.</summary>
        public bool EndsOnSignal;
        /// <summary>rt_sigtimedwait: the signals that wake it to take them instead of having them delivered.</summary>
        public ulong WaitedSignals;
        /// <summary>The mask a wait replaced (rt_sigsuspend, rt_sigtimedwait), put back on the way to ring 3.</summary>
        public ulong SavedSignalMask;
        public Signals.MaskRestore MaskRestore;
        /// <summary>nanosleep/clock_nanosleep's `remaining` (0: none): written with SleepLeft when a signal ends the sleep.</summary>
        public ulong SleepRemainder;
        public ulong SleepLeft;           // ns

        public InterruptFrame* Frame => (InterruptFrame*)(KernelStackTop - (ulong)sizeof(InterruptFrame));
    }
}
