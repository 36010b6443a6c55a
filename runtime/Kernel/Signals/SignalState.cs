using Kernel.Memory;
using Kernel.Threads;

namespace Kernel.Signals
{
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
            if (thread.State == ThreadState.Blocked && (thread.SignalMask & bit) == 0)
            {
                bool restart = (s_actions[signal].Flags & SignalAction.FlagRestart) != 0 && s_actions[signal].Handler > SignalAction.Ignore;
                Scheduler.Wake(thread, restart ? 0 : -Syscalls.Errno.EINTR);
            }
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

        public static void Release(Thread thread)
        {
            if (thread.PendingInfo != null) KernelMemory.Heap->Free(thread.PendingInfo);
            thread.PendingInfo = null;
        }
    }
}
