using Kernel.Memory;
using Kernel.Process;
using Kernel.Syscalls;
using Kernel.Threads;

namespace Kernel.Files.Synthetic
{
    // /proc/<pid>/stat (the process: its leader's line with the whole process's CPU time) and
    // /proc/<pid>/task/<tid>/stat (one thread), in proc(5)'s 52 fields. The process has no parent, no
    // terminal, and runs on CPU 0 under SCHED_OTHER at nice 0. stime is the time from each entry into the
    // kernel to its return (Scheduler.EnteredFromApp), utime the rest of the thread's CPU time.
    internal sealed class TaskStatFile : ContentGenerator
    {
        private const ulong PfRandomize = 0x400000;   // the one task flag a user process usually shows
        private const int Sigchld = 17;
        private readonly int _threadId;                // 0: the whole process

        public TaskStatFile(int threadId) { _threadId = threadId; }

        public override void Generate(TextBuilder o)
        {
            bool wholeProcess = _threadId == 0;
            Thread thread = wholeProcess ? Tasks.Leader() : Tasks.Find(_threadId);
            if (thread == null) return;
            ProcessMemoryFigures memory = ProcessMemoryFigures.Now();
            ulong cpu = wholeProcess ? Scheduler.ProcessCpuNanoseconds() : Scheduler.ThreadCpuNanoseconds(thread);
            ulong system = wholeProcess ? Scheduler.ProcessSystemNanoseconds() : thread.SystemNanoseconds;
            ulong user = cpu > system ? cpu - system : 0;
            Thread leader = Tasks.Leader();
            ulong started = wholeProcess || thread == leader ? leader.StartNanoseconds : thread.StartNanoseconds;
            ulong rssLimit, unused;
            ProcessSyscalls.GetLimit(5, out rssLimit, out unused);   // RLIMIT_RSS

            o.AppendDecimal((ulong)(wholeProcess ? Tasks.ProcessId : thread.Id)).Append(" (");
            Tasks.AppendName(o, thread);
            o.Append(") ").Append(Tasks.StateLetter(thread));
            o.Append(" 0 ").AppendDecimal(Tasks.ProcessId).Append(' ').AppendDecimal(Tasks.ProcessId);   // ppid pgrp session
            o.Append(" 0 -1 ").AppendDecimal(PfRandomize);                                               // tty_nr tpgid flags
            o.Append(" 0 0 0 0 ");                                                                       // minflt cminflt majflt cmajflt
            o.AppendDecimal(Tasks.Ticks(user)).Append(' ').AppendDecimal(Tasks.Ticks(system)).Append(" 0 0");   // utime stime cutime cstime
            o.Append(" 20 0 ").AppendDecimal((ulong)Scheduler.LiveThreads).Append(" 0 ");                // priority nice num_threads itrealvalue
            o.AppendDecimal(Tasks.Ticks(started)).Append(' ');
            o.AppendDecimal(memory.SizeBytes).Append(' ').AppendDecimal(memory.ResidentBytes / UserAddressSpace.PageSize).Append(' ');
            o.AppendDecimal(rssLimit).Append(' ');
            o.AppendDecimal(memory.CodeStart).Append(' ').AppendDecimal(memory.CodeEnd).Append(' ');
            o.AppendDecimal(ProcessIdentity.InitialStackPointer).Append(" 0 0 ");                          // startstack kstkesp kstkeip
            o.AppendDecimal(thread.PendingSignals).Append(' ').AppendDecimal(thread.SignalMask).Append(' ');
            o.AppendDecimal(Tasks.IgnoredSignals()).Append(' ').AppendDecimal(Tasks.CaughtSignals());
            o.Append(" 0 0 0 ");                                                                         // wchan nswap cnswap
            if (thread == leader) o.AppendDecimal(Sigchld); else o.Append("-1");                         // exit_signal
            o.Append(" 0 0 0 0 0 0 ");                                                                   // processor rt_priority policy blkio gtime cgtime
            o.AppendDecimal(memory.DataStart).Append(' ').AppendDecimal(memory.DataEnd).Append(' ');
            o.AppendDecimal(UserAddressSpace.BrkBase).Append(' ');
            o.AppendDecimal(ProcessIdentity.ArgumentsStart).Append(' ').AppendDecimal(ProcessIdentity.ArgumentsEnd).Append(' ');
            o.AppendDecimal(ProcessIdentity.EnvironmentStart).Append(' ').AppendDecimal(ProcessIdentity.EnvironmentEnd);
            o.Append(" 0\n");                                                                            // exit_code
        }
    }
}
