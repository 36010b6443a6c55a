using Kernel.LinuxAbi;
using Kernel.Memory;
using Kernel.Threads;

namespace Kernel.Signals
{
    /// <summary>When a wait that replaced the signal mask puts it back (Thread.SavedSignalMask).</summary>
    internal enum MaskRestore : byte
    {
        None,
        /// <summary>rt_sigtimedwait: the mask is the caller's again before any delivery, as the call restores it itself on Linux.</summary>
        BeforeDelivery,
        /// <summary>rt_sigsuspend: the handler runs under the temporary mask and its context saves the caller's (Linux's restore_sigmask).</summary>
        AfterDelivery,
    }

    // Who handles which signal (one table for the process, as CLONE_SIGHAND threads share it) and what
    // is pending where. Sending marks the signal pending on a thread and, if that thread is parked in a
    // system call and does not block the signal, interrupts the call (-EINTR, or a restart for
    // SA_RESTART handlers of restartable calls); delivery happens on the thread's way back to ring 3.
    internal static unsafe class SignalState
    {
        private static SignalAction* s_actions;

        public static void Initialize()
        {
            s_actions = (SignalAction*)KernelMemory.AllocateZeroed((nuint)(sizeof(SignalAction) * (SignalNumbers.Count + 1)));
        }

        public static SignalAction* Action(int signal) => &s_actions[signal];

        public static bool IsValid(int signal) => signal >= 1 && signal <= SignalNumbers.Count;

        /// <summary>Whether delivering <paramref name="signal"/> now would do nothing at all.</summary>
        public static bool IsIgnored(int signal)
        {
            ulong handler = s_actions[signal].Handler;
            return handler == SignalAction.Ignore || (handler == SignalAction.Default && SignalNumbers.DefaultIgnores(signal));
        }

        /// <summary>tgkill/tkill: a signal for one thread.</summary>
        public static void SendToThread(Thread thread, int signal, SignalInfo* info)
        {
            if (IsIgnored(signal) && signal != SignalNumbers.SIGKILL) return;
            if (thread.PendingInfo == null)
                thread.PendingInfo = (SignalInfo*)KernelMemory.AllocateZeroed((nuint)(sizeof(SignalInfo) * (SignalNumbers.Count + 1)));
            ulong bit = SignalNumbers.Bit(signal);
            if ((thread.PendingSignals & bit) == 0 || signal >= 32) thread.PendingInfo[signal] = *info;
            thread.PendingSignals |= bit;
            if (thread.State != ThreadState.Blocked)
            {
                Scheduler.Kick(thread);   // running in ring 3 on another CPU: deliver at a return that comes now
                return;
            }
            // rt_sigtimedwait re-runs to take the signal it waits for (it unblocked them while it waits).
            if ((thread.WaitedSignals & bit) != 0) Scheduler.Wake(thread, 0);
            else if ((thread.SignalMask & bit) == 0)
            {
                bool restart = !thread.EndsOnSignal && (s_actions[signal].Flags & SignalAction.FlagRestart) != 0
                               && s_actions[signal].Handler > SignalAction.Ignore;
                Scheduler.Wake(thread, restart ? 0 : -LinuxAbi.Errno.EINTR);
            }
        }

        /// <summary>
        /// A signal the thread cannot refuse (a CPU fault, a frame it cannot resume), as Linux's force_sig:
        /// blocked or ignored, it is unblocked and reset to the default action, so it kills.
        /// </summary>
        public static void Force(Thread thread, int signal, SignalInfo* info)
        {
            SignalAction* action = Action(signal);
            ulong bit = SignalNumbers.Bit(signal);
            if ((thread.SignalMask & bit) != 0 || action->Handler == SignalAction.Ignore)
            {
                action->Handler = SignalAction.Default;
                thread.SignalMask &= ~bit;
            }
            SendToThread(thread, signal, info);
        }

        /// <summary>The lowest-numbered signal in <paramref name="set"/> (0 if empty): the order Linux delivers and dequeues in.</summary>
        public static int Lowest(ulong set)
        {
            if (set == 0) return 0;
            int n = 1;
            while ((set & 1) == 0) { set >>= 1; n++; }
            return n;
        }

        /// <summary>kill(getpid()): any thread that does not block the signal takes it (the first one otherwise).</summary>
        public static void SendToProcess(int signal, SignalInfo* info)
        {
            Thread chosen = null;
            for (int i = 0; i < Scheduler.ThreadCount; i++)
            {
                Thread t = Scheduler.ThreadAt(i);
                if (t.State == ThreadState.Dead) continue;
                if (chosen == null) chosen = t;
                if ((t.SignalMask & SignalNumbers.Bit(signal)) == 0) { chosen = t; break; }
            }
            if (chosen != null) SendToThread(chosen, signal, info);
        }

        /// <summary>
        /// A signal from outside the app (the machine's owner asking it to stop), as a kill(2) from a process it cannot
        /// see: SI_USER with pid and uid 0. Safe in an interrupt handler: the kernel takes interrupts only while the app
        /// runs or the CPU idles, never inside its own work, so the thread lists are consistent.
        /// </summary>
        public static void SendFromOutside(int signal)
        {
            SignalInfo info = default;
            info.Number = signal;
            info.Code = SignalInfo.CodeUser;
            SendToProcess(signal, &info);
        }

        private const int SsOnStack = 1, SsDisable = 2, SsAutoDisarm = 1 << 31;
        private const ulong MinimumStackSize = 2048;   // MINSIGSTKSZ

        /// <summary>
        /// sigaltstack's new stack (also what rt_sigreturn restores from uc_stack, ignoring the errors as
        /// Linux does): 0, -EPERM while running on the current one, -EINVAL for unknown flags, -ENOMEM
        /// below MINSIGSTKSZ. The range itself is the app's business: delivery refuses a frame that
        /// would wrap or leave the user half (SignalFrameLayout).
        /// </summary>
        public static long SetAlternateStack(Thread thread, ulong stackBase, int flags, ulong size, ulong rsp)
        {
            if (thread.AlternateStackSize != 0 && rsp - thread.AlternateStack < thread.AlternateStackSize) return -LinuxAbi.Errno.EPERM;
            int mode = flags & ~SsAutoDisarm;
            if (mode != 0 && mode != SsOnStack && mode != SsDisable) return -LinuxAbi.Errno.EINVAL;
            if (mode == SsDisable)
            {
                thread.AlternateStack = 0;
                thread.AlternateStackSize = 0;
                thread.AlternateStackFlags = 0;
                return 0;
            }
            if (size < MinimumStackSize) return -LinuxAbi.Errno.ENOMEM;
            thread.AlternateStack = stackBase;
            thread.AlternateStackSize = size;
            thread.AlternateStackFlags = flags & SsAutoDisarm;
            return 0;
        }

        public static void Release(Thread thread)
        {
            if (thread.PendingInfo != null) KernelMemory.Heap->Free(thread.PendingInfo);
            thread.PendingInfo = null;
        }
    }
}
