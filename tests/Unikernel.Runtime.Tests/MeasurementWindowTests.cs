using Kernel.Time;

namespace Unikernel.Runtime.Tests;

// The error bound the kernel gives a rate measured between two bracketed counter reads
// (runtime/Kernel/Time/MeasurementWindow.cs): the local APIC timer's calibration and the timer self-test use it.
public class MeasurementWindowTests
{
    // A counter of `countsPerTick` counts per TSC tick, read once inside each bracket at a moment the test picks (as a
    // host may stall anywhere inside it); the rate from the counts and the brackets' middles is within the bound.
    [Fact]
    public void TheBoundHoldsWhereverInsideItsBracketEachReadHappened()
    {
        var random = new Random(17);
        for (int i = 0; i < 20_000; i++)
        {
            double countsPerTick = 0.005 + random.NextDouble();
            long start = random.NextInt64(0, 1L << 40);
            ulong startBracket = (ulong)random.NextInt64(0, 200_000), endBracket = (ulong)random.NextInt64(0, 200_000);
            long window = random.NextInt64(10_000, 100_000_000);
            long end = start + window;
            long startRead = start + (long)(random.NextDouble() * startBracket), endRead = end + (long)(random.NextDouble() * endBracket);
            ulong counted = (ulong)(Math.Floor(endRead * countsPerTick) - Math.Floor(startRead * countsPerTick));
            if (counted == 0) continue;
            ulong elapsed = (ulong)(end + (long)endBracket / 2 - (start + (long)startBracket / 2));

            ulong ppm = MeasurementWindow.ErrorPpm(MeasurementWindow.UncertaintyTicks(startBracket, endBracket, counted, elapsed), elapsed);
            double measured = (double)counted / elapsed;
            double errorPpm = Math.Abs(measured - countsPerTick) / countsPerTick * 1e6;
            Assert.True(errorPpm <= ppm, $"case {i}: error {errorPpm:F1} ppm, bound {ppm} ppm");
        }
    }

    // The calibration's figures under TCG here: brackets of ~2,500 ticks (1.2 us at 2.1 GHz), 62.5 MHz counted against
    // a 2.1 GHz TSC.
    [Fact]
    public void AWindowOfTheLengthAskedForMeetsItsBound()
    {
        ulong uncertainty = MeasurementWindow.UncertaintyTicks(2_500, 2_600, 62_500, 2_100_000);
        Assert.Equal(1_250UL + 1_300 + 2 * (33 + 1), uncertainty);
        ulong needed = MeasurementWindow.TicksForErrorPpm(uncertainty, 1000);
        Assert.Equal(2_618_000UL, needed);   // ~1.25 ms
        Assert.InRange(MeasurementWindow.ErrorPpm(uncertainty, needed), 1000UL, 1001UL);
        Assert.Equal(1_247UL, MeasurementWindow.ErrorPpm(uncertainty, 2_100_000));   // the 1 ms window alone is not enough
    }

    [Fact]
    public void ACounterThatDidNotCountOrAnEmptyWindowIsWhollyUncertain()
    {
        Assert.Equal(5_000UL, MeasurementWindow.UncertaintyTicks(10, 10, 0, 5_000));
        Assert.Equal(ulong.MaxValue, MeasurementWindow.ErrorPpm(10, 0));
    }
}
