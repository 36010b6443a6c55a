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
        private const ulong RateWindow = 20_000_000;
        // The first periodic tick's hook runs this late on purpose, as when the host deschedules QEMU after the
        // CPU took the interrupt: the judgement below must see through it on every run, not only on a busy host.
        private const ulong LateHookDelay = Period * 3 / 2;
        // A stamp whose TSC bracket is wider than this (the host stalled the counter read) is left out.
        private const ulong StampBracketLimit = 50_000;

        private const int Recorded = 32;
        private struct TickStamps
        {
            public fixed ulong Tsc[Recorded];
            public fixed ulong Bracket[Recorded];
            public fixed uint CountLeft[Recorded];
        }

        private static ulong s_hookCalls;
        private static bool s_delayFirstHook;
        private static TickStamps s_stamps;

        // The scheduler's place: counts the tick and notes when it was handled (TSC, and how wide the read's
        // bracket was) and how far the APIC had already counted into the next period (its lateness, measured
        // by the APIC itself).
        private static InterruptFrame* CountingHook(InterruptFrame* frame)
        {
            if (s_hookCalls == 0 && s_delayFirstHook) Clock.BusyWait(LateHookDelay);
            if (s_hookCalls < Recorded)
            {
                fixed (TickStamps* stamps = &s_stamps)
                {
                    ulong before = Cpu.ReadTimeStampCounter();
                    uint left = LocalApic.TimerCurrentCount;
                    ulong after = Cpu.ReadTimeStampCounter();
                    stamps->Tsc[s_hookCalls] = before + (after - before) / 2;
                    stamps->Bracket[s_hookCalls] = after - before;
                    stamps->CountLeft[s_hookCalls] = left;
                }
            }
            s_hookCalls++;
            return frame;
        }

        public static void Run()
        {
            CounterRate();
            TimerInterrupt.Hook = &CountingHook;
            Periodic();
            StateSurvivesTicks();
            OneShot();
            TimerInterrupt.Hook = null;
            SelfTestOutput.Pass("selftest timer: all checks passed (ok)");
        }

        // The counter (one-shot, stopped long before it expires) against the TSC over RateWindow: each end the
        // best-bracketed of five reads, so a host stall inside the window or in a read does not move it.
        private static void CounterRate()
        {
            ulong calibrated = LocalApic.TimerFrequency;
            LocalApic.StartOneShotTimer(LocalApic.MaximumTimerNanoseconds, InterruptVectors.Timer);
            ulong startTsc, startBracket, endTsc, endBracket;
            uint startCount = LocalApic.SampleCount(out startTsc, out startBracket);
            Clock.BusyWait(RateWindow);
            uint endCount = LocalApic.SampleCount(out endTsc, out endBracket);
            LocalApic.StopTimer();
            if (endCount >= startCount) SelfTestOutput.Fail("the APIC timer's counter does not count");
            uint counted = startCount - endCount;
            ulong elapsed = endTsc - startTsc;
            ulong measured = TimeScale.MultiplyDivide(counted, Clock.TscFrequency, elapsed);
            ulong boundPpm = MeasurementWindow.ErrorPpm(MeasurementWindow.UncertaintyTicks(startBracket, endBracket, counted, elapsed), elapsed);

            KernelConsole.Prefix();
            KernelConsole.Write("selftest timer: counter against the TSC over ");
            KernelConsole.WriteDecimal(Clock.TscTicksToNanoseconds(elapsed) / 1000);
            KernelConsole.Write(" us: ");
            KernelConsole.WriteDecimal(measured);
            KernelConsole.Write(" Hz (within ");
            KernelConsole.WriteDecimal(boundPpm);
            KernelConsole.Write(" ppm), calibrated ");
            KernelConsole.WriteDecimal(calibrated);
            KernelConsole.Write(" Hz (");
            SelfTestOutput.WritePercent(calibrated, measured);
            KernelConsole.WriteLine(")");
            // 0.5%: five times the calibration's own bound, plus this measurement's.
            ulong difference = calibrated > measured ? calibrated - measured : measured - calibrated;
            if (difference > measured / 200 + TimeScale.MultiplyDivide(measured, boundPpm, 1_000_000))
                SelfTestOutput.Fail("the calibrated APIC timer rate disagrees with the counter against the TSC");
        }

        private static void Periodic()
        {
            ulong ticksBefore = TimerInterrupt.Ticks;
            s_hookCalls = 0;
            s_delayFirstHook = true;
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
            s_delayFirstHook = false;
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
            OnTheGrid(periodCounts);
        }

        // How long the run took depends on the host too: QEMU raises a tick late when its timer thread runs
        // late, and drops the ticks it missed. The APIC's grid does not move, though: a tick handled `late` ns
        // after its expiry sees the counter already `late` into the next period. So successive ticks' expiries
        // are whole numbers of periods apart, on the TSC, if the two clocks agree -- whatever the host did.
        // Two things the host can do blur a stamp, and they are set aside rather than judged: a counter read
        // stalled inside its TSC bracket (the stamp is left out), and a hook that ran a whole period or more
        // after its tick's expiry (the counter had wrapped, so its stamp shows the next expiry, the one whose
        // interrupt then comes at once: two stamps on one expiry, and the earlier is dropped).
        private static void OnTheGrid(uint periodCounts)
        {
            ulong programmed = TimeScale.MultiplyDivide(periodCounts, Clock.NanosecondsPerSecond, LocalApic.TimerFrequency);
            ulong slack = programmed / 1000 + 2_000;   // the calibration's 0.1% over a `late` of up to a period, and the read itself
            int used = 0, leftOut = 0, handledLate = 0;
            ulong firstExpiry = 0, firstBracket = 0, previousExpiry = 0, previousBracket = 0, periods = 0;
            for (int i = 0; i < PeriodicTicks; i++)
            {
                ulong bracket = StampBracket(i);
                if (bracket > StampBracketLimit) { leftOut++; continue; }
                ulong expiry = ExpiryNanoseconds(i, periodCounts);
                { ulong t; fixed (TickStamps* st = &s_stamps) t = st->Tsc[i]; KernelConsole.Prefix(); KernelConsole.Write("DBG stamp "); KernelConsole.WriteDecimal((ulong)i); KernelConsole.Write(" handled "); KernelConsole.WriteDecimal(Clock.TscToMonotonicNanoseconds(t)); KernelConsole.Write(" expiry "); KernelConsole.WriteDecimal(expiry); KernelConsole.Write(" bracket "); KernelConsole.WriteDecimal(bracket); KernelConsole.WriteLine(""); }
                if (used == 0)
                {
                    firstExpiry = expiry;
                    firstBracket = bracket;
                }
                else
                {
                    if (expiry < previousExpiry && previousExpiry - expiry > programmed / 4)
                        SelfTestOutput.Fail("a tick's expiry came before the previous tick's");
                    ulong step = expiry > previousExpiry ? expiry - previousExpiry : 0;
                    if (step < programmed / 4)
                    {
                        // The same expiry again: the previous stamp was taken a period or more late.
                        handledLate++;
                        if (used == 1) { firstExpiry = expiry; firstBracket = bracket; }
                        previousExpiry = expiry;
                        previousBracket = bracket;
                        continue;
                    }
                    ulong steps = (step + programmed / 2) / programmed;
                    ulong off = step > steps * programmed ? step - steps * programmed : steps * programmed - step;
                    if (off > steps * programmed / 200 + (previousBracket + bracket) / 2 + slack)
                        SelfTestOutput.Fail("two ticks' expiries are not whole periods apart: the APIC timer's period disagrees with the TSC");
                    periods += steps;
                }
                used++;
                previousExpiry = expiry;
                previousBracket = bracket;
            }
            if (used < PeriodicTicks / 2) SelfTestOutput.Fail("too few ticks' stamps to judge (the host stalled most counter reads)");
            ulong span = previousExpiry - firstExpiry;
            ulong measuredPeriod = span / periods;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest timer: tick expiries span ");
            KernelConsole.WriteDecimal(periods);
            KernelConsole.Write(" periods over ");
            KernelConsole.WriteDecimal((ulong)used);
            KernelConsole.Write(" ticks (");
            KernelConsole.WriteDecimal(periods + 1 - (ulong)used);
            KernelConsole.Write(" lost to the host, ");
            KernelConsole.WriteDecimal((ulong)handledLate);
            KernelConsole.Write(" handled a period late, ");
            KernelConsole.WriteDecimal((ulong)leftOut);
            KernelConsole.Write(" stalled reads left out); period on the TSC ");
            KernelConsole.WriteDecimal(measuredPeriod);
            KernelConsole.Write(" ns (");
            SelfTestOutput.WritePercent(measuredPeriod, programmed);
            KernelConsole.WriteLine(")");
            ulong error = span > periods * programmed ? span - periods * programmed : periods * programmed - span;
            // The APIC and TSC calibrations agree within 0.1% (the calibration's bound); 0.5% plus two reads.
            if (error > periods * programmed / 200 + (firstBracket + previousBracket) / 2 + slack) SelfTestOutput.Fail("the APIC timer's period disagrees with the TSC");
        }

        private static ulong StampBracket(int index)
        {
            fixed (TickStamps* stamps = &s_stamps) return Clock.TscTicksToNanoseconds(stamps->Bracket[index]);
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
