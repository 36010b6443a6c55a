namespace Kernel.Entropy
{
    // The generator used when the CPU has neither RDRAND nor RDSEED: xoshiro256** (Blackman and Vigna),
    // its 256-bit state filled through SplitMix64 from what the kernel can observe at boot -- the TSC at
    // several points (its low bits jitter with device and VMM timing), the RTC's time, and the TSC read on
    // every Fill, which is mixed in again. It is fast and statistically good, but NOT cryptographic: its
    // output is predictable from its state, and the seed holds only as much entropy as the boot timing
    // does (little, in a deterministic VM: under -icount the TSC values repeat from boot to boot).
    internal struct FallbackGenerator
    {
        private ulong _s0, _s1, _s2, _s3;

        public void Seed(ulong a, ulong b, ulong c)
        {
            ulong x = a;
            _s0 = SplitMix64(ref x);
            x ^= b;
            _s1 = SplitMix64(ref x);
            x ^= c;
            _s2 = SplitMix64(ref x);
            _s3 = SplitMix64(ref x);
            if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 0x9E37_79B9_7F4A_7C15;
        }

        /// <summary>Mixes a fresh observation (a TSC value) into the state.</summary>
        public void Stir(ulong observation)
        {
            ulong x = observation;
            _s0 ^= SplitMix64(ref x);
            if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 0x9E37_79B9_7F4A_7C15;
        }

        public ulong Next()
        {
            ulong result = RotateLeft(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = RotateLeft(_s3, 45);
            return result;
        }

        private static ulong SplitMix64(ref ulong x)
        {
            x += 0x9E37_79B9_7F4A_7C15;
            ulong z = x;
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
            return z ^ (z >> 31);
        }

        private static ulong RotateLeft(ulong value, int count) => (value << count) | (value >> (64 - count));
    }
}
