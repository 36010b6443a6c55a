#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.LinuxAbi;
using Kernel.Memory;
using Kernel.Syscalls;
using Kernel.Time;

namespace Kernel.SelfTest
{
    // uk.selftest=time-syscalls: clock_gettime, clock_getres, gettimeofday, time and getrandom through the
    // system call table, with frames built the way uk_syscall_entry builds them and results written to a
    // page opened to ring 3 (as an app's would be): every clock id, null and kernel pointers, bad flags.
    internal static unsafe class TimeSyscallSelfTest
    {
        private const ulong PageSize = 4096;
        private static int s_checks;

        public static void Run()
        {
            ulong kernelPage = KernelMemory.Pages->AllocateZeroedPages(1);
            if (kernelPage == 0) Panic.Fail("selftest time-syscalls: out of pages");
            ulong page = SelfTestUserPages.Map(kernelPage, 1);
            // The test plays the app: it calls the handlers directly and reads what they wrote into its page.
            UserAccess.Begin();
            ulong kernelAddress = 0x100000;   // the kernel image: mapped, but not for ring 3
            long* words = (long*)page;

            // clock_gettime: every supported id, in order, sane and non-decreasing per clock.
            const int ClockCount = 9;
            long* clocks = stackalloc long[ClockCount];
            clocks[0] = TimeSyscalls.ClockRealtime; clocks[1] = TimeSyscalls.ClockMonotonic; clocks[2] = TimeSyscalls.ClockProcessCputime;
            clocks[3] = TimeSyscalls.ClockThreadCputime; clocks[4] = TimeSyscalls.ClockMonotonicRaw; clocks[5] = TimeSyscalls.ClockRealtimeCoarse;
            clocks[6] = TimeSyscalls.ClockMonotonicCoarse; clocks[7] = TimeSyscalls.ClockBoottime; clocks[8] = TimeSyscalls.ClockTai;
            for (int i = 0; i < ClockCount; i++)
            {
                Check(Call("clock_gettime", (ulong)clocks[i], page) == 0, "clock_gettime accepts every supported clock");
                Check(words[0] >= 0 && words[1] >= 0 && words[1] < 1_000_000_000, "clock_gettime writes a normalized timespec");
                long earlier = words[0] * 1_000_000_000 + words[1];
                Check(Call("clock_gettime", (ulong)clocks[i], page + 16) == 0, "clock_gettime works twice");
                Check(words[2] * 1_000_000_000 + words[3] >= earlier, "clock_gettime never goes backwards");
            }
            Call("clock_gettime", (ulong)TimeSyscalls.ClockMonotonic, page);
            ulong monotonic = Clock.MonotonicNanoseconds;
            long sampled = words[0] * 1_000_000_000 + words[1];
            Check(sampled > 0 && (ulong)sampled <= monotonic, "CLOCK_MONOTONIC is the kernel's monotonic clock");
            Call("clock_gettime", (ulong)TimeSyscalls.ClockRealtime, page);
            long realtimeSeconds = words[0];
            Check(!Clock.HasWallClock || realtimeSeconds > 1_600_000_000, "CLOCK_REALTIME is Unix time from the RTC");
            Check(Call("clock_gettime", 8, page) == -Errno.EINVAL, "clock_gettime rejects CLOCK_REALTIME_ALARM");
            Check(Call("clock_gettime", 10, page) == -Errno.EINVAL, "clock_gettime rejects clock 10");
            Check(Call("clock_gettime", 0xFFFF_FFFF_FFFF_FFFE, page) == -Errno.EINVAL, "clock_gettime rejects CPU clocks of other processes");
            Check(Call("clock_gettime", (ulong)TimeSyscalls.ClockMonotonic, 0) == -Errno.EFAULT, "clock_gettime rejects a null timespec");
            Check(Call("clock_gettime", (ulong)TimeSyscalls.ClockMonotonic, kernelAddress) == -Errno.EFAULT, "clock_gettime rejects a kernel address");
            Check(Call("clock_gettime", (ulong)TimeSyscalls.ClockMonotonic, page + PageSize - 8) == -Errno.EFAULT, "clock_gettime rejects a timespec running off the user page");

            // clock_getres: 1 ns, null allowed.
            words[0] = words[1] = -1;
            Check(Call("clock_getres", (ulong)TimeSyscalls.ClockMonotonic, page) == 0 && words[0] == 0 && words[1] == 1, "clock_getres reports 1 ns");
            Check(Call("clock_getres", (ulong)TimeSyscalls.ClockRealtimeCoarse, 0) == 0, "clock_getres takes a null pointer");
            Check(Call("clock_getres", 99, page) == -Errno.EINVAL, "clock_getres rejects unknown clocks");
            Check(Call("clock_getres", (ulong)TimeSyscalls.ClockMonotonic, kernelAddress) == -Errno.EFAULT, "clock_getres rejects a kernel address");

            // gettimeofday: seconds + microseconds of realtime, UTC zone.
            words[2] = words[3] = -1;
            Check(Call("gettimeofday", page, page + 16) == 0, "gettimeofday succeeds");
            Check(words[0] >= realtimeSeconds && words[0] <= realtimeSeconds + 1 && words[1] >= 0 && words[1] < 1_000_000, "gettimeofday gives realtime in microseconds");
            Check(words[2] == 0, "gettimeofday's zone is UTC");
            Check(Call("gettimeofday", 0, 0) == 0, "gettimeofday takes null pointers");
            Check(Call("gettimeofday", kernelAddress, 0) == -Errno.EFAULT, "gettimeofday rejects a kernel address");
            Check(Call("gettimeofday", page, kernelAddress) == -Errno.EFAULT, "gettimeofday rejects a kernel zone address");

            // time: the same seconds, returned and stored.
            long seconds = Call("time", 0, 0);
            Check(seconds >= realtimeSeconds && seconds <= realtimeSeconds + 1, "time returns realtime seconds");
            Check(Call("time", page + 64, 0) >= seconds && words[8] >= seconds, "time stores through its pointer");
            Check(Call("time", kernelAddress, 0) == -Errno.EFAULT, "time rejects a kernel address");

            // getrandom: fills exactly the buffer; flags checked as Linux does.
            byte* buffer = (byte*)(page + 256);
            for (int i = 0; i < 80; i++) buffer[i] = 0;
            Check(Call("getrandom", page + 256, 64, 0) == 64, "getrandom returns the length");
            int zeros = 0;
            for (int i = 0; i < 64; i++) if (buffer[i] == 0) zeros++;
            Check(zeros < 8, "getrandom fills the buffer");
            Check(buffer[64] == 0, "getrandom writes no further than asked");
            Check(Call("getrandom", page + 256, 16, RandomSyscalls.GrndNonblock) == 16, "getrandom takes GRND_NONBLOCK");
            Check(Call("getrandom", page + 256, 16, RandomSyscalls.GrndInsecure) == 16, "getrandom takes GRND_INSECURE");
            Check(Call("getrandom", page + 256, 0, 0) == 0, "getrandom of 0 bytes returns 0");
            Check(Call("getrandom", page + 256, 16, 0x8) == -Errno.EINVAL, "getrandom rejects unknown flags");
            Check(Call("getrandom", page + 256, 16, RandomSyscalls.GrndRandom | RandomSyscalls.GrndInsecure) == -Errno.EINVAL, "getrandom rejects GRND_RANDOM|GRND_INSECURE");
            Check(Call("getrandom", kernelAddress, 16, 0) == -Errno.EFAULT, "getrandom rejects a kernel address");

            KernelConsole.Prefix();
            KernelConsole.Write("selftest time-syscalls: ");
            KernelConsole.WriteDecimal((ulong)s_checks);
            KernelConsole.WriteLine(" checks passed (ok)");
        }

        private static long Call(string call, ulong arg0, ulong arg1, ulong arg2 = 0)
        {
            InterruptFrame frame = default;
            frame.Vector = InterruptDispatcher.SyscallVector;
            frame.Rax = SyscallTable.NumberOf(call);
            frame.Rdi = arg0;
            frame.Rsi = arg1;
            frame.Rdx = arg2;
            SyscallTable.Dispatch(&frame);
            UserAccess.Begin();   // the dispatcher closed SMAP's window; the test reads its pages like the app
            return (long)frame.Rax;
        }

        private static void Check(bool condition, string what)
        {
            s_checks++;
            if (!condition) SelfTestOutput.Fail(what);
        }
    }
}
#endif
