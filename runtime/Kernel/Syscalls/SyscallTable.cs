using Kernel.Arch;
using Kernel.Boot;
using Kernel.Console;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // The one table of the kernel's boundary: Linux x86-64 system call numbers to handlers, one file
    // per family. An unknown number returns -ENOSYS and is reported once, so a missing call shows up on
    // the console instead of as mysterious app behaviour. `uk.strace` on the command line prints every
    // call with its arguments and result, like strace.
    internal static unsafe class SyscallTable
    {
        public const ulong Read = 0, Write = 1, Open = 2, Close = 3, Stat = 4, Fstat = 5, Lstat = 6, Poll = 7, Lseek = 8;
        public const ulong Mmap = 9, Mprotect = 10, Munmap = 11, Brk = 12, RtSigaction = 13, RtSigprocmask = 14, RtSigreturn = 15;
        public const ulong Ioctl = 16, Pread64 = 17, Pwrite64 = 18, Readv = 19, Writev = 20, Access = 21, Pipe = 22;
        public const ulong SchedYield = 24, Mremap = 25, Madvise = 28, Dup = 32, Dup2 = 33, Nanosleep = 35;
        public const ulong Getpid = 39, Clone = 56, Exit = 60, Kill = 62, Uname = 63, Fcntl = 72, Fsync = 74, Fdatasync = 75;
        public const ulong Ftruncate = 77, Getdents64 = 217, Getcwd = 79, Chdir = 80, Rename = 82, Mkdir = 83, Rmdir = 84;
        public const ulong Unlink = 87, Readlink = 89, Umask = 95, Getrlimit = 97, Getrusage = 98, Sysinfo = 99;
        public const ulong Getuid = 102, Getgid = 104, Geteuid = 107, Getegid = 108, Getppid = 110;
        public const ulong RtSigpending = 127, Sigaltstack = 131, Statfs = 137, Fstatfs = 138, Prctl = 157, ArchPrctl = 158;
        public const ulong Setrlimit = 160, Gettid = 186, Tkill = 200, Futex = 202, SchedSetaffinity = 203, SchedGetaffinity = 204;
        public const ulong SetTidAddress = 218, ClockGettime = 228, ClockGetres = 229, ClockNanosleep = 230, ExitGroup = 231;
        public const ulong Tgkill = 234, GetMempolicy = 239, Openat = 257, Mkdirat = 258, Newfstatat = 262, Unlinkat = 263;
        public const ulong Renameat = 264, Readlinkat = 267, Faccessat = 269, Ppoll = 271, SetRobustList = 273;
        public const ulong Eventfd2 = 290, EpollCreate1 = 291, Dup3 = 292, Pipe2 = 293, Prlimit64 = 302, Getrandom = 318;
        public const ulong Membarrier = 324, Rseq = 334;
        private const int Size = 512;

        private struct ReportedSet { public fixed bool Numbers[Size]; }
        private static ReportedSet s_reported;
        private static bool s_trace;

        /// <summary>Reads the boot options that change how calls are handled (uk.strace).</summary>
        public static void Configure()
        {
            int length;
            s_trace = BootCommandLine.Option("uk.strace", out length) != null;
        }

        public static void Dispatch(InterruptFrame* frame)
        {
            var call = new SyscallFrame(frame);
            ulong number = call.Number;
            // Calls that end the thread or the machine never come back to print their result.
            if (s_trace && (number == Exit || number == ExitGroup)) Trace(call, number, Scheduler.NoResult);
            long result = Handle(call);
            if (s_trace && number != Exit && number != ExitGroup) Trace(call, number, result);
            if (result == Scheduler.NoResult) return;   // parked, or the handler set every register itself
            frame->Rax = (ulong)result;
            if (Scheduler.Current != null) Scheduler.Current.RestartedDeadline = 0;
        }

        private static long Handle(SyscallFrame call)
        {
            switch (call.Number)
            {
                // files (FileSyscalls)
                case Write: return FileSyscalls.Write(call);

                // memory (MemorySyscalls)
                case Mmap: return MemorySyscalls.Map(call);
                case Mprotect: return MemorySyscalls.Protect(call);
                case Munmap: return MemorySyscalls.Unmap(call);
                case Brk: return MemorySyscalls.Brk(call);
                case Mremap: return MemorySyscalls.Remap(call);
                case Madvise: return MemorySyscalls.Advise(call);
                case Membarrier: return MemorySyscalls.Membarrier(call);
                case GetMempolicy: return MemorySyscalls.GetMemoryPolicy(call);

                // threads (ThreadSyscalls)
                case Clone: return ThreadSyscalls.Clone(call);
                case Exit: return Scheduler.Current != null ? ThreadSyscalls.Exit(call) : ProcessSyscalls.ExitGroup(call);
                case SetTidAddress: return ThreadSyscalls.SetTidAddress(call);
                case Gettid: return ThreadSyscalls.GetTid(call);
                case SchedYield: return ThreadSyscalls.Yield(call);
                case SchedGetaffinity: return ThreadSyscalls.GetAffinity(call);
                case SchedSetaffinity: return ThreadSyscalls.SetAffinity(call);
                case Futex: return ThreadSyscalls.Futex(call);
                case SetRobustList: return ThreadSyscalls.SetRobustList(call);

                // signals (SignalSyscalls)
                case RtSigaction: return SignalSyscalls.Action(call);
                case RtSigprocmask: return SignalSyscalls.ProcMask(call);
                case RtSigreturn: return SignalSyscalls.Return(call);
                case RtSigpending: return SignalSyscalls.Pending(call);
                case Sigaltstack: return SignalSyscalls.AlternateStack(call);
                case Kill: return SignalSyscalls.Kill(call);
                case Tkill: return SignalSyscalls.ThreadKill(call);
                case Tgkill: return SignalSyscalls.ThreadGroupKill(call);

                // time (SleepSyscalls)
                case Nanosleep: return SleepSyscalls.Sleep(call);
                case ClockNanosleep: return SleepSyscalls.ClockSleep(call);

                // process (ProcessSyscalls)
                case ExitGroup: return ProcessSyscalls.ExitGroup(call);
                case Getpid: return ProcessSyscalls.GetPid(call);
                case Getppid: return ProcessSyscalls.GetParentPid(call);
                case Getuid:
                case Geteuid:
                case Getgid:
                case Getegid: return ProcessSyscalls.GetUserOrGroupId(call);
                case Umask: return ProcessSyscalls.Umask(call);
                case ArchPrctl: return ProcessSyscalls.ArchPrctl(call);
                case Uname: return ProcessSyscalls.Uname(call);
                case Prlimit64: return ProcessSyscalls.Prlimit(call);
                case Getrlimit: return ProcessSyscalls.GetLimit(call);
                case Setrlimit: return ProcessSyscalls.SetLimit(call);
                case Sysinfo: return ProcessSyscalls.SystemInfo(call);
                case Getrusage: return ProcessSyscalls.ResourceUsage(call);
                case Prctl: return ProcessSyscalls.Prctl(call);

                // rseq is an optimisation libc may try; "not here" is the documented answer.
                case Rseq: return -Errno.ENOSYS;
                default: return Unknown(call.Number);
            }
        }

        private static long Unknown(ulong number)
        {
            bool first;
            fixed (ReportedSet* reported = &s_reported)
            {
                first = number < Size && !reported->Numbers[number];
                if (first) reported->Numbers[number] = true;
            }
            if (first && !s_trace)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("unimplemented system call ");
                KernelConsole.WriteDecimal(number);
                string name = SyscallNames.Name(number);
                if (name != null) { KernelConsole.Write(" ("); KernelConsole.Write(name); KernelConsole.Write(")"); }
                KernelConsole.WriteLine(", returns -ENOSYS");
            }
            return -Errno.ENOSYS;
        }

        private static void Trace(SyscallFrame call, ulong number, long result)
        {
            KernelConsole.Prefix();
            if (Scheduler.Current != null)
            {
                KernelConsole.Write("[");
                KernelConsole.WriteDecimal((ulong)Scheduler.Current.Id);
                KernelConsole.Write("] ");
            }
            string name = SyscallNames.Name(number);
            if (name != null) KernelConsole.Write(name);
            else { KernelConsole.Write("syscall_"); KernelConsole.WriteDecimal(number); }
            KernelConsole.Write("(");
            int count = SyscallNames.ArgumentCount(number);
            for (int i = 0; i < count; i++)
            {
                if (i > 0) KernelConsole.Write(", ");
                KernelConsole.WriteHex(call.Argument(i));
            }
            KernelConsole.Write(") = ");
            if (result == Scheduler.NoResult) KernelConsole.Write(Scheduler.Current != null && Scheduler.Current.State == ThreadState.Blocked ? "? (blocked)" : "?");
            else if (result < 0 && result > -4096) { KernelConsole.Write("-"); KernelConsole.Write(Errno.Name(-result)); }
            else if (result < 0) KernelConsole.WriteSigned(result);
            else KernelConsole.WriteHex((ulong)result);
            KernelConsole.WriteLine();
        }
    }
}
