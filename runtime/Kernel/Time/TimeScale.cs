namespace Kernel.Time
{
    // Integer conversions between tick counts of different frequencies (TSC ticks, nanoseconds, local
    // APIC counts) without floating point and without 64-bit overflow. Portable: also compiled into
    // tests/Unikernel.Runtime.Tests.
    internal struct TimeScale
    {
        /// <summary>value * Multiplier / 2^32 is the converted value (32.32 fixed point).</summary>
        public ulong Multiplier;

        /// <summary>The scale that turns ticks of <paramref name="fromHz"/> into ticks of <paramref name="toHz"/>
        /// (relative error below 2^-32 * fromHz / toHz; toHz / fromHz must stay below 2^32).</summary>
        public static TimeScale FromFrequencies(ulong fromHz, ulong toHz)
        {
            var scale = new TimeScale();
            if (fromHz != 0) scale.Multiplier = DivideShifted(toHz, 32, fromHz);
            return scale;
        }

        /// <summary>floor(value * Multiplier / 2^32), monotonic in value; exact for every value whose result
        /// fits in 64 bits.</summary>
        public ulong Apply(ulong value) => MultiplyShiftRight32(value, Multiplier);

        /// <summary>floor(a * b / 2^32) of the 128-bit product, computed from 32-bit halves. Bits above 64 of
        /// the result are dropped (the additions wrap), so it is exact whenever the result fits.</summary>
        public static ulong MultiplyShiftRight32(ulong a, ulong b)
        {
            ulong aLow = a & 0xFFFF_FFFF, aHigh = a >> 32;
            ulong bLow = b & 0xFFFF_FFFF, bHigh = b >> 32;
            // a * b = aHigh*bHigh * 2^64 + (aLow*bHigh + aHigh*bLow) * 2^32 + aLow*bLow
            return ((aHigh * bHigh) << 32) + aLow * bHigh + aHigh * bLow + ((aLow * bLow) >> 32);
        }

        /// <summary>floor(value * numerator / denominator), exact while numerator * denominator &lt; 2^64 and the
        /// result fits in 64 bits (value itself may be anything).</summary>
        public static ulong MultiplyDivide(ulong value, ulong numerator, ulong denominator)
        {
            ulong quotient = value / denominator;
            ulong remainder = value % denominator;
            return quotient * numerator + remainder * numerator / denominator;
        }

        /// <summary>floor(value * 2^shift / denominator) by long division (denominator below 2^63), for
        /// set-up-time constants whose intermediate would not fit in 64 bits.</summary>
        public static ulong DivideShifted(ulong value, int shift, ulong denominator)
        {
            ulong quotient = value / denominator;
            ulong remainder = value % denominator;
            for (int i = 0; i < shift; i++)
            {
                remainder <<= 1;
                quotient <<= 1;
                if (remainder >= denominator) { remainder -= denominator; quotient |= 1; }
            }
            return quotient;
        }
    }
}
