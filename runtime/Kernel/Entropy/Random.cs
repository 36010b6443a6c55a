using Kernel.Arch;
using Kernel.Time;

namespace Kernel.Entropy
{
    /// <summary>What Random.Fill draws from.</summary>
    internal enum RandomSource : byte { None, Rdrand, Rdseed, Fallback }

    // Random bytes for the kernel (AT_RANDOM for the app's loader, stack-protector cookies) and for
    // getrandom(2). RDRAND when the CPU has it (fast; its DRBG is reseeded by hardware), else RDSEED, else
    // FallbackGenerator, which is not cryptographic: the boot report says so on the console. A hardware
    // instruction that fails through its retries (it should not: that means a starved or broken entropy
    // source) falls back for that word; the failures are counted.
    internal static unsafe class Random
    {
        private static RandomSource s_source;
        private static FallbackGenerator s_fallback;

        public static RandomSource Source => s_source;
        public static bool IsCryptographic => s_source == RandomSource.Rdrand || s_source == RandomSource.Rdseed;
        /// <summary>64-bit words the hardware failed to deliver (served by the fallback generator instead).</summary>
        public static ulong HardwareFailures;

        /// <summary>After Time (the fallback's seed uses the TSC and the RTC).</summary>
        internal static void Initialize()
        {
            HardwareRandom.Detect();
            s_source = HardwareRandom.HasRdrand ? RandomSource.Rdrand : HardwareRandom.HasRdseed ? RandomSource.Rdseed : RandomSource.Fallback;
            // Seeded in every case: it also stands in for a hardware failure.
            ulong jitter = 0;
            for (int i = 0; i < 16; i++)
            {
                ulong before = Cpu.ReadTimeStampCounter();
                Cpu.Pause();
                jitter = jitter * 31 + (Cpu.ReadTimeStampCounter() - before);
            }
            s_fallback.Seed(Cpu.ReadTimeStampCounter(), (ulong)TimeStartup.RtcUnixSecondsAtBoot, jitter);
        }

        public static void Fill(byte* buffer, int length)
        {
            if (length <= 0) return;
            if (s_source == RandomSource.Fallback) s_fallback.Stir(Cpu.ReadTimeStampCounter());
            int offset = 0;
            while (offset < length)
            {
                ulong word = NextWord();
                int take = length - offset < 8 ? length - offset : 8;
                for (int i = 0; i < take; i++) buffer[offset + i] = (byte)(word >> (8 * i));
                offset += take;
            }
        }

        public static string SourceName(RandomSource source)
            => source == RandomSource.Rdrand ? "RDRAND"
             : source == RandomSource.Rdseed ? "RDSEED"
             : source == RandomSource.Fallback ? "xoshiro256** seeded from the TSC and the RTC (NOT cryptographic: the CPU has neither RDRAND nor RDSEED)"
             : "not initialized";

        private static ulong NextWord()
        {
            ulong value;
            if (s_source == RandomSource.Rdrand && HardwareRandom.TryNext(false, out value)) return value;
            if (s_source != RandomSource.Fallback && HardwareRandom.HasRdseed && HardwareRandom.TryNext(true, out value)) return value;
            if (s_source != RandomSource.Fallback)
            {
                HardwareFailures++;
                s_fallback.Stir(Cpu.ReadTimeStampCounter());
            }
            return s_fallback.Next();
        }
    }
}
