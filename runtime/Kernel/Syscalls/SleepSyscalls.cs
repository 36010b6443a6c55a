using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // Sleeping: the thread parks with a deadline and the scheduler's timer check wakes it; a signal
    // handler interrupts it (-EINTR and the time left, as Linux).
    internal static unsafe class SleepSyscalls
    {
        private const ulong ClockRealtime = 0, ClockMonotonic = 1, ClockBoottime = 7, TimerAbsolute = 1;

        // nanosleep(request, remaining)
        public static long nanosleep(SyscallFrame call)
        {
            ulong nanoseconds;
            long error;
            if (!UserMemory.TryReadTimespec(call.Arg0, out nanoseconds, out error)) return error;
            return SleepUntil(Blocking.DeadlineAfter(nanoseconds), call.Arg1);
        }

        // clock_nanosleep(clock, flags, request, remaining): returns the error number itself, not -1/errno.
        public static long clock_nanosleep(SyscallFrame call)
        {
            ulong clock = call.Arg0;
            if (clock != ClockRealtime && clock != ClockMonotonic && clock != ClockBoottime) return -Errno.EINVAL;
            ulong nanoseconds;
            long error;
            if (!UserMemory.TryReadTimespec(call.Arg2, out nanoseconds, out error)) return error;
            if ((call.Arg1 & TimerAbsolute) == 0) return SleepUntil(Blocking.DeadlineAfter(nanoseconds), call.Arg3);
            if (clock == ClockRealtime) nanoseconds = Time.Clock.RealtimeToMonotonicNanoseconds(nanoseconds);
            return SleepUntil(nanoseconds, 0);   // an absolute sleep has no remainder to report
        }

        // A signal handler ends the sleep with -EINTR, SA_RESTART or not, and the time left goes to
        // `remaining` (if not null) on the way back to ring 3 (Scheduler.Wake, SignalDelivery).
        private static long SleepUntil(ulong deadline, ulong remaining)
        {
            if (deadline <= Time.Clock.MonotonicNanoseconds) return 0;
            long parked = Scheduler.Block(null, restart: false, deadline: deadline, timeoutResult: 0);
            Thread current = Scheduler.Current;
            if (current != null)
            {
                current.EndsOnSignal = true;
                current.SleepRemainder = remaining;
            }
            return parked;
        }
    }
}
