#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;
using Kernel.Time;

namespace Kernel.SelfTest
{
    // uk.selftest=timer: the local APIC timer interrupts a halted CPU at its calibrated period. Periodic:
    // 20 ticks of 5 ms take at least 100 ms of monotonic time (ticks cannot come early), their expiries lie
    // on the period's grid as the TSC sees it (ticks the host delivered late or dropped do not matter), and
    // every tick goes through the scheduler's hook. Then C# state must survive ticks that interrupt running
    // code, and a one-shot timer must fire exactly once.
    internal static unsafe class TimerSelfTest
    {
        // 20 x 5 ms: 100 ms in all.
        private const int PeriodicTicks = 20;
        private const ulong Period = 5_000_000;
        private const ulong OneShotDelay = 5_000_000;
        private const ulong Timeout = 5_000_000_000;

        private const int Recorded = 32;
        private struct TickStamps { public fixed ulong Tsc[Recorded]; public fixed uint CountLeft[Recorded]; }

        private static ulong s_hookCalls;
        private static TickStamps s_stamps;

        // The scheduler's place: counts the tick and notes when it was handled (TSC) and how far the APIC
        // had already counted into the next period (its lateness, measured by the APIC itself).
        private static InterruptFrame* CountingHook(InterruptFrame* frame)
        {
            if (s_hookCalls < Recorded)
            {
                fixed (TickStamps* stamps = &s_stamps)
                {
                    ulong before = Cpu.ReadTimeStampCounter();
                    uint left = LocalApic.TimerCurrentCount;
                    ulong after = Cpu.ReadTimeStampCounter();
                    stamps->Tsc[s_hookCalls] = before + (after - before) / 2;
                    stamps->CountLeft[s_hookCalls] = left;
                }
            }
            s_hookCalls++;
            return frame;
        }

        public static void Run()
        {
            TimerInterrupt.Hook = &CountingHook;
            Periodic();
            StateSurvivesTicks();
            OneShot();
            TimerInterrupt.Hook = null;
            SelfTestOutput.Pass("selftest timer: all checks passed (ok)");
        }

        private static void Periodic()
        {
            ulong ticksBefore = TimerInterrupt.Ticks;
            s_hookCalls = 0;
            ulong start = Clock.MonotonicNanoseconds;
            LocalApic.StartPeriodicTimer(Period, InterruptVectors.Timer);
            while (TimerInterrupt.Ticks - ticksBefore < PeriodicTicks)
            {
                if (Clock.MonotonicNanoseconds - start > Timeout) SelfTestOutput.Fail("the periodic timer did not interrupt the halted CPU");
                Cpu.WaitForInterrupt();
            }
            ulong elapsed = Clock.MonotonicNanoseconds - start;
            uint periodCounts = LocalApic.TimerInitialCount;
            LocalApic.StopTimer();
            ulong ticks = TimerInterrupt.Ticks - ticksBefore;
            ulong expected = PeriodicTicks * Period;

            KernelConsole.Prefix();
            KernelConsole.Write("selftest timer: ");
            KernelConsole.WriteDecimal(ticks);
            KernelConsole.Write(" ticks of ");
            KernelConsole.WriteDecimal(Period);
            KernelConsole.Write(" ns took ");
            KernelConsole.WriteDecimal(elapsed);
            KernelConsole.Write(" ns (expected ");
            KernelConsole.WriteDecimal(expected);
            KernelConsole.Write(", ");
            SelfTestOutput.WritePercent(elapsed, expected);
            KernelConsole.Write("), hook called ");
            KernelConsole.WriteDecimal(s_hookCalls);
            KernelConsole.WriteLine(" times");
            if (s_hookCalls != ticks) SelfTestOutput.Fail("the hook did not see every tick");
            // Ticks cannot come early: early by more than the calibration error means a wrong APIC rate.
            if (elapsed < expected - expected / 200) SelfTestOutput.Fail("ticks came early: the APIC timer runs fast");

            // How long the run took depends on the host too: QEMU raises a tick late when its timer thread
            // runs late, and drops the ticks it missed. The APIC's grid does not move, though: a tick handled
            // `late` ns after its expiry sees the counter already `late` into the next period. So the
            // expiries of the first and last tick are a whole number of periods apart, on the TSC, if the two
            // clocks agree -- whatever the host did.
            ulong programmed = TimeScale.MultiplyDivide(periodCounts, Clock.NanosecondsPerSecond, LocalApic.TimerFrequency);
            ulong firstExpiry = ExpiryNanoseconds(0, periodCounts);
            ulong lastExpiry = ExpiryNanoseconds(PeriodicTicks - 1, periodCounts);
            ulong span = lastExpiry - firstExpiry;
            ulong periods = (span + programmed / 2) / programmed;
            ulong measuredPeriod = periods == 0 ? 0 : span / periods;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest timer: tick expiries span ");
            KernelConsole.WriteDecimal(periods);
            KernelConsole.Write(" periods (");
            KernelConsole.WriteSigned((long)periods + 1 - PeriodicTicks);
            KernelConsole.Write(" ticks lost to the host); period on the TSC ");
            KernelConsole.WriteDecimal(measuredPeriod);
            KernelConsole.Write(" ns (");
            SelfTestOutput.WritePercent(measuredPeriod, programmed);
            KernelConsole.WriteLine(")");
            if (periods < PeriodicTicks - 1) SelfTestOutput.Fail("fewer periods than ticks: the APIC timer runs fast");
            ulong error = span > periods * programmed ? span - periods * programmed : periods * programmed - span;
            // The APIC and TSC calibrations agree within 0.02% under TCG; 0.5% plus two reads' jitter.
            if (error > periods * programmed / 200 + 20_000) SelfTestOutput.Fail("the APIC timer's period disagrees with the TSC");
        }

        // When tick `index`'s period expired, in monotonic ns: when it was handled, less how far the counter
        // had run into the next period by then.
        private static ulong ExpiryNanoseconds(int index, uint periodCounts)
        {
            ulong tsc;
            uint left;
            fixed (TickStamps* stamps = &s_stamps)
            {
                tsc = stamps->Tsc[index];
                left = stamps->CountLeft[index];
            }
            ulong late = TimeScale.MultiplyDivide(periodCounts - left, Clock.NanosecondsPerSecond, LocalApic.TimerFrequency);
            return Clock.TscToMonotonicNanoseconds(tsc) - late;
        }

        // Ticks land in the middle of integer and floating-point work (interrupts on, no hlt): every
        // register, the SSE ones included, must come back.
        private static void StateSurvivesTicks()
        {
            ulong ticksBefore = TimerInterrupt.Ticks;
            ulong start = Clock.MonotonicNanoseconds;
            LocalApic.StartPeriodicTimer(Period / 16, InterruptVectors.Timer);
            Cpu.EnableInterrupts();
            double sum = 0;
            long product = 1, iterations = 0;
            while (TimerInterrupt.Ticks - ticksBefore < 20 && Clock.MonotonicNanoseconds - start < Timeout)
            {
                sum += 0.25;
                product = product * 3 % 1_000_003;
                iterations++;
            }
            Cpu.DisableInterrupts();
            LocalApic.StopTimer();
            long expectedProduct = 1;
            for (long i = 0; i < iterations; i++) expectedProduct = expectedProduct * 3 % 1_000_003;
            bool intact = sum == iterations * 0.25 && product == expectedProduct;

            KernelConsole.Prefix();
            KernelConsole.Write("selftest timer: ");
            KernelConsole.WriteDecimal(TimerInterrupt.Ticks - ticksBefore);
            KernelConsole.Write(" ticks interrupted ");
            KernelConsole.WriteDecimal((ulong)iterations);
            KernelConsole.WriteLine(intact ? " loop iterations, state intact" : " loop iterations, state CORRUPTED");
            if (TimerInterrupt.Ticks - ticksBefore < 20) SelfTestOutput.Fail("no ticks while interrupts were enabled");
            if (!intact) SelfTestOutput.Fail("a timer interrupt corrupted the interrupted code's registers");
        }

        private static void OneShot()
        {
            // A tick the earlier parts' timer raised just before it was stopped may still be pending: take it.
            Cpu.EnableInterrupts();
            Cpu.DisableInterrupts();
            ulong ticksBefore = TimerInterrupt.Ticks;
            ulong start = Clock.MonotonicNanoseconds;
            LocalApic.StartOneShotTimer(OneShotDelay, InterruptVectors.Timer);
            while (TimerInterrupt.Ticks == ticksBefore)
            {
                if (Clock.MonotonicNanoseconds - start > Timeout) SelfTestOutput.Fail("the one-shot timer did not fire");
                Cpu.WaitForInterrupt();
            }
            ulong fired = Clock.MonotonicNanoseconds - start;
            // Nothing more may come: wait with interrupts on for three more delays.
            Cpu.EnableInterrupts();
            Clock.BusyWait(3 * OneShotDelay);
            Cpu.DisableInterrupts();
            ulong ticks = TimerInterrupt.Ticks - ticksBefore;

            KernelConsole.Prefix();
            KernelConsole.Write("selftest timer: one-shot of ");
            KernelConsole.WriteDecimal(OneShotDelay);
            KernelConsole.Write(" ns fired after ");
            KernelConsole.WriteDecimal(fired);
            KernelConsole.Write(" ns, ");
            KernelConsole.WriteDecimal(ticks);
            KernelConsole.WriteLine(" tick(s) in all");
            if (fired < OneShotDelay - OneShotDelay / 200) SelfTestOutput.Fail("the one-shot timer fired early");
            if (ticks != 1) SelfTestOutput.Fail("the one-shot timer fired more than once");
        }
    }
}
#endif
