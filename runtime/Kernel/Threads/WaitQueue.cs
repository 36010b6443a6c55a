namespace Kernel.Threads
{
    // Threads parked until an event (data in a pipe, a futex word changing, a child exiting). The kernel
    // runs each system call to completion with interrupts off; a call that cannot complete yet parks its
    // thread on a queue (Blocking) and the scheduler runs someone else.
    internal sealed class WaitQueue
    {
        internal Thread Head;
        private Thread _tail;

        public bool IsEmpty => Head == null;

        internal void Add(Thread thread)
        {
            thread.NextWaiter = null;
            if (_tail == null) Head = thread; else _tail.NextWaiter = thread;
            _tail = thread;
        }

        internal void Remove(Thread thread)
        {
            Thread previous = null;
            for (Thread t = Head; t != null; previous = t, t = t.NextWaiter)
            {
                if (t != thread) continue;
                if (previous == null) Head = t.NextWaiter; else previous.NextWaiter = t.NextWaiter;
                if (_tail == t) _tail = previous;
                t.NextWaiter = null;
                return;
            }
        }

        /// <summary>Makes every thread parked here runnable again (restart-style waiters re-execute their call).</summary>
        public void WakeAll()
        {
            while (Head != null) Scheduler.Wake(Head, 0);
        }
    }

    internal static class Blocking
    {
        /// <summary>
        /// Parks the calling thread on <paramref name="queue"/>; once woken it re-executes the same system
        /// call (which then finds its data). The handler returns this method's value as its result. Called
        /// outside an app thread (kernel self-tests) it cannot wait and returns -EAGAIN.
        /// </summary>
        public static long WaitThenRestart(WaitQueue queue)
        {
            if (Scheduler.Current == null) return -Syscalls.Errno.EAGAIN;
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
            if (Scheduler.Current == null) return -Syscalls.Errno.EAGAIN;
            return Scheduler.Block(queue, restart: true, deadline: deadline, timeoutResult: timeoutResult);
        }
    }
}
