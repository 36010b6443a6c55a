using Kernel.Arch;

namespace Kernel.Files
{
    // PLACEHOLDER randomness for /dev/urandom and /dev/random: xorshift64* seeded from the time stamp
    // counter. It is NOT cryptographically secure. Another engineer replaces the body of Fill with
    // RDRAND/RDSEED (with a proper fallback); every consumer in the kernel calls only Fill.
    internal static unsafe class RandomSource
    {
        private static ulong s_state;

        public static void Fill(byte* buffer, int count)
        {
            if (s_state == 0) s_state = Cpu.ReadTimeStampCounter() | 1;
            for (int i = 0; i < count; i += 8)
            {
                s_state ^= s_state >> 12;
                s_state ^= s_state << 25;
                s_state ^= s_state >> 27;
                ulong value = s_state * 0x2545F4914F6CDD1DUL;
                for (int b = 0; b < 8 && i + b < count; b++) buffer[i + b] = (byte)(value >> (8 * b));
            }
        }
    }
}
