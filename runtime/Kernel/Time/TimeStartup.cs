using Kernel.Arch;

namespace Kernel.Time
{
    // Boot-time set-up of time and timer interrupts, in the order the pieces need:
    // 1. the 8259 PICs masked and the local APIC enabled (every local interrupt masked), the timer's
    //    handler registered -- the APIC's counter is then started, to be measured against the TSC at its
    //    first use (LocalApic), unless the platform states its rate;
    // 2. the TSC frequency (uk.tsc.khz, CPUID, kvmclock, else ~1 ms against the PIT), which makes Clock usable;
    // 3. the wall clock from the CMOS RTC.
    // Interrupts stay off: the first `sti` is the scheduler's (or a self-test's) decision.
    internal static unsafe class TimeStartup
    {
        /// <summary>TSC ticks the whole set-up took (TSC calibration included): the boot report shows it.</summary>
        public static ulong CostTicks;
        /// <summary>Unix seconds the RTC said at boot (0 without an RTC).</summary>
        public static long RtcUnixSecondsAtBoot;

        /// <summary>Null, or why the kernel cannot keep time.</summary>
        public static string Initialize(ulong bootTsc)
        {
            ulong start = Cpu.ReadTimeStampCounter();
            LegacyPic.MaskAllLines();
            if (!LocalApic.Initialize()) return "no local APIC (CPUID.1:EDX.APIC is clear): no timer interrupt";
            InterruptHandlers.Register(InterruptVectors.Timer, &TimerInterrupt.Handle);
            LocalApic.BeginCalibration();

            TscCalibration.Calibrate();
            Clock.Initialize(bootTsc, TscCalibration.FrequencyHz);

            long unixSeconds;
            if (CmosRtc.TryRead(out unixSeconds) && unixSeconds > 0)
            {
                RtcUnixSecondsAtBoot = unixSeconds;
                Clock.SetWallClock((ulong)unixSeconds * Clock.NanosecondsPerSecond, Clock.MonotonicNanoseconds);
            }
            CostTicks = Cpu.ReadTimeStampCounter() - start;
            return null;
        }
    }
}
