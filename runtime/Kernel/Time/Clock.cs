using Kernel.Arch;

namespace Kernel.Time
{
    // TEMPORARY stand-in until the calibrated clock lands (branch wt/time): TSC at an assumed 1 GHz.
    internal static class Clock
    {
        public static ulong MonotonicNanoseconds() => Cpu.ReadTimeStampCounter();
        public static ulong RealtimeNanoseconds() => Cpu.ReadTimeStampCounter();
    }
}
