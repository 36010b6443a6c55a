using Kernel.LinuxAbi;
using Kernel.Time;

namespace Kernel.Syscalls
{
    // The clock system calls that never block (nanosleep and clock_nanosleep park the thread: the
    // scheduler's). Every clock reads the TSC (Time/Clock), so all have 1 ns resolution.
    internal static unsafe class TimeSyscalls
    {
        // Linux clock ids (include/uapi/linux/time.h).
        public const long ClockRealtime = 0, ClockMonotonic = 1, ClockProcessCputime = 2, ClockThreadCputime = 3;
        public const long ClockMonotonicRaw = 4, ClockRealtimeCoarse = 5, ClockMonotonicCoarse = 6, ClockBoottime = 7;
        public const long ClockTai = 11;

        private struct Timespec { public long Seconds; public long Nanoseconds; }
        private struct Timeval { public long Seconds; public long Microseconds; }
        private struct Timezone { public int MinutesWest; public int DstTime; }

        // clock_gettime(clockid, struct timespec* tp)
        public static long clock_gettime(SyscallFrame call)
        {
            ulong nanoseconds;
            if (!TryRead((long)call.Arg0, out nanoseconds)) return -Errno.EINVAL;
            if (!UserMemory.IsWritableUserRange(call.Arg1, (ulong)sizeof(Timespec))) return -Errno.EFAULT;
            Store((Timespec*)call.Arg1, nanoseconds);
            return 0;
        }

        // clock_getres(clockid, struct timespec* res); res may be null.
        public static long clock_getres(SyscallFrame call)
        {
            ulong unused;
            if (!TryRead((long)call.Arg0, out unused)) return -Errno.EINVAL;
            if (call.Arg1 == 0) return 0;
            if (!UserMemory.IsWritableUserRange(call.Arg1, (ulong)sizeof(Timespec))) return -Errno.EFAULT;
            Store((Timespec*)call.Arg1, 1);
            return 0;
        }

        // gettimeofday(struct timeval* tv, struct timezone* tz); either may be null; the zone is always UTC.
        public static long gettimeofday(SyscallFrame call)
        {
            if (call.Arg0 != 0 && !UserMemory.IsWritableUserRange(call.Arg0, (ulong)sizeof(Timeval))) return -Errno.EFAULT;
            if (call.Arg1 != 0 && !UserMemory.IsWritableUserRange(call.Arg1, (ulong)sizeof(Timezone))) return -Errno.EFAULT;
            if (call.Arg0 != 0)
            {
                ulong now = Clock.RealtimeNanoseconds;
                var tv = (Timeval*)call.Arg0;
                tv->Seconds = (long)(now / Clock.NanosecondsPerSecond);
                tv->Microseconds = (long)(now % Clock.NanosecondsPerSecond / 1000);
            }
            if (call.Arg1 != 0)
            {
                var tz = (Timezone*)call.Arg1;
                tz->MinutesWest = 0;
                tz->DstTime = 0;
            }
            return 0;
        }

        // time(time_t* tloc); tloc may be null.
        public static long time(SyscallFrame call)
        {
            long seconds = (long)(Clock.RealtimeNanoseconds / Clock.NanosecondsPerSecond);
            if (call.Arg0 != 0)
            {
                if (!UserMemory.IsWritableUserRange(call.Arg0, sizeof(long))) return -Errno.EFAULT;
                *(long*)call.Arg0 = seconds;
            }
            return seconds;
        }

        // PROCESS_CPUTIME_ID and THREAD_CPUTIME_ID come from the scheduler's accounting (time a thread ran, in
        // the kernel on its behalf included, idle excluded; outside an app thread: monotonic). TAI = realtime, as on Linux before ntpd sets an offset.
        // Negative ids (another process's or thread's CPU clock) and the alarm clocks are EINVAL.
        private static bool TryRead(long clock, out ulong nanoseconds)
        {
            switch (clock)
            {
                case ClockRealtime:
                case ClockRealtimeCoarse:
                case ClockTai:
                    nanoseconds = Clock.RealtimeNanoseconds;
                    return true;
                case ClockMonotonic:
                case ClockMonotonicRaw:
                case ClockMonotonicCoarse:
                case ClockBoottime:
                    nanoseconds = Clock.MonotonicNanoseconds;
                    return true;
                case ClockProcessCputime:
                    nanoseconds = Threads.Scheduler.Current != null ? Threads.Scheduler.ProcessCpuNanoseconds() : Clock.MonotonicNanoseconds;
                    return true;
                case ClockThreadCputime:
                    nanoseconds = Threads.Scheduler.Current != null ? Threads.Scheduler.ThreadCpuNanoseconds(Threads.Scheduler.Current) : Clock.MonotonicNanoseconds;
                    return true;
                default:
                    nanoseconds = 0;
                    return false;
            }
        }

        private static void Store(Timespec* destination, ulong nanoseconds)
        {
            destination->Seconds = (long)(nanoseconds / Clock.NanosecondsPerSecond);
            destination->Nanoseconds = (long)(nanoseconds % Clock.NanosecondsPerSecond);
        }
    }
}
