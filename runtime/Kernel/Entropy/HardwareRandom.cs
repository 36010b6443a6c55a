using Kernel.Arch;

namespace Kernel.Entropy
{
    // RDRAND (a DRBG reseeded by the CPU's entropy source) and RDSEED (the conditioned entropy source
    // itself), when CPUID says the CPU has them. QEMU TCG's `-cpu max` has both (backed by the host's
    // getrandom); the default qemu64 model has neither. Values are checked once at start-up against the
    // known failure of some AMD parts (RDRAND succeeding with all ones).
    internal static unsafe class HardwareRandom
    {
        private const uint CpuidRdrandBit = 1u << 30;   // CPUID.1:ECX
        private const uint CpuidRdseedBit = 1u << 18;   // CPUID.(7,0):EBX

        private const ulong AllOnes = 0xFFFF_FFFF_FFFF_FFFF;

        public static bool HasRdrand;
        public static bool HasRdseed;

        internal static void Detect()
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(1, 0, r);
            HasRdrand = (r[2] & CpuidRdrandBit) != 0 && LooksHealthy(false);
            if (CpuIdentity.MaxBasicLeaf >= 7)
            {
                Cpu.CpuId(7, 0, r);
                HasRdseed = (r[1] & CpuidRdseedBit) != 0 && LooksHealthy(true);
            }
        }

        /// <summary>One 64-bit value; false if the instruction kept failing through its retries.</summary>
        public static bool TryNext(bool seed, out ulong value)
        {
            ulong v;
            int ok = seed ? Cpu.ReadRandomSeed(&v) : Cpu.ReadRandom(&v);
            value = v;
            return ok != 0;
        }

        // Two successes that differ and are not all ones.
        private static bool LooksHealthy(bool seed)
        {
            ulong a, b;
            return TryNext(seed, out a) && TryNext(seed, out b) && a != b && a != AllOnes && b != AllOnes;
        }
    }
}
