namespace Kernel.Threads
{
    // How a system call waits: it parks its thread (Scheduler.Block) and returns Scheduler.NoResult; the
    // scheduler runs others until a WaitQueue wake, a deadline or a signal completes or restarts the call.
    internal static class Blocking
    {
        /// <summary>
        /// Parks the calling thread on <paramref name="queue"/>; once woken it re-executes the same system
        /// call (which then finds its data). The handler returns this method's value as its result. Called
        /// outside an app thread (kernel self-tests) it cannot wait and returns -EAGAIN.
        /// </summary>
        public static long WaitThenRestart(WaitQueue queue)
        {
            if (Scheduler.Current == null) return -LinuxAbi.Errno.EAGAIN;
            return Scheduler.Block(queue, restart: true, deadline: 0, timeoutResult: 0);
        }

        /// <summary>
        /// The absolute deadline (monotonic ns) for a call with a relative timeout: now + timeout, except
        /// in a call that was restarted after a wake-up, which keeps the deadline of its first attempt.
        /// </summary>
        public static ulong DeadlineAfter(ulong timeoutNanoseconds)
        {
            Thread current = Scheduler.Current;
            if (current != null && current.RestartedDeadline != 0) return current.RestartedDeadline;
            ulong now = Time.Clock.MonotonicNanoseconds;
            return timeoutNanoseconds > ulong.MaxValue - now ? ulong.MaxValue : now + timeoutNanoseconds;
        }

        /// <summary>As WaitThenRestart, but gives up at <paramref name="deadline"/> (monotonic ns) and then
        /// returns <paramref name="timeoutResult"/> instead of restarting.</summary>
        public static long WaitThenRestart(WaitQueue queue, ulong deadline, long timeoutResult)
        {
            if (Scheduler.Current == null) return -LinuxAbi.Errno.EAGAIN;
            return Scheduler.Block(queue, restart: true, deadline: deadline, timeoutResult: timeoutResult);
        }

        /// <summary>
        /// As WaitThenRestart, and the deadline restarts the call too (which then finds it passed through
        /// DeadlineAfter): for calls that have work to do on a timeout, such as select clearing its sets.
        /// </summary>
        public static long WaitThenRestartEvenAtDeadline(WaitQueue queue, ulong deadline)
        {
            if (Scheduler.Current == null) return -LinuxAbi.Errno.EAGAIN;
            long parked = Scheduler.Block(queue, restart: true, deadline: deadline, timeoutResult: 0);
            Scheduler.Current.RestartAtDeadline = true;
            return parked;
        }
    }
}
