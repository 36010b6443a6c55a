using Kernel.LinuxAbi;
using Kernel.Signals;
using Kernel.Threads;

namespace Kernel.Files.Synthetic
{
    // What /proc says about the process's tasks (threads): which exist, their state letter and signal
    // sets. The process is pid 1; its main thread is task 1, the thread-group leader whose state and
    // name the process-wide files show.
    internal static unsafe class Tasks
    {
        public const int ProcessId = Syscalls.ProcessSyscalls.ProcessId;
        public const ulong TicksPerSecond = 100;   // USER_HZ, AT_CLKTCK

        /// <summary>The live thread with id <paramref name="id"/>, or null.</summary>
        public static Thread Find(int id) => Scheduler.Find(id);

        /// <summary>The thread the process-wide files describe: the main thread, or (once it has exited) the first live one.</summary>
        public static Thread Leader()
        {
            Thread leader = Scheduler.Find(ProcessId);
            if (leader != null) return leader;
            for (int i = 0; i < Scheduler.ThreadCount; i++)
                if (Scheduler.ThreadAt(i).State != ThreadState.Dead) return Scheduler.ThreadAt(i);
            return null;
        }

        /// <summary>R for the running or runnable thread, S for one blocked in a system call (all sleeps are interruptible).</summary>
        public static char StateLetter(Thread thread) =>
            thread.State == ThreadState.Blocked ? 'S' : thread.State == ThreadState.Dead ? 'X' : 'R';

        public static string StateName(Thread thread) =>
            thread.State == ThreadState.Blocked ? "S (sleeping)" : thread.State == ThreadState.Dead ? "X (dead)" : "R (running)";

        public static ulong Ticks(ulong nanoseconds) => nanoseconds / (1_000_000_000UL / TicksPerSecond);

        /// <summary>Signals set to SIG_IGN (SigIgn), bit n-1 for signal n.</summary>
        public static ulong IgnoredSignals() => SignalsWhere(false);

        /// <summary>Signals with a handler (SigCgt).</summary>
        public static ulong CaughtSignals() => SignalsWhere(true);

        private static ulong SignalsWhere(bool caught)
        {
            ulong set = 0;
            for (int signal = 1; signal <= SignalNumbers.Count; signal++)
            {
                ulong handler = SignalState.Action(signal)->Handler;
                if (caught ? handler > SignalAction.Ignore : handler == SignalAction.Ignore) set |= SignalNumbers.Bit(signal);
            }
            return set;
        }

        public static void AppendName(TextBuilder o, Thread thread)
        {
            fixed (byte* name = thread.Name.Bytes)
                for (int i = 0; i < ThreadName.Capacity && name[i] != 0; i++) o.Append(name[i]);
        }
    }
}
