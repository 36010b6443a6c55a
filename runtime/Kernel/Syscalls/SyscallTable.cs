using Kernel.Arch;
using Kernel.Boot;
using Kernel.Console;
using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // The one table of the kernel's boundary: Linux x86-64 system call numbers to handlers, one file
    // per family. An unknown number returns -ENOSYS and is reported once, so a missing call shows up on
    // the console instead of as mysterious app behaviour. `uk.strace` on the command line prints every
    // call with its arguments and result, like strace.
    internal static unsafe class SyscallTable
    {
        public const ulong Write = 1, Exit = 60, ExitGroup = 231;

        // Memory, threads, signals, time, process.
        public const ulong Mmap = 9, Mprotect = 10, Munmap = 11, Brk = 12, RtSigaction = 13, RtSigprocmask = 14, RtSigreturn = 15;
        public const ulong SchedYield = 24, Mremap = 25, Madvise = 28, Nanosleep = 35, Getpid = 39, Clone = 56, Kill = 62, Uname = 63;
        public const ulong Getrlimit = 97, Getrusage = 98, Sysinfo = 99, Getuid = 102, Getgid = 104, Geteuid = 107, Getegid = 108;
        public const ulong Getppid = 110, RtSigpending = 127, RtSigtimedwait = 128, RtSigsuspend = 130, Pause = 34, Sigaltstack = 131, Prctl = 157, ArchPrctl = 158, Setrlimit = 160;
        public const ulong Gettid = 186, Tkill = 200, Futex = 202, SchedSetaffinity = 203, SchedGetaffinity = 204;
        public const ulong SetTidAddress = 218, ClockNanosleep = 230, Tgkill = 234, GetMempolicy = 239, SetRobustList = 273;
        public const ulong Prlimit64 = 302, Getcpu = 309, Membarrier = 324, Rseq = 334;
        public const ulong Gettimeofday = 96, Time = 201, ClockGettime = 228, ClockGetres = 229, Getrandom = 318;

        // Files (FileSyscalls, PathSyscalls, PipeSyscalls, PollSyscalls; the VFS is in Files/).
        public const ulong Read = 0, Open = 2, Close = 3, Stat = 4, FileStat = 5, LinkStat = 6, Poll = 7, Seek = 8;
        public const ulong Ioctl = 16, ReadAt = 17, WriteAt = 18, ReadVector = 19, WriteVector = 20, Access = 21, Pipe = 22;
        public const ulong Duplicate = 32, Duplicate2 = 33, FileControl = 72, FileLock = 73, FileSync = 74, FileDataSync = 75;
        public const ulong Truncate = 76, FileTruncate = 77, GetWorkingDirectory = 79, ChangeDirectory = 80;
        public const ulong FileChangeDirectory = 81, Rename = 82, MakeDirectory = 83, RemoveDirectory = 84, Create = 85;
        public const ulong Unlink = 87, Symlink = 88, ReadLink = 89, ChangeMode = 90, FileChangeMode = 91, SetUmask = 95;
        public const ulong StatFileSystem = 137, FileStatFileSystem = 138, EpollCreate = 213, ReadDirectory64 = 217;
        public const ulong FileAdvise = 221, EpollWait = 232, EpollControl = 233, OpenAt = 257, MakeDirectoryAt = 258;
        public const ulong StatAt = 262, UnlinkAt = 263, RenameAt = 264, SymlinkAt = 266, ReadLinkAt = 267;
        public const ulong ChangeModeAt = 268, AccessAt = 269, Select = 23, SelectWithTimespec = 270, PollWithTimespec = 271, EpollWaitWithMask = 281;
        public const ulong EventFd = 284, EventFd2 = 290, EpollCreate1 = 291, Duplicate3 = 292, Pipe2 = 293;
        public const ulong ReadVectorAt = 295, WriteVectorAt = 296, RenameAt2 = 316, AccessAt2 = 439, EpollWaitWithTimespec = 441;
        public const ulong SendFile = 40, CopyFileRange = 326, ChangeOwner = 92, FileChangeOwner = 93, LinkChangeOwner = 94;
        public const ulong InotifyInit = 253, InotifyAddWatch = 254, InotifyRemoveWatch = 255, InotifyInit1 = 294;
        public const ulong ChangeOwnerAt = 260, SetTimesAt = 280, SetTimesAtMicroseconds = 261, SetTimesMicroseconds = 235, SetTimesSeconds = 132;
        // Sockets (SocketSyscalls; the stack is in Net/).
        public const ulong Socket = 41, Connect = 42, Accept = 43, SendTo = 44, ReceiveFrom = 45, SendMessage = 46, ReceiveMessage = 47;
        public const ulong Shutdown = 48, Bind = 49, Listen = 50, GetSocketName = 51, GetPeerName = 52, SocketPair = 53;
        public const ulong SetSocketOption = 54, GetSocketOption = 55, Accept4 = 288;
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
            // Handlers (and the trace, which shows paths) read and write the app's memory after UserMemory's
            // checks: SMAP's window is open while they run, and closed again before anything else does.
            UserAccess.Begin();
            // Calls that end the thread or the machine never come back to print their result.
            if (s_trace && (number == Exit || number == ExitGroup)) Trace(call, number, Scheduler.NoResult);
            long result = Handle(call);
            if (s_trace && number != Exit && number != ExitGroup) Trace(call, number, result);
            UserAccess.End();
            if (result == Scheduler.NoResult) return;   // parked, or the handler set every register itself
            frame->Rax = (ulong)result;
            if (Scheduler.Current != null) Scheduler.Current.RestartedDeadline = 0;
        }

        private static long Handle(SyscallFrame call)
        {
            switch (call.Number)
            {
                // files (FileSyscalls, PathSyscalls, PipeSyscalls, PollSyscalls; the VFS is in Files/)
                case Write: return FileSyscalls.Write(call);
                case Read: return FileSyscalls.Read(call);
                case ReadAt: return FileSyscalls.ReadAt(call);
                case WriteAt: return FileSyscalls.WriteAt(call);
                case ReadVector: return FileSyscalls.ReadVector(call);
                case WriteVector: return FileSyscalls.WriteVector(call);
                case ReadVectorAt: return FileSyscalls.ReadVectorAt(call);
                case WriteVectorAt: return FileSyscalls.WriteVectorAt(call);
                case Seek: return FileSyscalls.Seek(call);
                case Close: return FileSyscalls.Close(call);
                case Duplicate: return FileSyscalls.Duplicate(call);
                case Duplicate2: return FileSyscalls.Duplicate2(call);
                case Duplicate3: return FileSyscalls.Duplicate3(call);
                case FileControl: return FileSyscalls.Control(call);
                case Ioctl: return FileSyscalls.Ioctl(call);
                case FileStat: return FileSyscalls.FileStat(call);
                case FileStatFileSystem: return FileSyscalls.FileStatFileSystem(call);
                case FileTruncate: return FileSyscalls.FileTruncate(call);
                case FileSync:
                case FileDataSync: return FileSyscalls.Sync(call);
                case FileAdvise: return FileSyscalls.Advise(call);
                case FileLock: return FileSyscalls.Lock(call);
                case ReadDirectory64: return FileSyscalls.ReadDirectory(call);
                case FileChangeDirectory: return FileSyscalls.ChangeDirectory(call);
                case FileChangeMode: return FileSyscalls.ChangeMode(call);
                case FileChangeOwner: return FileSyscalls.ChangeOwner(call);
                case SendFile: return FileSyscalls.SendFile(call);
                case CopyFileRange: return FileSyscalls.CopyFileRange(call);
                case Open: return PathSyscalls.Open(call);
                case OpenAt: return PathSyscalls.OpenAt(call);
                case Create: return PathSyscalls.Create(call);
                case Stat: return PathSyscalls.Stat(call);
                case LinkStat: return PathSyscalls.LinkStat(call);
                case StatAt: return PathSyscalls.StatAt(call);
                case StatFileSystem: return PathSyscalls.StatFileSystem(call);
                case Access: return PathSyscalls.Access(call);
                case AccessAt: return PathSyscalls.AccessAt(call);
                case AccessAt2: return PathSyscalls.AccessAt2(call);
                case MakeDirectory: return PathSyscalls.MakeDirectory(call);
                case MakeDirectoryAt: return PathSyscalls.MakeDirectoryAt(call);
                case Unlink: return PathSyscalls.Unlink(call);
                case RemoveDirectory: return PathSyscalls.RemoveDirectory(call);
                case UnlinkAt: return PathSyscalls.UnlinkAt(call);
                case Rename: return PathSyscalls.Rename(call);
                case RenameAt: return PathSyscalls.RenameAt(call);
                case RenameAt2: return PathSyscalls.RenameAt2(call);
                case Symlink: return PathSyscalls.Symlink(call);
                case SymlinkAt: return PathSyscalls.SymlinkAt(call);
                case ReadLink: return PathSyscalls.ReadLink(call);
                case ReadLinkAt: return PathSyscalls.ReadLinkAt(call);
                case GetWorkingDirectory: return PathSyscalls.GetWorkingDirectory(call);
                case ChangeDirectory: return PathSyscalls.ChangeDirectory(call);
                case ChangeMode: return PathSyscalls.ChangeMode(call);
                case ChangeModeAt: return PathSyscalls.ChangeModeAt(call);
                case ChangeOwner: return PathSyscalls.ChangeOwner(call);
                case LinkChangeOwner: return PathSyscalls.LinkChangeOwner(call);
                case ChangeOwnerAt: return PathSyscalls.ChangeOwnerAt(call);
                case SetTimesAt: return PathSyscalls.SetTimesAt(call);
                case SetTimesAtMicroseconds: return PathSyscalls.SetTimesAtMicroseconds(call);
                case SetTimesMicroseconds: return PathSyscalls.SetTimesMicroseconds(call);
                case SetTimesSeconds: return PathSyscalls.SetTimesSeconds(call);
                case Truncate: return PathSyscalls.Truncate(call);
                case SetUmask: return PathSyscalls.SetUmask(call);
                case Pipe: return PipeSyscalls.Pipe(call);
                case Pipe2: return PipeSyscalls.Pipe2(call);
                case EventFd: return PipeSyscalls.EventFd(call);
                case EventFd2: return PipeSyscalls.EventFd2(call);
                case InotifyInit: return InotifySyscalls.Init(call);
                case InotifyInit1: return InotifySyscalls.Init1(call);
                case InotifyAddWatch: return InotifySyscalls.AddWatch(call);
                case InotifyRemoveWatch: return InotifySyscalls.RemoveWatch(call);
                case Poll: return PollSyscalls.Poll(call);
                case PollWithTimespec: return PollSyscalls.PollWithTimespec(call);
                case Select: return SelectSyscalls.Select(call);
                case SelectWithTimespec: return SelectSyscalls.SelectWithTimespec(call);
                case EpollCreate: return PollSyscalls.EpollCreate(call);
                case EpollCreate1: return PollSyscalls.EpollCreate1(call);
                case EpollControl: return PollSyscalls.EpollControl(call);
                case EpollWait: return PollSyscalls.EpollWait(call);
                case EpollWaitWithMask: return PollSyscalls.EpollWaitWithMask(call);
                case EpollWaitWithTimespec: return PollSyscalls.EpollWaitWithTimespec(call);

                // sockets (SocketSyscalls; the stack is in Net/)
                case Socket: return SocketSyscalls.Socket(call);
                case Bind: return SocketSyscalls.Bind(call);
                case Listen: return SocketSyscalls.Listen(call);
                case Accept: return SocketSyscalls.Accept(call);
                case Accept4: return SocketSyscalls.Accept4(call);
                case Connect: return SocketSyscalls.Connect(call);
                case SendTo: return SocketSyscalls.SendTo(call);
                case ReceiveFrom: return SocketSyscalls.ReceiveFrom(call);
                case SendMessage: return SocketSyscalls.SendMessage(call);
                case ReceiveMessage: return SocketSyscalls.ReceiveMessage(call);
                case Shutdown: return SocketSyscalls.Shutdown(call);
                case GetSocketName: return SocketSyscalls.GetSocketName(call);
                case GetPeerName: return SocketSyscalls.GetPeerName(call);
                case SetSocketOption: return SocketSyscalls.SetOption(call);
                case GetSocketOption: return SocketSyscalls.GetOption(call);
                case SocketPair: return SocketSyscalls.SocketPair(call);

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
                case Getcpu: return ThreadSyscalls.GetCpu(call);

                // signals (SignalSyscalls)
                case RtSigaction: return SignalSyscalls.Action(call);
                case RtSigprocmask: return SignalSyscalls.ProcMask(call);
                case RtSigreturn: return SignalSyscalls.Return(call);
                case RtSigpending: return SignalSyscalls.Pending(call);
                case RtSigtimedwait: return SignalSyscalls.TimedWait(call);
                case RtSigsuspend: return SignalSyscalls.Suspend(call);
                case Pause: return SignalSyscalls.Pause(call);
                case Sigaltstack: return SignalSyscalls.AlternateStack(call);
                case Kill: return SignalSyscalls.Kill(call);
                case Tkill: return SignalSyscalls.ThreadKill(call);
                case Tgkill: return SignalSyscalls.ThreadGroupKill(call);

                // time (TimeSyscalls, SleepSyscalls) and randomness (RandomSyscalls)
                case Gettimeofday: return TimeSyscalls.Gettimeofday(call);
                case Time: return TimeSyscalls.Time(call);
                case ClockGettime: return TimeSyscalls.ClockGettime(call);
                case ClockGetres: return TimeSyscalls.ClockGetres(call);
                case Getrandom: return RandomSyscalls.GetRandom(call);
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
                if (name != null) { KernelConsole.Write(" "); KernelConsole.Write(name); }
                KernelConsole.WriteLine(" (returns -ENOSYS)");
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
            else if (result < 0 && result > -4096) { KernelConsole.Write("-"); KernelConsole.Write(Net.NetErrors.Name(-result) ?? Errno.Name(-result)); }
            else if (result < 0) KernelConsole.WriteSigned(result);
            else KernelConsole.WriteHex((ulong)result);
            KernelConsole.WriteLine();
        }
    }
}
