#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;
using Kernel.Time;

namespace Kernel.SelfTest
{
    // uk.selftest=clock: monotonic and realtime never go backwards over many reads, and a 10 ms busy wait
    // measures 10 ms both on the clock itself and on an independent reference, PIT channel 0 (which the
    // TSC was calibrated against: this checks the calibration held, not just the arithmetic).
    internal static unsafe class ClockSelfTest
    {
        private const int Reads = 200_000;
        private const ulong Wait = 10_000_000;

        public static void Run()
        {
            ulong backwards = 0, realtimeBackwards = 0;
            ulong previous = Clock.MonotonicNanoseconds, previousRealtime = Clock.RealtimeNanoseconds;
            ulong first = previous;
            for (int i = 0; i < Reads; i++)
            {
                ulong now = Clock.MonotonicNanoseconds;
                ulong realtime = Clock.RealtimeNanoseconds;
                if (now < previous) backwards++;
                if (realtime < previousRealtime) realtimeBackwards++;
                previous = now;
                previousRealtime = realtime;
            }
            KernelConsole.Prefix();
            KernelConsole.Write("selftest clock: ");
            KernelConsole.WriteDecimal(Reads);
            KernelConsole.Write(" reads over ");
            KernelConsole.WriteDecimal(previous - first);
            KernelConsole.Write(" ns, monotonic went back ");
            KernelConsole.WriteDecimal(backwards);
            KernelConsole.Write(" times, realtime ");
            KernelConsole.WriteDecimal(realtimeBackwards);
            KernelConsole.WriteLine(" times");
            if (backwards != 0 || realtimeBackwards != 0) SelfTestOutput.Fail("a clock went backwards");
            if (previous == first) SelfTestOutput.Fail("the monotonic clock does not move");

            // 10 ms = 11,932 PIT ticks: within one 16-bit countdown. Measured three times, the last counts: under
            // TCG the first runs of any code include translating it (tens of microseconds here).
            ulong measured = 0, pitNanoseconds = 0;
            for (int round = 0; round < 3; round++)
            {
                Pit.StartCountdown(0xFFFF);
                ushort pitBefore = Pit.ReadCount();
                ulong before = Clock.MonotonicNanoseconds;
                Clock.BusyWait(Wait);
                ulong after = Clock.MonotonicNanoseconds;
                ushort pitAfter = Pit.ReadCount();
                measured = after - before;
                pitNanoseconds = TimeScale.MultiplyDivide((ushort)(pitBefore - pitAfter), Clock.NanosecondsPerSecond, Pit.FrequencyHz);
            }

            KernelConsole.Prefix();
            KernelConsole.Write("selftest clock: busy wait of ");
            KernelConsole.WriteDecimal(Wait);
            KernelConsole.Write(" ns measured ");
            KernelConsole.WriteDecimal(measured);
            KernelConsole.Write(" ns on the clock, ");
            KernelConsole.WriteDecimal(pitNanoseconds);
            KernelConsole.Write(" ns on the PIT (");
            SelfTestOutput.WritePercent(measured, pitNanoseconds);
            KernelConsole.WriteLine(")");
            // Never short; longer only when the host did not run the VM at the end of the wait (not checked).
            if (measured < Wait) SelfTestOutput.Fail("the busy wait ended early on the clock");
            // One PIT read at each end (~1 us under TCG) and the calibration error: 1% is generous.
            ulong difference = measured > pitNanoseconds ? measured - pitNanoseconds : pitNanoseconds - measured;
            if (difference > pitNanoseconds / 100) SelfTestOutput.Fail("the clock and the PIT disagree by more than 1%");
            SelfTestOutput.Pass("selftest clock: all checks passed (ok)");
        }
    }
}
#endif
