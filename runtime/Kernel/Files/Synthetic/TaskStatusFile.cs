using Kernel.Memory;
using Kernel.Process;
using Kernel.Threads;

namespace Kernel.Files.Synthetic
{
    // /proc/<pid>/status and /proc/<pid>/task/<tid>/status in Linux 6.1's field order ("Label:\tvalue",
    // memory as "%8lu kB"). One user (AppUser) with every capability, no namespaces, one CPU, one NUMA
    // node; the memory lines come from ProcessMemoryFigures.
    internal sealed class TaskStatusFile : ContentGenerator
    {
        private const ulong AllCapabilities = 0x1FFFFFFFFFF;   // CAP_LAST_CAP 40
        private readonly int _threadId;                         // 0: the whole process (its leader)

        public TaskStatusFile(int threadId) { _threadId = threadId; }

        public override void Generate(TextBuilder o)
        {
            Thread thread = _threadId == 0 ? Tasks.Leader() : Tasks.Find(_threadId);
            if (thread == null) return;
            int id = _threadId == 0 ? Tasks.ProcessId : thread.Id;
            ProcessMemoryFigures memory = ProcessMemoryFigures.Now();

            o.Append("Name:\t");
            Tasks.AppendName(o, thread);
            o.Append("\nUmask:\t0");
            AppendOctal(o, Vfs.Umask);
            o.Append("\nState:\t").Append(Tasks.StateName(thread));
            Number(o, "Tgid", Tasks.ProcessId);
            o.Append("\nNgid:\t0");
            Number(o, "Pid", (ulong)id);
            o.Append("\nPPid:\t0\nTracerPid:\t0");
            Four(o, "Uid", AppUser.UserId);
            Four(o, "Gid", AppUser.GroupId);
            Number(o, "FDSize", (ulong)FileDescriptorSlots());
            o.Append("\nGroups:\t ");
            Number(o, "NStgid", Tasks.ProcessId);
            Number(o, "NSpid", (ulong)id);
            Number(o, "NSpgid", Tasks.ProcessId);
            Number(o, "NSsid", Tasks.ProcessId);
            o.Append('\n');
            Kilobytes(o, "VmPeak", memory.PeakSizeBytes);
            Kilobytes(o, "VmSize", memory.SizeBytes);
            Kilobytes(o, "VmLck", 0);
            Kilobytes(o, "VmPin", 0);
            Kilobytes(o, "VmHWM", memory.PeakResidentBytes);
            Kilobytes(o, "VmRSS", memory.ResidentBytes);
            Kilobytes(o, "RssAnon", memory.AnonymousResidentBytes);
            Kilobytes(o, "RssFile", memory.ImageBytes);
            Kilobytes(o, "RssShmem", 0);
            Kilobytes(o, "VmData", memory.DataBytes);
            Kilobytes(o, "VmStk", memory.StackBytes);
            Kilobytes(o, "VmExe", memory.ExecutableBytes);
            Kilobytes(o, "VmLib", 0);
            Kilobytes(o, "VmPTE", 0);
            Kilobytes(o, "VmSwap", 0);
            Kilobytes(o, "HugetlbPages", 0);
            o.Append("CoreDumping:\t0\nTHP_enabled:\t1");
            Number(o, "Threads", (ulong)Scheduler.LiveThreads);
            o.Append("\nSigQ:\t0/").AppendDecimal(PendingSignalLimit());
            Mask(o, "SigPnd", thread.PendingSignals);
            Mask(o, "ShdPnd", 0);
            Mask(o, "SigBlk", thread.SignalMask);
            Mask(o, "SigIgn", Tasks.IgnoredSignals());
            Mask(o, "SigCgt", Tasks.CaughtSignals());
            Mask(o, "CapInh", 0);
            Mask(o, "CapPrm", AllCapabilities);
            Mask(o, "CapEff", AllCapabilities);
            Mask(o, "CapBnd", AllCapabilities);
            Mask(o, "CapAmb", 0);
            o.Append("\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0");
            o.Append("\nSpeculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled");
            o.Append("\nCpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\nMems_allowed_list:\t0");
            o.Append("\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
        }

        // Linux shows the size of the descriptor table it has allocated: a multiple of 64 that holds the highest open descriptor.
        private static int FileDescriptorSlots()
        {
            FileDescriptorTable table = Vfs.Descriptors;
            int highest = -1;
            for (int fd = 0; fd < table.Limit; fd++) if (table.Get(fd) != null) highest = fd;
            return (highest / 64 + 1) * 64;
        }

        private static ulong PendingSignalLimit()
        {
            ulong soft, hard;
            Syscalls.ProcessSyscalls.GetLimit(11, out soft, out hard);   // RLIMIT_SIGPENDING
            return soft;
        }

        private static void Number(TextBuilder o, string label, ulong value) =>
            o.Append('\n').Append(label).Append(":\t").AppendDecimal(value);

        private static void Four(TextBuilder o, string label, int id)
        {
            o.Append('\n').Append(label).Append(':');
            for (int i = 0; i < 4; i++) o.Append('\t').AppendDecimal((ulong)id);
        }

        private static void Mask(TextBuilder o, string label, ulong bits) =>
            o.Append('\n').Append(label).Append(":\t").AppendHex(bits, 16);

        private static void Kilobytes(TextBuilder o, string label, ulong bytes) =>
            o.Append(label).Append(":\t").AppendDecimal(bytes / 1024, 8).Append(" kB\n");

        private static void AppendOctal(TextBuilder o, uint value)
        {
            for (int shift = 6; shift >= 0; shift -= 3) o.Append((char)('0' + ((value >> shift) & 7)));
        }
    }
}
