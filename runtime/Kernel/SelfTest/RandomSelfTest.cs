#if KERNEL_SELFTEST
using Kernel.Console;
using Kernel.Entropy;

namespace Kernel.SelfTest
{
    // uk.selftest=random: Random.Fill gives balanced bits and different bytes on every call, whatever its
    // source; the fallback generator (used when the CPU has no RDRAND/RDSEED) is checked directly as well:
    // deterministic for one seed, different for another, balanced.
    internal static unsafe class RandomSelfTest
    {
        private const int Size = 4096;

        public static void Run()
        {
            byte* a = stackalloc byte[Size];
            byte* b = stackalloc byte[Size];
            Random.Fill(a, Size);
            Random.Fill(b, Size);
            ulong ones = CountOnes(a, Size);
            int same = 0;
            for (int i = 0; i < Size; i++) if (a[i] == b[i]) same++;

            KernelConsole.Prefix();
            KernelConsole.Write("selftest random: source ");
            KernelConsole.Write(Random.SourceName(Random.Source));
            KernelConsole.Write("; ");
            KernelConsole.WriteDecimal(ones);
            KernelConsole.Write(" of ");
            KernelConsole.WriteDecimal(Size * 8);
            KernelConsole.Write(" bits set; two fills agree on ");
            KernelConsole.WriteDecimal((ulong)same);
            KernelConsole.Write(" bytes; first bytes");
            for (int i = 0; i < 8; i++) { KernelConsole.Write(" "); KernelConsole.WriteHex(a[i], 2); }
            KernelConsole.WriteLine();
            // Half of 32,768 bits expected, standard deviation 90.5: 5 sigma. Equal bytes: 16 expected.
            if (ones < 16384 - 453 || ones > 16384 + 453) SelfTestOutput.Fail("Random.Fill is biased");
            if (same > 64) SelfTestOutput.Fail("two Random.Fill calls gave (nearly) the same bytes");

            // AT_RANDOM-sized and odd-sized requests fill exactly what was asked.
            byte* small = stackalloc byte[24];
            for (int i = 0; i < 24; i++) small[i] = 0xA5;
            Random.Fill(small, 13);
            bool untouched = true;
            for (int i = 13; i < 24; i++) if (small[i] != 0xA5) untouched = false;
            if (!untouched) SelfTestOutput.Fail("Random.Fill wrote past the end of the buffer");

            var one = new FallbackGenerator();
            var again = new FallbackGenerator();
            var other = new FallbackGenerator();
            one.Seed(1, 2, 3);
            again.Seed(1, 2, 3);
            other.Seed(1, 2, 4);
            bool deterministic = true, differs = false;
            ulong fallbackOnes = 0;
            for (int i = 0; i < Size / 8; i++)
            {
                ulong x = one.Next();
                if (x != again.Next()) deterministic = false;
                if (x != other.Next()) differs = true;
                fallbackOnes += (ulong)PopCount(x);
            }
            KernelConsole.Prefix();
            KernelConsole.Write("selftest random: fallback generator ");
            KernelConsole.WriteDecimal(fallbackOnes);
            KernelConsole.Write(" of ");
            KernelConsole.WriteDecimal(Size * 8);
            KernelConsole.WriteLine(deterministic && differs ? " bits set, repeatable per seed" : " bits set, SEEDING BROKEN");
            if (!deterministic || !differs) SelfTestOutput.Fail("the fallback generator's seeding is broken");
            if (fallbackOnes < 16384 - 453 || fallbackOnes > 16384 + 453) SelfTestOutput.Fail("the fallback generator is biased");
            SelfTestOutput.Pass("selftest random: all checks passed (ok)");
        }

        private static ulong CountOnes(byte* data, int length)
        {
            ulong ones = 0;
            for (int i = 0; i < length; i++) ones += (ulong)PopCount(data[i]);
            return ones;
        }

        private static int PopCount(ulong value)
        {
            int count = 0;
            while (value != 0) { value &= value - 1; count++; }
            return count;
        }
    }
}
#endif
