#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;
using Kernel.Time;

namespace Kernel.SelfTest
{
    // uk.selftest=timer: the local APIC timer interrupts a halted CPU at its calibrated period. Periodic:
    // 20 ticks of 5 ms must take 100 ms of monotonic time (never less: ticks cannot come early; up to 15%
    // more when the host is slow to deliver them), and every tick goes through the scheduler's hook. Then C#
    // state must survive ticks that interrupt running code, and a one-shot timer must fire exactly once.
    internal static unsafe class TimerSelfTest
    {
        // 20 x 5 ms: a period long enough that a busy host rarely delays a tick past the next one (QEMU then
        // drops the late tick), short enough to keep the test at 100 ms.
        private const int PeriodicTicks = 20;
        private const ulong Period = 5_000_000;
        private const ulong OneShotDelay = 5_000_000;
        private const ulong Timeout = 5_000_000_000;

        private static ulong s_hookCalls;

        private static InterruptFrame* CountingHook(InterruptFrame* frame)
        {
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
            // Early by more than the calibration error = a wrong APIC rate; late by over 15% = a slow APIC
            // rate, or ticks lost to a host that did not run the VM for several periods.
            if (elapsed < expected - expected / 200) SelfTestOutput.Fail("ticks came early: the APIC timer runs fast");
            if (elapsed > expected + expected * 15 / 100) SelfTestOutput.Fail("ticks came late: the APIC timer runs slow or ticks were lost");
            if (s_hookCalls != ticks) SelfTestOutput.Fail("the hook did not see every tick");
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
