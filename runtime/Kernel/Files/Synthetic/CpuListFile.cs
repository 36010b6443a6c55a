using Kernel.Arch;

namespace Kernel.Files.Synthetic
{
    // A CPU list in sysfs' format ("0-3\n", "2\n"): every online CPU (/sys/devices/system/cpu/{online,possible,present},
    // node0's cpulist, a cache all CPUs share) or one of them. Generated at each open, from PerCpu, so it says what is
    // online when it is read. CPUs are numbered from 0 without gaps, so the whole set is one range.
    internal sealed class CpuListFile : ContentGenerator
    {
        public const int EveryOnlineCpu = -1;

        private readonly int _cpu;

        public CpuListFile(int cpu) { _cpu = cpu; }

        public override void Generate(TextBuilder o)
        {
            if (_cpu >= 0) o.AppendDecimal((ulong)_cpu);
            else
            {
                o.Append('0');
                if (PerCpu.Count > 1) o.Append('-').AppendDecimal((ulong)(PerCpu.Count - 1));
            }
            o.Append('\n');
        }
    }
}
