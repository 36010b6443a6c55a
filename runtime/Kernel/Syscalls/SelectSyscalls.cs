using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // select and pselect6: poll's readiness (OpenFile.Poll) over fd_set bitmaps, with Linux's mapping of
    // poll bits to the three sets. Nothing ready and a timeout other than 0 parks on FileEvents.AnyChange
    // and re-runs from the start when woken -- at the deadline too, so that the re-run sees the deadline
    // passed and clears the sets as Linux does on a timeout (the sets are the call's input until it
    // returns, so they cannot be cleared before it waits). The timeout is not rewritten with the time
    // left, and pselect6's signal mask is accepted and ignored, as ppoll's (PollSyscalls). A signal
    // handler ends the wait with -EINTR, as on Linux, SA_RESTART or not.
    internal static unsafe class SelectSyscalls
    {
        private const uint ReadyToRead = PollBits.In | PollBits.ReadNormal | PollBits.ReadBand | PollBits.HangUp | PollBits.Error;
        private const uint ReadyToWrite = PollBits.Out | PollBits.WriteNormal | PollBits.WriteBand | PollBits.Error;
        private const uint Exceptional = PollBits.Priority;
        private const ulong Forever = ulong.MaxValue;
        private const ulong MaxSeconds = 18_000_000_000UL;   // beyond it nanoseconds overflow: centuries, i.e. never

        // select(nfds, readfds, writefds, exceptfds, timeval)
        public static long select(SyscallFrame call)
        {
            ulong timeout = Forever;
            if (call.Arg4 != 0)
            {
                if (!UserMemory.IsUserRange(call.Arg4, 16)) return -Errno.EFAULT;
                long seconds = *(long*)call.Arg4, microseconds = *(long*)(call.Arg4 + 8);
                // Linux carries whole seconds out of tv_usec before checking; what stays negative is invalid.
                seconds = unchecked(seconds + microseconds / 1_000_000);
                microseconds %= 1_000_000;
                if (seconds < 0 || microseconds < 0) return -Errno.EINVAL;
                timeout = (ulong)seconds >= MaxSeconds ? Forever - 1 : (ulong)seconds * 1_000_000_000UL + (ulong)microseconds * 1000UL;
            }
            return SelectFiles(call, timeout);
        }

        // pselect6(nfds, readfds, writefds, exceptfds, timespec, {sigmask, size})
        public static long pselect6(SyscallFrame call)
        {
            ulong timeout = Forever;
            if (call.Arg4 != 0)
            {
                long error;
                if (!UserMemory.TryReadTimespec(call.Arg4, out timeout, out error)) return error;
                if (timeout == Forever) timeout = Forever - 1;
            }
            return SelectFiles(call, timeout);
        }

        private static long SelectFiles(SyscallFrame call, ulong timeout)
        {
            AppFileTree.EnsureBuilt();
            int count = (int)call.Arg0;
            if (count < 0) return -Errno.EINVAL;
            if (count > Vfs.Descriptors.Limit) count = Vfs.Descriptors.Limit;   // Linux clamps to the table's size
            ulong words = ((ulong)count + 63) / 64;
            ulong* read = (ulong*)call.Arg1, write = (ulong*)call.Arg2, except = (ulong*)call.Arg3;
            if ((read != null && !UserMemory.IsWritableUserRange((ulong)read, words * 8))
                || (write != null && !UserMemory.IsWritableUserRange((ulong)write, words * 8))
                || (except != null && !UserMemory.IsWritableUserRange((ulong)except, words * 8)))
                return -Errno.EFAULT;

            ulong deadline = timeout == Forever ? 0 : Blocking.DeadlineAfter(timeout);
            long ready = Scan(count, read, write, except, store: false);
            if (ready < 0) return ready;
            bool timedOut = timeout != Forever && deadline <= Time.Clock.MonotonicNanoseconds;
            if (ready > 0 || timedOut) return Scan(count, read, write, except, store: true);
            long parked = deadline == 0 ? Blocking.WaitThenRestart(FileEvents.AnyChange)
                                        : Blocking.WaitThenRestartEvenAtDeadline(FileEvents.AnyChange, deadline);
            // A handler ends the wait with -EINTR, SA_RESTART or not (Linux's -ERESTARTNOHAND).
            if (Scheduler.Current != null) Scheduler.Current.EndsOnSignal = true;
            return parked;
        }

        // Counts the ready (descriptor, set) pairs, -EBADF for a set bit naming no open file; with
        // store, replaces each set word by its ready bits (the input word is not needed after).
        private static long Scan(int count, ulong* read, ulong* write, ulong* except, bool store)
        {
            long ready = 0;
            for (int word = 0; word * 64 < count; word++)
            {
                ulong inRead = read != null ? read[word] : 0, inWrite = write != null ? write[word] : 0;
                ulong inExcept = except != null ? except[word] : 0;
                ulong outRead = 0, outWrite = 0, outExcept = 0;
                for (int bit = 0; bit < 64 && word * 64 + bit < count; bit++)
                {
                    ulong mask = 1UL << bit;
                    if (((inRead | inWrite | inExcept) & mask) == 0) continue;
                    OpenFile file = Vfs.Descriptors.Get(word * 64 + bit);
                    if (file == null) return -Errno.EBADF;
                    uint events = file.Poll();
                    if ((inRead & mask) != 0 && (events & ReadyToRead) != 0) { outRead |= mask; ready++; }
                    if ((inWrite & mask) != 0 && (events & ReadyToWrite) != 0) { outWrite |= mask; ready++; }
                    if ((inExcept & mask) != 0 && (events & Exceptional) != 0) { outExcept |= mask; ready++; }
                }
                if (!store) continue;
                if (read != null) read[word] = outRead;
                if (write != null) write[word] = outWrite;
                if (except != null) except[word] = outExcept;
            }
            return ready;
        }
    }
}
