namespace Kernel.Time
{
    // What each platform says about the TSC's rate, turned into ticks per second. Pure arithmetic, so that the
    // conversions are tested on the host (tests/Unikernel.Runtime.Tests compiles this file); the kernel's
    // TscCalibration reads the raw values (CPUID, the kvmclock page, the command line) and calls these.
    internal static class TscRates
    {
        /// <summary>Below 10 MHz or above 100 GHz is a VMM's garbage or a typo, not a TSC.</summary>
        public const ulong MinimumHz = 10_000_000, MaximumHz = 100_000_000_000;

        public static bool IsPlausible(ulong hz) => hz >= MinimumHz && hz <= MaximumHz;

        /// <summary>CPUID 0x15: the core crystal's Hz (ECX) times the TSC/crystal ratio EBX/EAX; 0 when a field is 0
        /// (the leaf is there but the CPU does not enumerate the crystal, as on most AMD and pre-Skylake parts).</summary>
        public static ulong FromCrystal(uint denominator, uint numerator, uint crystalHz)
            => denominator == 0 || numerator == 0 || crystalHz == 0 ? 0 : TimeScale.MultiplyDivide(crystalHz, numerator, denominator);

        /// <summary>The hypervisor timing leaf 0x40000010 (VMware's convention, which QEMU/KVM with a known TSC rate
        /// and AWS Nitro follow): EAX is the TSC's kHz.</summary>
        public static ulong FromKilohertz(ulong kilohertz) => kilohertz * 1000;

        /// <summary>
        /// kvmclock/pvclock (Linux's Documentation/virt/kvm/x86/msr.rst): the hypervisor converts TSC ticks to
        /// nanoseconds as ((ticks shifted left by tsc_shift, or right when negative) * tsc_to_system_mul) / 2^32, so
        /// the TSC runs at 10^9 * 2^32 / tsc_to_system_mul Hz, shifted the other way. 0 for a zero multiplier.
        /// </summary>
        public static ulong FromPvclock(uint tscToSystemMultiplier, sbyte tscShift)
        {
            if (tscToSystemMultiplier == 0) return 0;
            // 10^9 * 2^32 < 2^62: fits, and the quotient keeps 32 bits of precision for any multiplier.
            ulong hz = (1_000_000_000UL << 32) / tscToSystemMultiplier;
            if (tscShift >= 0) return hz >> tscShift;
            int left = -tscShift;
            if (left >= 32 || (hz >> (64 - left)) != 0) return 0;   // beyond any TSC: refused by IsPlausible anyway
            return hz << left;
        }
    }
}
