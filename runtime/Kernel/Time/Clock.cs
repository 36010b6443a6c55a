using Kernel.Arch;

namespace Kernel.Time
{
    // The kernel's time base: the TSC, calibrated once at boot (TscCalibration), read with rdtsc and
    // scaled to nanoseconds with one 64x64-bit multiply. There is no clock interrupt behind it, so it
    // works with interrupts off and costs no timer ticks.
    //
    // - Monotonic time counts from the boot stub's entry (uk_boot_info.EntryTsc) and never goes back
    //   (one CPU; under QEMU TCG the TSC follows the host's TSC, under -icount shift=0 the instruction
    //   counter). There is no suspend, so CLOCK_BOOTTIME is the same clock.
    // - Realtime = the CMOS RTC's reading at boot (whole seconds, so up to 1 s behind the true time) plus
    //   the monotonic time since that reading. Without an RTC it starts at 0 (1970-01-01) and the boot
    //   report says so. Nothing steps or slews it afterwards (no NTP, no settimeofday yet).
    // - Rate accuracy is the calibration's (TscCalibration.ErrorPpm when measured against the PIT).
    internal static unsafe class Clock
    {
        public const ulong NanosecondsPerSecond = 1_000_000_000;

        private static ulong s_baseTsc;
        private static ulong s_tscHz;
        private static TimeScale s_tscToNanoseconds;
        private static ulong s_realtimeAtMonotonicZero;
        private static bool s_hasWallClock;

        /// <summary>TSC ticks per second (0 before Initialize).</summary>
        public static ulong TscFrequency => s_tscHz;

        /// <summary>Nanoseconds since the boot stub's entry.</summary>
        public static ulong MonotonicNanoseconds => s_tscToNanoseconds.Apply(Cpu.ReadTimeStampCounter() - s_baseTsc);

        /// <summary>Nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds): RTC at boot + monotonic.</summary>
        public static ulong RealtimeNanoseconds => s_realtimeAtMonotonicZero + MonotonicNanoseconds;

        /// <summary>A CLOCK_REALTIME instant as a monotonic one (0 if it precedes boot): absolute timeouts and sleeps.</summary>
        public static ulong RealtimeToMonotonicNanoseconds(ulong realtime) =>
            realtime > s_realtimeAtMonotonicZero ? realtime - s_realtimeAtMonotonicZero : 0;

        /// <summary>Whether realtime came from a real-time clock (false: it started at 1970-01-01 at boot).</summary>
        public static bool HasWallClock => s_hasWallClock;

        /// <summary>Monotonic nanoseconds at a TSC value read earlier (e.g. an interrupt's entry).</summary>
        public static ulong TscToMonotonicNanoseconds(ulong tsc) => tsc <= s_baseTsc ? 0 : s_tscToNanoseconds.Apply(tsc - s_baseTsc);

        public static ulong TscTicksToNanoseconds(ulong ticks) => s_tscToNanoseconds.Apply(ticks);

        public static ulong NanosecondsToTscTicks(ulong nanoseconds) => TimeScale.MultiplyDivide(nanoseconds, s_tscHz, NanosecondsPerSecond);

        /// <summary>Spins (interrupts stay as they are) until <paramref name="nanoseconds"/> have passed.</summary>
        public static void BusyWait(ulong nanoseconds)
        {
            ulong start = Cpu.ReadTimeStampCounter();
            ulong ticks = NanosecondsToTscTicks(nanoseconds);
            while (Cpu.ReadTimeStampCounter() - start < ticks) Cpu.Pause();
        }

        internal static void Initialize(ulong baseTsc, ulong tscHz)
        {
            s_baseTsc = baseTsc;
            s_tscHz = tscHz;
            s_tscToNanoseconds = TimeScale.FromFrequencies(tscHz, NanosecondsPerSecond);
        }

        /// <summary>Sets realtime so that it reads <paramref name="unixNanoseconds"/> at monotonic time
        /// <paramref name="atMonotonicNanoseconds"/>.</summary>
        internal static void SetWallClock(ulong unixNanoseconds, ulong atMonotonicNanoseconds)
        {
            s_realtimeAtMonotonicZero = unixNanoseconds - atMonotonicNanoseconds;
            s_hasWallClock = true;
        }
    }
}
