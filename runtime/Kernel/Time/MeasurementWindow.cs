namespace Kernel.Time
{
    // A rate measured between two reads of a counter, each read bracketed by TSC reads: the counter's value is
    // from some moment inside its bracket, which the bracket's middle stands for, so each end of the window is
    // off by at most half its bracket, and by one of the counter's steps (a read sees the count anywhere within
    // its current step). That is a hard bound, whatever the host did between or during the reads; a stall
    // only widens a bracket, and a wide bracket only asks for a longer window. Portable: also compiled into
    // tests/Unikernel.Runtime.Tests.
    internal static class MeasurementWindow
    {
        /// <summary>How far, in TSC ticks, the window between two bracketed reads (<paramref name="elapsed"/> ticks
        /// between the brackets' middles) can be from the time the counter took to count <paramref name="counted"/>.</summary>
        public static ulong UncertaintyTicks(ulong startBracket, ulong endBracket, ulong counted, ulong elapsed)
        {
            if (counted == 0) return elapsed;
            return (startBracket + 1) / 2 + (endBracket + 1) / 2 + 2 * (elapsed / counted + 1);
        }

        /// <summary>The rate's relative error bound in ppm (rounded up) for a window of <paramref name="elapsed"/> ticks.</summary>
        public static ulong ErrorPpm(ulong uncertaintyTicks, ulong elapsed) =>
            elapsed == 0 ? ulong.MaxValue : TimeScale.MultiplyDivide(uncertaintyTicks, 1_000_000, elapsed) + 1;

        /// <summary>The window, in ticks, whose error bound is at most <paramref name="ppm"/>.</summary>
        public static ulong TicksForErrorPpm(ulong uncertaintyTicks, ulong ppm) => TimeScale.MultiplyDivide(uncertaintyTicks, 1_000_000, ppm);
    }
}
