using Kernel.Arch;

namespace Kernel.Time
{
    /// <summary>Where the TSC frequency came from.</summary>
    internal enum TscFrequencySource : byte
    {
        None,
        /// <summary>The uk.tsc.khz kernel option: whoever started the VM said so (uk run does under QEMU TCG).</summary>
        CommandLine,
        /// <summary>CPUID 0x15: crystal clock x TSC/crystal ratio. Exact.</summary>
        CpuidCrystal,
        /// <summary>CPUID 0x40000010 (VMware/KVM/QEMU timing leaf): the VMM's own TSC kHz.</summary>
        HypervisorLeaf,
        /// <summary>KVM's paravirtual clock: the scale KVM itself turns this vCPU's TSC into nanoseconds with.</summary>
        Kvmclock,
        /// <summary>CPUID 0x16: the processor's nominal base MHz, which the TSC runs at on Intel since Skylake.</summary>
        CpuidBaseFrequency,
        /// <summary>Measured against the i8254 PIT.</summary>
        Pit,
        /// <summary>Nothing answered: a guess, and said so.</summary>
        Assumed,
    }

    // The TSC's frequency, found once at boot, from the first source that answers:
    // 1. the uk.tsc.khz kernel option (the VM's starter knows: `uk run` passes the host's TSC rate under QEMU
    //    TCG, whose guest TSC is the host's, and 1,000,000 under -icount shift=0);
    // 2. CPUID 0x15 (crystal x ratio: Intel since Skylake, and VMMs that pass it through);
    // 3. the hypervisor timing leaf 0x40000010 (QEMU/KVM with a known, invariant TSC; VMware; AWS Nitro);
    // 4. kvmclock (KVM, Firecracker, KVM-based clouds);
    // 5. CPUID 0x16 (the nominal base MHz: Intel; a nominal figure, so after the exact ones);
    // 6. else a ~1 ms measurement against PIT channel 0, the one reference every PC-compatible VMM we target
    //    emulates -- QEMU TCG without uk.tsc.khz ends here (its CPU models stop at leaf 0xd and it has no
    //    hypervisor leaves or kvmclock), costing ~1 M guest instructions of waiting.
    // docs/boot-abi.md ("The TSC's rate") lists which platforms give which.
    //
    // Accuracy of the measurement: a least-squares fit over every PIT read of the 1 ms window (~1,500
    // reads under TCG); the boot report gives three standard errors of the fit (~60-100 ppm under TCG).
    // Checked against this build machine's host TSC (2100.000 MHz, which QEMU TCG passes through) over
    // about 75 boots: within 145 ppm, most within 30 ppm -- a clock that may drift by seconds a day (13 s
    // at 145 ppm) until something better (a longer refining measurement later, kvmclock, NTP) exists.
    internal static unsafe class TscCalibration
    {
        /// <summary>Measurement window: 1193 PIT ticks = 1.000 ms.</summary>
        public const uint PitWindowTicks = 1193;
        /// <summary>Used only when neither CPUID nor the PIT answer (the boot report says so).</summary>
        public const ulong AssumedFrequencyHz = 1_000_000_000;

        private const uint HypervisorPresentBit = 1u << 31;        // CPUID.1:ECX
        private const uint HypervisorBaseLeaf = 0x4000_0000;
        private const uint HypervisorTimingLeaf = 0x4000_0010;
        // A PIT that has not moved after this many reads is not there (its port reads 0xFF forever): a read
        // is three port accesses, so 2,000 of them take far longer than a PIT tick (838 ns) anywhere.
        private const int MaximumStuckReads = 2_000;
        // A window the VMM disturbed (the vCPU descheduled before enough reads were taken, or a loose fit) is measured again.
        private const int MaximumAttempts = 3;
        private const int Measured = 1, NoPit = 0, Disturbed = -1;
        private const int MinimumSamples = 64;
        // A fit this loose means the reads were bent by the VMM (CI once saw 18,192 ppm, the rate 2.4 % off, on a
        // loaded host; a quiet one gives 30-145 ppm): measured again while attempts remain, and the tightest fit wins.
        private const ulong LooseFitPpm = 1_000;

        /// <summary>The kernel option that states the rate in kHz.</summary>
        public const string KilohertzOption = "uk.tsc.khz";

        public static ulong FrequencyHz;
        /// <summary>uk.tsc.khz was given but is no plausible TSC rate (10 MHz..100 GHz): ignored.</summary>
        public static bool CommandLineRejected;
        public static TscFrequencySource Source;
        /// <summary>Error bound of a PIT measurement in parts per million; 0 for CPUID values (exact or nominal).</summary>
        public static ulong ErrorPpm;
        /// <summary>TSC ticks the measurement window lasted (0 when CPUID answered).</summary>
        public static ulong WindowTicks;
        /// <summary>PIT reads that went into the fit.</summary>
        public static ulong Samples;
        /// <summary>Measurements taken (more than 1 when the VMM disturbed a window).</summary>
        public static int Attempts;

        public static void Calibrate()
        {
            if (FromCommandLine() || FromCpuidLeaf15() || FromHypervisorLeaf() || FromKvmclock() || FromCpuidLeaf16()) return;
            ulong bestHz = 0, bestPpm = ulong.MaxValue, bestWindow = 0, bestSamples = 0;
            for (int attempt = 1; attempt <= MaximumAttempts; attempt++)
            {
                Attempts = attempt;
                int outcome = MeasureAgainstPit(attempt == MaximumAttempts ? 3 : MinimumSamples);
                if (outcome == NoPit) break;
                if (outcome != Measured) continue;
                if (ErrorPpm < bestPpm) { bestHz = FrequencyHz; bestPpm = ErrorPpm; bestWindow = WindowTicks; bestSamples = Samples; }
                if (ErrorPpm <= LooseFitPpm) break;
            }
            if (bestPpm != ulong.MaxValue)
            {
                FrequencyHz = bestHz;
                ErrorPpm = bestPpm;
                WindowTicks = bestWindow;
                Samples = bestSamples;
                Source = TscFrequencySource.Pit;
                return;
            }
            FrequencyHz = AssumedFrequencyHz;
            Source = TscFrequencySource.Assumed;
        }

        public static string SourceName(TscFrequencySource source)
            => source == TscFrequencySource.CommandLine ? "uk.tsc.khz"
             : source == TscFrequencySource.CpuidCrystal ? "CPUID 0x15"
             : source == TscFrequencySource.HypervisorLeaf ? "hypervisor CPUID 0x40000010"
             : source == TscFrequencySource.Kvmclock ? "kvmclock"
             : source == TscFrequencySource.CpuidBaseFrequency ? "CPUID 0x16 base frequency"
             : source == TscFrequencySource.Pit ? "measured against the PIT"
             : source == TscFrequencySource.Assumed ? "ASSUMED: no CPUID leaf and no PIT" : "not calibrated";

        // A value that is not a plausible TSC rate is ignored (the next source answers) and the boot report
        // says so: BootReport shows CommandLineRejected.
        private static bool FromCommandLine()
        {
            int kilohertz = Boot.BootCommandLine.NumberOption(KilohertzOption, -1);
            if (kilohertz < 0) return false;
            if (Accept(TscRates.FromKilohertz((ulong)kilohertz), TscFrequencySource.CommandLine)) return true;
            CommandLineRejected = true;
            return false;
        }

        private static bool FromCpuidLeaf15()
        {
            if (CpuIdentity.MaxBasicLeaf < 0x15) return false;
            uint* r = stackalloc uint[4];
            Cpu.CpuId(0x15, 0, r);
            return Accept(TscRates.FromCrystal(r[0], r[1], r[2]), TscFrequencySource.CpuidCrystal);
        }

        private static bool FromKvmclock() => Accept(Kvmclock.TscFrequencyHz(), TscFrequencySource.Kvmclock);

        private static bool FromHypervisorLeaf()
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(1, 0, r);
            if ((r[2] & HypervisorPresentBit) == 0) return false;
            Cpu.CpuId(HypervisorBaseLeaf, 0, r);
            if (r[0] < HypervisorTimingLeaf) return false;
            Cpu.CpuId(HypervisorTimingLeaf, 0, r);
            return Accept(TscRates.FromKilohertz(r[0]), TscFrequencySource.HypervisorLeaf);
        }

        private static bool FromCpuidLeaf16()
        {
            if (CpuIdentity.MaxBasicLeaf < 0x16) return false;
            uint* r = stackalloc uint[4];
            Cpu.CpuId(0x16, 0, r);
            return Accept((ulong)(r[0] & 0xFFFF) * 1_000_000, TscFrequencySource.CpuidBaseFrequency);
        }

        private static bool Accept(ulong hz, TscFrequencySource source)
        {
            if (!TscRates.IsPlausible(hz)) return false;
            FrequencyHz = hz;
            Source = source;
            return true;
        }

        // Least-squares fit of TSC time (y) against PIT ticks elapsed (x) over every read of the window,
        // so that the PIT's 838 ns quantisation and the read latency average out instead of deciding the
        // result through the window's two ends. A read whose TSC bracket is over 4x the shortest seen (the
        // vCPU was descheduled during it) is left out; a gap between reads costs nothing, but a window with
        // fewer than minimumSamples good reads is measured again.
        private static int MeasureAgainstPit(int minimumSamples)
        {
            Pit.StartCountdown(0xFFFF);
            // Warm-up, and the presence check: a PIT that never moves is not there.
            ushort first = Pit.ReadCount();
            int stuck = 0;
            while (Pit.ReadCount() == first)
                if (++stuck == MaximumStuckReads) return NoPit;

            ulong origin = 0;
            ushort originCount = 0;
            ulong shortestBracket = 0xFFFF_FFFF_FFFF_FFFF;
            double n = 0, sumX = 0, sumY = 0, sumXX = 0, sumXY = 0, sumYY = 0;
            uint elapsedPit;
            ulong reads = 0;
            ulong last = 0;
            do
            {
                ulong before = Cpu.ReadTimeStampCounter();
                ushort count = Pit.ReadCount();
                ulong after = Cpu.ReadTimeStampCounter();
                if (reads == 0) { origin = before; originCount = count; }
                last = after;
                elapsedPit = (ushort)(originCount - count);   // mode 0 counts down and wraps at 16 bits
                ulong bracket = after - before;
                if (bracket < shortestBracket) shortestBracket = bracket;
                if (bracket <= 4 * shortestBracket)
                {
                    double x = elapsedPit;
                    double y = (long)(before - origin + bracket / 2);
                    n += 1; sumX += x; sumY += y; sumXX += x * x; sumXY += x * y; sumYY += y * y;
                }
                if (++reads > 1_000_000) return NoPit;          // moved once, then stopped
            } while (elapsedPit < PitWindowTicks);

            if (n < minimumSamples) return Disturbed;
            double sxx = sumXX - sumX * sumX / n;
            double sxy = sumXY - sumX * sumY / n;
            double syy = sumYY - sumY * sumY / n;
            if (sxx <= 0) return Disturbed;
            double ticksPerPitTick = sxy / sxx;
            if (!Accept((ulong)(long)(ticksPerPitTick * Pit.FrequencyHz + 0.5), TscFrequencySource.Pit)) return Disturbed;

            // Three standard errors of the slope, from the fit's residuals.
            double residual = syy - ticksPerPitTick * sxy;
            double slopeVariance = residual > 0 ? residual / (n - 2) / sxx : 0;
            ErrorPpm = (ulong)(long)(3e6 * SquareRoot(slopeVariance) / ticksPerPitTick) + 1;
            WindowTicks = last - origin;
            Samples = (ulong)(long)n;
            return Measured;
        }

        // Newton's method; enough for an error estimate (no Math in the core library).
        private static double SquareRoot(double value)
        {
            if (value <= 0) return 0;
            double root = value > 1 ? value : 1;
            for (int i = 0; i < 64; i++)
            {
                double next = 0.5 * (root + value / root);
                if (next >= root) break;
                root = next;
            }
            return root;
        }
    }
}
