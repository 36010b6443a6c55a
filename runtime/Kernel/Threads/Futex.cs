using Kernel.LinuxAbi;
using Kernel.Memory;

namespace Kernel.Threads
{
    // Futexes: a thread sleeps until another wakes the same user address. One address space and few
    // threads: all waiters sit in one queue, in arrival order, and wake-ups scan it (FIFO per address).
    internal static unsafe class Futex
    {
        public const uint AllBits = 0xFFFF_FFFF;
        private static WaitQueue s_waiters;

        public static void Initialize() => s_waiters = new WaitQueue();

        /// <summary>FUTEX_WAIT(_BITSET): -EAGAIN if *address != expected, else park (0 on wake, -ETIMEDOUT at the deadline).</summary>
        public static long Wait(ulong address, uint expected, ulong deadline, uint bitset)
        {
            if ((address & 3) != 0) return -Errno.EINVAL;
            if (bitset == 0) return -Errno.EINVAL;
            if (!UserAddressSpace.IsAccessible(address, 4, false)) return -Errno.EFAULT;
            if (*(uint*)address != expected) return -Errno.EAGAIN;
            Thread current = Scheduler.Current;
            current.FutexAddress = address;
            current.FutexBitset = bitset;
            return Scheduler.Block(s_waiters, restart: false, deadline: deadline, timeoutResult: -Errno.ETIMEDOUT);
        }

        /// <summary>Wakes up to <paramref name="count"/> waiters on <paramref name="address"/>; returns how many.</summary>
        public static int Wake(ulong address, int count, uint bitset)
        {
            int woken = 0;
            Thread t = s_waiters.Head;
            while (t != null && woken < count)
            {
                Thread next = t.NextWaiter;
                if (t.FutexAddress == address && (t.FutexBitset & bitset) != 0)
                {
                    Scheduler.Wake(t, 0);
                    woken++;
                }
                t = next;
            }
            return woken;
        }

        /// <summary>FUTEX_(CMP_)REQUEUE: wakes <paramref name="wakeCount"/> waiters and moves up to <paramref name="moveCount"/> others to <paramref name="target"/>.</summary>
        public static int Requeue(ulong address, int wakeCount, ulong target, int moveCount)
        {
            int woken = Wake(address, wakeCount, AllBits);
            int moved = 0;
            for (Thread t = s_waiters.Head; t != null && moved < moveCount; t = t.NextWaiter)
            {
                if (t.FutexAddress != address) continue;
                t.FutexAddress = target;
                moved++;
            }
            return woken + moved;
        }
    }
}
