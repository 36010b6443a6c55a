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
}
