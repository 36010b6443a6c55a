using Kernel.Arch;

namespace Kernel.Time
{
    // The local APIC of the (one) CPU: the kernel's only interrupt controller for now, and its timer is the
    // scheduler's tick. xAPIC registers are 32-bit MMIO at the base IA32_APIC_BASE names (0xFEE00000 by
    // default, inside the boot page tables' identity map of the first 4 GiB; QEMU TCG ignores cache
    // attributes and KVM traps the page, so the write-back mapping is fine). Should firmware have left it
    // in x2APIC mode, the same registers are MSRs 0x800 + offset/16. The timer runs from the APIC bus clock
    // divided by 16 (QEMU: 1 GHz / 16 = 62.5 MHz, so periods from 16 ns to ~68 s). Its rate comes from the
    // platform where it says (CPUID 0x15's crystal, which feeds the APIC timer on Intel parts that enumerate
    // it; the hypervisor leaf 0x40000010's bus kHz), else it is measured against the TSC: the counter starts
    // at time set-up and is read again at first use (the scheduler's start), so the window costs nothing
    // when boot work fills it -- only a window shorter than MinimumCalibrationNanoseconds is waited out.
    // The tick (4 ms) is the timer's only use and deadlines are checked on the TSC, so the 0.1-0.2% that a
    // 250 us window can be off by under TCG (each end is an MMIO read of ~0.4 us) moves a tick by ~8 us.
    /// <summary>Where the local APIC timer's rate came from.</summary>
    internal enum ApicTimerSource : byte
    {
        MeasuredAgainstTsc,
        CpuidCrystal,
        HypervisorLeaf,
    }

    internal static unsafe partial class LocalApic
    {
        public const uint TimerDivider = 16;

        private const uint BaseMsr = 0x1B;
        private const ulong BaseMsrEnable = 1UL << 11, BaseMsrX2Apic = 1UL << 10;
        private const ulong BaseAddressMask = 0x000F_FFFF_FFFF_F000;
        private const uint X2ApicMsrBase = 0x800;
        private const uint CpuidApicBit = 1u << 9;   // CPUID.1:EDX

        private const uint IdRegister = 0x020, TaskPriority = 0x080, EndOfInterruptRegister = 0x0B0, SpuriousVector = 0x0F0;
        private const uint LvtTimer = 0x320, LvtLint0 = 0x350, LvtError = 0x370;
        private const uint InitialCount = 0x380, CurrentCount = 0x390, DivideConfiguration = 0x3E0;
        private const uint SoftwareEnable = 1u << 8;
        private const uint LvtMasked = 1u << 16, LvtTimerPeriodic = 1u << 17;
        private const uint DivideBy16 = 0x3;
        private const uint MaximumCount = 0xFFFF_FFFF;

        private struct Register { public volatile uint Value; }

        private static ulong s_base;
        private static bool s_x2Apic;
        private static bool s_enabled;
        private static ulong s_timerHz;
        private static ulong s_calibrationStartTsc;
        private static uint s_calibrationStartCount;
        private static bool s_calibrationPending;

        /// <summary>The shortest window the timer is measured over when the platform does not state its rate.</summary>
        public const ulong MinimumCalibrationNanoseconds = 250_000;
        private const uint HypervisorPresentBit = 1u << 31;        // CPUID.1:ECX
        private const uint HypervisorBaseLeaf = 0x4000_0000, HypervisorTimingLeaf = 0x4000_0010;

        /// <summary>Where TimerFrequency came from.</summary>
        public static ApicTimerSource TimerSource;
        /// <summary>The measurement window's length in TSC ticks (0 when the platform stated the rate).</summary>
        public static ulong CalibrationWindowTicks;

        public static bool IsEnabled => s_enabled;
        public static bool IsX2ApicMode => s_x2Apic;
        public static ulong BaseAddress => s_base;

        /// <summary>This CPU's APIC ID (where the I/O APIC sends device interrupts).</summary>
        public static uint Id => s_x2Apic ? Read(IdRegister) : Read(IdRegister) >> 24;

        /// <summary>Timer counts per second (bus clock / TimerDivider); the first read after time set-up finishes
        /// the measurement (see above). 0 when the timer does not count.</summary>
        public static ulong TimerFrequency
        {
            get
            {
                if (s_calibrationPending) FinishCalibration();
                return s_timerHz;
            }
        }

        /// <summary>The longest period or delay the 32-bit counter holds.</summary>
        public static ulong MaximumTimerNanoseconds => TimerFrequency == 0 ? 0 : TimeScale.MultiplyDivide(MaximumCount, Clock.NanosecondsPerSecond, s_timerHz);

        /// <summary>
        /// Interrupt every <paramref name="periodNanoseconds"/> on <paramref name="vector"/> until StopTimer
        /// (the period is rounded down to whole timer counts and clamped to [1, MaximumTimerNanoseconds]).
        /// The first interrupt comes one period from now; periods do not drift (the APIC reloads itself).
        /// </summary>
        public static void StartPeriodicTimer(ulong periodNanoseconds, byte vector) => StartTimer(periodNanoseconds, vector, LvtTimerPeriodic);

        /// <summary>One interrupt on <paramref name="vector"/> after <paramref name="delayNanoseconds"/> (same
        /// rounding and clamping); starting another timer replaces it.</summary>
        public static void StartOneShotTimer(ulong delayNanoseconds, byte vector) => StartTimer(delayNanoseconds, vector, 0);

        /// <summary>Stops the timer. An expiry the APIC already raised stays pending and is delivered once
        /// interrupts are enabled.</summary>
        public static void StopTimer()
        {
            Write(LvtTimer, LvtMasked);
            Write(InitialCount, 0);
        }

        /// <summary>Acknowledges the interrupt being handled (not for the spurious vector).</summary>
        public static void EndOfInterrupt() => Write(EndOfInterruptRegister, 0);

        /// <summary>Counts left until the timer's next expiry (0 when stopped).</summary>
        public static uint TimerCurrentCount => Read(CurrentCount);

        /// <summary>The count the timer was started with: its period or delay in timer counts.</summary>
        public static uint TimerInitialCount => Read(InitialCount);

        /// <summary>Enables the APIC with every local interrupt masked. False without an APIC.</summary>
        internal static bool Initialize()
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(1, 0, r);
            if ((r[3] & CpuidApicBit) == 0) return false;
            ulong msr = Cpu.ReadMsr(BaseMsr);
            if ((msr & BaseMsrEnable) == 0)
            {
                msr |= BaseMsrEnable;
                Cpu.WriteMsr(BaseMsr, msr);
            }
            s_x2Apic = (msr & BaseMsrX2Apic) != 0;
            s_base = msr & BaseAddressMask;

            Write(TaskPriority, 0);           // accept every vector
            Write(LvtTimer, LvtMasked);
            Write(LvtLint0, LvtMasked);       // the 8259s' virtual wire: masked there too (LegacyPic)
            Write(LvtError, LvtMasked);
            Write(SpuriousVector, SoftwareEnable | InterruptVectors.Spurious);
            s_enabled = true;
            return true;
        }

        /// <summary>Takes the timer's rate from the platform, or starts the counter from its maximum (masked,
        /// one-shot) and samples it with the TSC; TimerFrequency's first read finishes the measurement.</summary>
        internal static void BeginCalibration()
        {
            ulong busHz = StatedBusFrequency(out TimerSource);
            if (busHz != 0)
            {
                s_timerHz = busHz / TimerDivider;
                return;
            }
            TimerSource = ApicTimerSource.MeasuredAgainstTsc;
            Write(DivideConfiguration, DivideBy16);
            Write(LvtTimer, LvtMasked);
            Write(InitialCount, MaximumCount);
            Read(CurrentCount);   // warm-up: the sampled read then costs what the one at the end will
            s_calibrationStartCount = SampleCount(out s_calibrationStartTsc);
            s_calibrationPending = true;
        }

        // The counter's rate over the TSC (calibrated by then) since BeginCalibration, after waiting out what is
        // left of the minimum window. Each end is a register read bracketed by TSC reads.
        private static void FinishCalibration()
        {
            s_calibrationPending = false;
            ulong minimumTicks = Clock.NanosecondsToTscTicks(MinimumCalibrationNanoseconds);
            while (Cpu.ReadTimeStampCounter() - s_calibrationStartTsc < minimumTicks) Cpu.Pause();
            ulong endTsc;
            uint endCount = SampleCount(out endTsc);
            Write(InitialCount, 0);
            ulong elapsedTsc = endTsc - s_calibrationStartTsc;
            CalibrationWindowTicks = elapsedTsc;
            if (elapsedTsc != 0 && endCount < s_calibrationStartCount)
                s_timerHz = TimeScale.MultiplyDivide(s_calibrationStartCount - endCount, Clock.TscFrequency, elapsedTsc);
        }

        // The APIC timer's input clock where the platform states it: Intel's leaf 0x15 crystal (the APIC timer's
        // clock on parts that enumerate it, as Linux also assumes), or the hypervisor timing leaf's bus kHz.
        private static ulong StatedBusFrequency(out ApicTimerSource source)
        {
            uint* r = stackalloc uint[4];
            source = ApicTimerSource.MeasuredAgainstTsc;
            if (CpuIdentity.MaxBasicLeaf >= 0x15)
            {
                Cpu.CpuId(0x15, 0, r);
                if (r[2] != 0) { source = ApicTimerSource.CpuidCrystal; return r[2]; }
            }
            Cpu.CpuId(1, 0, r);
            if ((r[2] & HypervisorPresentBit) == 0) return 0;
            Cpu.CpuId(HypervisorBaseLeaf, 0, r);
            if (r[0] < HypervisorTimingLeaf) return 0;
            Cpu.CpuId(HypervisorTimingLeaf, 0, r);
            if (r[1] == 0) return 0;
            source = ApicTimerSource.HypervisorLeaf;
            return (ulong)r[1] * 1000;
        }

        // The current count and the TSC at the middle of its read: the best of a few reads (the shortest TSC
        // bracket), so that a read the VMM stalled does not decide the rate.
        private static uint SampleCount(out ulong tsc)
        {
            uint best = 0;
            ulong bestBracket = 0xFFFF_FFFF_FFFF_FFFF;
            tsc = 0;
            for (int i = 0; i < 5; i++)
            {
                ulong before = Cpu.ReadTimeStampCounter();
                uint count = Read(CurrentCount);
                ulong after = Cpu.ReadTimeStampCounter();
                if (after - before < bestBracket)
                {
                    bestBracket = after - before;
                    best = count;
                    tsc = before + (after - before) / 2;
                }
            }
            return best;
        }

        private static void StartTimer(ulong nanoseconds, byte vector, uint mode)
        {
            ulong counts = TimeScale.MultiplyDivide(nanoseconds, TimerFrequency, Clock.NanosecondsPerSecond);
            if (counts == 0) counts = 1;
            if (counts > MaximumCount) counts = MaximumCount;
            Write(DivideConfiguration, DivideBy16);
            Write(LvtTimer, mode | vector);
            Write(InitialCount, (uint)counts);     // writing the count starts the timer
        }

        private static uint Read(uint offset)
        {
            if (s_x2Apic) return (uint)Cpu.ReadMsr(X2ApicMsrBase + (offset >> 4));
            return ((Register*)Memory.MemoryLayout.ToDirectMap(s_base + offset))->Value;
        }

        private static void Write(uint offset, uint value)
        {
            if (s_x2Apic) Cpu.WriteMsr(X2ApicMsrBase + (offset >> 4), value);
            else ((Register*)Memory.MemoryLayout.ToDirectMap(s_base + offset))->Value = value;
        }
    }
}
