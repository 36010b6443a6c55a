using System.Numerics;
using Kernel.Time;

namespace Unikernel.Runtime.Tests;

// The kernel's tick-rate arithmetic (runtime/Kernel/Time/TimeScale.cs) against BigInteger.
public class TimeScaleTests
{
    private static readonly ulong[] Interesting =
    [
        0, 1, 2, 3, 999_999_999, 1_000_000_000, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0001, 2_100_000_000,
        123_456_789_012_345, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF,
    ];

    [Fact]
    public void MultiplyShiftRight32IsTheHighPartOfThe128BitProduct()
    {
        var random = new Random(1);
        var values = Interesting.Concat(Enumerable.Range(0, 2000).Select(_ => (ulong)random.NextInt64() * 2 + (ulong)random.Next(2))).ToArray();
        foreach (ulong a in values)
            foreach (ulong b in values.Take(40))
            {
                BigInteger exact = ((BigInteger)a * b) >> 32;
                Assert.Equal((ulong)(exact & ulong.MaxValue), TimeScale.MultiplyShiftRight32(a, b));
            }
    }

    [Theory]
    [InlineData(2_100_000_000UL)]   // this build machine's TSC
    [InlineData(1_000_000_000UL)]   // QEMU -icount shift=0
    [InlineData(3_999_999_999UL)]
    [InlineData(5_300_000_000UL)]   // above 2^32: the multiplier needs the long division
    [InlineData(25_000_000UL)]
    public void TscTicksToNanosecondsStaysWithinOnePartInTheMultiplier(ulong tscHz)
    {
        var scale = TimeScale.FromFrequencies(tscHz, 1_000_000_000);
        foreach (ulong seconds in new ulong[] { 0, 1, 3600, 86_400, 365UL * 86_400, 100UL * 365 * 86_400 })
            foreach (ulong extra in new ulong[] { 0, 1, tscHz / 3, tscHz - 1 })
            {
                ulong ticks = seconds * tscHz + extra;
                BigInteger exact = (BigInteger)ticks * 1_000_000_000 / tscHz;
                BigInteger got = scale.Apply(ticks);
                // The 32.32 multiplier is rounded down, so the result is never ahead and behind by at most one part
                // in the multiplier (~0.2 ppb at 1 GHz, ~1.2 ppb at 5.3 GHz: far below the calibration's error).
                Assert.True(got <= exact, $"{ticks} ticks at {tscHz} Hz: {got} > {exact}");
                Assert.True(exact - got <= 1 + exact / scale.Multiplier, $"{ticks} ticks at {tscHz} Hz: {got} vs {exact}");
            }
    }

    [Fact]
    public void ApplyIsMonotonic()
    {
        var scale = TimeScale.FromFrequencies(2_100_000_123, 1_000_000_000);
        ulong previous = 0;
        for (ulong ticks = 0; ticks < 100_000; ticks++)
        {
            ulong ns = scale.Apply(ticks);
            Assert.True(ns >= previous);
            previous = ns;
        }
    }

    [Fact]
    public void MultiplyDivideIsExactWithinItsContract()
    {
        var random = new Random(2);
        for (int i = 0; i < 20_000; i++)
        {
            ulong value = (ulong)random.NextInt64();
            ulong denominator = (ulong)random.NextInt64(1, 20_000_000_000);
            ulong numerator = (ulong)random.NextInt64(0, (long)Math.Min(20_000_000_000UL, ulong.MaxValue / denominator));
            BigInteger exact = (BigInteger)value * numerator / denominator;
            if (exact > ulong.MaxValue) continue;
            Assert.Equal((ulong)exact, TimeScale.MultiplyDivide(value, numerator, denominator));
        }
    }

    [Fact]
    public void DivideShiftedIsTheLongDivision()
    {
        var random = new Random(3);
        for (int i = 0; i < 5000; i++)
        {
            ulong denominator = (ulong)random.NextInt64(1, long.MaxValue);
            ulong value = (ulong)random.NextInt64(0, (long)Math.Min((ulong)long.MaxValue, denominator * 64));
            int shift = random.Next(0, 33);
            BigInteger exact = ((BigInteger)value << shift) / denominator;
            if (exact > ulong.MaxValue) continue;
            Assert.Equal((ulong)exact, TimeScale.DivideShifted(value, shift, denominator));
        }
    }
}
