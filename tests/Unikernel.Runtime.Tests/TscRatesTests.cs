using System.Numerics;
using Kernel.Time;

namespace Unikernel.Runtime.Tests;

// How the kernel turns what a platform reports into the TSC's rate (runtime/Kernel/Time/TscRates.cs).
public class TscRatesTests
{
    [Theory]
    [InlineData(2u, 176u, 24_000_000u, 2_112_000_000UL)]   // an Intel client part: 24 MHz crystal, ratio 176/2
    [InlineData(1u, 100u, 25_000_000u, 2_500_000_000UL)]   // a server part: 25 MHz crystal
    [InlineData(3u, 250u, 38_400_000u, 3_200_000_000UL)]   // 38.4 MHz crystal (Atom): the ratio is not whole
    public void CpuidLeaf15IsTheCrystalTimesTheRatio(uint denominator, uint numerator, uint crystalHz, ulong expected)
        => Assert.Equal(expected, TscRates.FromCrystal(denominator, numerator, crystalHz));

    [Theory]
    [InlineData(0u, 176u, 24_000_000u)]
    [InlineData(2u, 0u, 24_000_000u)]
    [InlineData(2u, 176u, 0u)]   // the crystal is not enumerated: the leaf says nothing about the rate
    public void AnEmptyLeaf15FieldGivesNoRate(uint denominator, uint numerator, uint crystalHz)
        => Assert.Equal(0UL, TscRates.FromCrystal(denominator, numerator, crystalHz));

    [Fact]
    public void KnownPvclockScalesGiveTheirRates()
    {
        Assert.Equal(2_000_000_000UL, TscRates.FromPvclock(1u << 31, 0));    // 0.5 ns per tick
        Assert.Equal(1_000_000_000UL, TscRates.FromPvclock(1u << 31, 1));    // ticks doubled, then halved
        Assert.Equal(4_000_000_000UL, TscRates.FromPvclock(1u << 31, -1));   // ticks halved first
        Assert.Equal(0UL, TscRates.FromPvclock(0, 0));
    }

    // A hypervisor picks the shift that puts the multiplier in [2^31, 2^32) (most precision in 32 bits) and
    // rounds the multiplier down; whatever rate it encodes, the kernel gets it back within the multiplier's
    // precision (2^-31 relative, half a ppb).
    [Theory]
    [InlineData(1_000_000_000UL)]
    [InlineData(2_096_000_000UL)]
    [InlineData(2_100_000_000UL)]
    [InlineData(3_417_600_123UL)]
    [InlineData(25_000_000UL)]
    [InlineData(99_000_000_000UL)]
    public void APvclockScaleGivesTheRateItWasMadeFrom(ulong tscHz)
    {
        var (multiplier, shift) = ScaleFor(tscHz);
        double back = TscRates.FromPvclock(multiplier, shift);
        Assert.InRange(Math.Abs(back - tscHz) / tscHz, 0, 1e-9);
        Assert.True(TscRates.IsPlausible((ulong)back));
    }

    [Fact]
    public void RatesOutsideWhatATscRunsAtAreRefused()
    {
        Assert.False(TscRates.IsPlausible(0));
        Assert.False(TscRates.IsPlausible(9_999_999));
        Assert.True(TscRates.IsPlausible(10_000_000));
        Assert.False(TscRates.IsPlausible(100_000_000_001));
        Assert.Equal(2_096_000_000UL, TscRates.FromKilohertz(2_096_000));
    }

    private static (uint Multiplier, sbyte Shift) ScaleFor(ulong tscHz)
    {
        for (int shift = -31; shift <= 31; shift++)
        {
            // nanoseconds = ticks * 2^shift * multiplier / 2^32  =>  multiplier = 10^9 * 2^32 / (tscHz * 2^shift)
            BigInteger numerator = BigInteger.Pow(10, 9) << 32, denominator = tscHz;
            if (shift >= 0) denominator <<= shift; else numerator <<= -shift;
            BigInteger multiplier = numerator / denominator;
            if (multiplier >= BigInteger.One << 31 && multiplier < BigInteger.One << 32) return ((uint)multiplier, (sbyte)shift);
        }
        throw new InvalidOperationException($"no scale for {tscHz} Hz");
    }
}
