namespace Kernel.Threads
{
    // Threads parked until an event (data in a pipe, a futex word changing, a timer). The kernel runs each
    // system call to completion with interrupts off; a call that cannot complete yet parks its thread on a
    // queue and is restarted from the `syscall` instruction when the queue is woken (see Blocking).
    internal sealed class WaitQueue
    {
        /// <summary>Makes every thread parked here runnable again; each re-executes its system call.</summary>
        public void WakeAll()
        {
            // Placeholder until the scheduler lands: nothing can be parked yet.
        }
    }

    internal static class Blocking
    {
        /// <summary>
        /// Parks the calling thread on <paramref name="queue"/> and restarts its system call once woken.
        /// The handler returns this method's value as its result. Until the scheduler lands it returns
        /// -EAGAIN.
        /// </summary>
        public static long WaitThenRestart(WaitQueue queue) => -Syscalls.Errno.EAGAIN;
    }
}
