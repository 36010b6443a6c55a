using Kernel.Syscalls;

namespace Kernel.Files.Synthetic
{
    // /proc/<pid>/limits: every resource's soft and hard limit as getrlimit/prlimit64 return them, in
    // Linux's table ("%-25s %-20s %-20s %-10s", "unlimited" for RLIM_INFINITY, no unit for the priorities).
    internal sealed class ResourceLimitsFile : ContentGenerator
    {
        public override void Generate(TextBuilder o)
        {
            Row(o, "Limit", "Soft Limit", "Hard Limit", "Units");
            for (int resource = 0; resource < ProcessSyscalls.ResourceCount; resource++)
            {
                ulong soft, hard;
                ProcessSyscalls.GetLimit(resource, out soft, out hard);
                long start = o.Length;
                o.Append(Name(resource)).PadTo(start, 26);
                Limit(o, soft);
                Limit(o, hard);
                string unit = Unit(resource);
                if (unit != null) { long unitStart = o.Length; o.Append(unit).PadTo(unitStart, 10); }
                o.Append('\n');
            }
        }

        // By resource number, RLIMIT_CPU (0) to RLIMIT_RTTIME (15).
        private static string Name(int resource)
        {
            switch (resource)
            {
                case 0: return "Max cpu time";
                case 1: return "Max file size";
                case 2: return "Max data size";
                case 3: return "Max stack size";
                case 4: return "Max core file size";
                case 5: return "Max resident set";
                case 6: return "Max processes";
                case 7: return "Max open files";
                case 8: return "Max locked memory";
                case 9: return "Max address space";
                case 10: return "Max file locks";
                case 11: return "Max pending signals";
                case 12: return "Max msgqueue size";
                case 13: return "Max nice priority";
                case 14: return "Max realtime priority";
                default: return "Max realtime timeout";
            }
        }

        private static string Unit(int resource)
        {
            switch (resource)
            {
                case 0: return "seconds";
                case 6: return "processes";
                case 7: return "files";
                case 10: return "locks";
                case 11: return "signals";
                case 13:
                case 14: return null;
                case 15: return "us";
                default: return "bytes";
            }
        }

        private static void Limit(TextBuilder o, ulong value)
        {
            long start = o.Length;
            if (value == ulong.MaxValue) o.Append("unlimited"); else o.AppendDecimal(value);
            o.PadTo(start, 21);
        }

        private static void Row(TextBuilder o, string name, string soft, string hard, string unit)
        {
            long start = o.Length;
            o.Append(name).PadTo(start, 26).Append(soft).PadTo(start, 47).Append(hard).PadTo(start, 68).Append(unit).PadTo(start, 78).Append('\n');
        }
    }
}
