using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Boot;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // The kernel's boundary: one row per Linux x86-64 system call, indexed by its number, with Linux's
    // name (syscall_64.tbl), its argument count and its handler. Dispatch, the `uk.strace` trace and the
    // report of unimplemented calls all read the row, so a call lives here and in its handler only.
    // Handlers are named exactly as the call (`FileSyscalls.fcntl`, `PathSyscalls.utimensat`), one file
    // per family, so a strace line greps to its code. A row without a handler names a call Linux has and
    // this kernel does not. A call with no handler returns -ENOSYS and is reported once (by name where a
    // row gives one; numbers past the table only fail), so a missing call shows up on the console instead
    // of as mysterious app behaviour.
    // tests/Unikernel.Runtime.Tests checks every row's number and name against Linux's.
    internal static unsafe class SyscallTable
    {
        private struct Row
        {
            public string Name;
            public delegate*<SyscallFrame, long> Handler;
            public byte ArgumentCount;
            public bool EndsThread;   // never comes back to print its result: traced before it runs
            public bool Reported;     // unimplemented and already reported
            public byte TextArguments; // bit i: argument i is a NUL-terminated string (a path, a name), traced as text
        }

        private const byte Text0 = 1, Text1 = 2, Text2 = 4, Text3 = 8;

        private const int Size = 512;
        private static Row[] s_rows;
        private static bool s_trace;

        // Filled at module start-up, before the self-tests or the app can make a call; the dispatcher
        // then reads the rows with no check of its own.
        [ModuleInitializer]
        internal static void Fill()
        {
            s_rows = new Row[Size];
            Register(  0, "read",               3, &FileSyscalls.read);
            Register(  1, "write",              3, &FileSyscalls.write);
            Register(  2, "open",               3, &PathSyscalls.open, text: Text0);
            Register(  3, "close",              1, &FileSyscalls.close);
            Register(  4, "stat",               2, &PathSyscalls.stat, text: Text0);
            Register(  5, "fstat",              2, &FileSyscalls.fstat);
            Register(  6, "lstat",              2, &PathSyscalls.lstat, text: Text0);
            Register(  7, "poll",               3, &PollSyscalls.poll);
            Register(  8, "lseek",              3, &FileSyscalls.lseek);
            Register(  9, "mmap",               6, &MemorySyscalls.mmap);
            Register( 10, "mprotect",           3, &MemorySyscalls.mprotect);
            Register( 11, "munmap",             2, &MemorySyscalls.munmap);
            Register( 12, "brk",                1, &MemorySyscalls.brk);
            Register( 13, "rt_sigaction",       4, &SignalSyscalls.rt_sigaction);
            Register( 14, "rt_sigprocmask",     4, &SignalSyscalls.rt_sigprocmask);
            Register( 15, "rt_sigreturn",       0, &SignalSyscalls.rt_sigreturn);
            Register( 16, "ioctl",              3, &FileSyscalls.ioctl);
            Register( 17, "pread64",            4, &FileSyscalls.pread64);
            Register( 18, "pwrite64",           4, &FileSyscalls.pwrite64);
            Register( 19, "readv",              3, &FileSyscalls.readv);
            Register( 20, "writev",             3, &FileSyscalls.writev);
            Register( 21, "access",             2, &PathSyscalls.access, text: Text0);
            Register( 22, "pipe",               1, &PipeSyscalls.pipe);
            Register( 23, "select",             5, &SelectSyscalls.select);
            Register( 24, "sched_yield",        0, &ThreadSyscalls.sched_yield);
            Register( 25, "mremap",             5, &MemorySyscalls.mremap);
            Register( 26, "msync",              3, null);
            Register( 27, "mincore",            3, null);
            Register( 28, "madvise",            3, &MemorySyscalls.madvise);
            Register( 32, "dup",                1, &FileSyscalls.dup);
            Register( 33, "dup2",               2, &FileSyscalls.dup2);
            Register( 34, "pause",              0, &SignalSyscalls.pause);
            Register( 35, "nanosleep",          2, &SleepSyscalls.nanosleep);
            Register( 39, "getpid",             0, &ProcessSyscalls.getpid);
            Register( 40, "sendfile",           4, &FileSyscalls.sendfile);
            Register( 41, "socket",             3, &SocketSyscalls.socket);
            Register( 42, "connect",            3, &SocketSyscalls.connect);
            Register( 43, "accept",             3, &SocketSyscalls.accept);
            Register( 44, "sendto",             6, &SocketSyscalls.sendto);
            Register( 45, "recvfrom",           6, &SocketSyscalls.recvfrom);
            Register( 46, "sendmsg",            3, &SocketSyscalls.sendmsg);
            Register( 47, "recvmsg",            3, &SocketSyscalls.recvmsg);
            Register( 48, "shutdown",           2, &SocketSyscalls.shutdown);
            Register( 49, "bind",               3, &SocketSyscalls.bind);
            Register( 50, "listen",             2, &SocketSyscalls.listen);
            Register( 51, "getsockname",        3, &SocketSyscalls.getsockname);
            Register( 52, "getpeername",        3, &SocketSyscalls.getpeername);
            Register( 53, "socketpair",         4, &SocketSyscalls.socketpair);
            Register( 54, "setsockopt",         5, &SocketSyscalls.setsockopt);
            Register( 55, "getsockopt",         5, &SocketSyscalls.getsockopt);
            Register( 56, "clone",              5, &ThreadSyscalls.clone);
            Register( 57, "fork",               0, &ProcessSyscalls.fork);
            Register( 58, "vfork",              0, &ProcessSyscalls.vfork);
            Register( 59, "execve",             3, &ProcessSyscalls.execve, text: Text0);
            Register( 60, "exit",               1, &ThreadSyscalls.exit, endsThread: true);
            Register( 61, "wait4",              4, null);
            Register( 62, "kill",               2, &SignalSyscalls.kill);
            Register( 63, "uname",              1, &ProcessSyscalls.uname);
            Register( 72, "fcntl",              3, &FileSyscalls.fcntl);
            Register( 73, "flock",              2, &FileSyscalls.flock);
            Register( 74, "fsync",              1, &FileSyscalls.fsync);
            Register( 75, "fdatasync",          1, &FileSyscalls.fdatasync);
            Register( 76, "truncate",           2, &PathSyscalls.truncate, text: Text0);
            Register( 77, "ftruncate",          2, &FileSyscalls.ftruncate);
            Register( 78, "getdents",           3, null);
            Register( 79, "getcwd",             2, &PathSyscalls.getcwd);
            Register( 80, "chdir",              1, &PathSyscalls.chdir, text: Text0);
            Register( 81, "fchdir",             1, &FileSyscalls.fchdir);
            Register( 82, "rename",             2, &PathSyscalls.rename, text: Text0 | Text1);
            Register( 83, "mkdir",              2, &PathSyscalls.mkdir, text: Text0);
            Register( 84, "rmdir",              1, &PathSyscalls.rmdir, text: Text0);
            Register( 85, "creat",              2, &PathSyscalls.creat, text: Text0);
            Register( 86, "link",               2, null, text: Text0 | Text1);
            Register( 87, "unlink",             1, &PathSyscalls.unlink, text: Text0);
            Register( 88, "symlink",            2, &PathSyscalls.symlink, text: Text0 | Text1);
            Register( 89, "readlink",           3, &PathSyscalls.readlink, text: Text0);
            Register( 90, "chmod",              2, &PathSyscalls.chmod, text: Text0);
            Register( 91, "fchmod",             2, &FileSyscalls.fchmod);
            Register( 92, "chown",              3, &PathSyscalls.chown, text: Text0);
            Register( 93, "fchown",             3, &FileSyscalls.fchown);
            Register( 94, "lchown",             3, &PathSyscalls.lchown, text: Text0);
            Register( 95, "umask",              1, &PathSyscalls.umask);
            Register( 96, "gettimeofday",       2, &TimeSyscalls.gettimeofday);
            Register( 97, "getrlimit",          2, &ProcessSyscalls.getrlimit);
            Register( 98, "getrusage",          2, &ProcessSyscalls.getrusage);
            Register( 99, "sysinfo",            1, &ProcessSyscalls.sysinfo);
            Register(100, "times",              1, null);
            Register(102, "getuid",             0, &ProcessSyscalls.getuid);
            Register(104, "getgid",             0, &ProcessSyscalls.getgid);
            Register(107, "geteuid",            0, &ProcessSyscalls.geteuid);
            Register(108, "getegid",            0, &ProcessSyscalls.getegid);
            Register(110, "getppid",            0, &ProcessSyscalls.getppid);
            Register(111, "getpgrp",            0, null);
            Register(112, "setsid",             0, null);
            Register(127, "rt_sigpending",      2, &SignalSyscalls.rt_sigpending);
            Register(128, "rt_sigtimedwait",    4, &SignalSyscalls.rt_sigtimedwait);
            Register(130, "rt_sigsuspend",      2, &SignalSyscalls.rt_sigsuspend);
            Register(131, "sigaltstack",        2, &SignalSyscalls.sigaltstack);
            Register(132, "utime",              2, &PathSyscalls.utime, text: Text0);
            Register(137, "statfs",             2, &PathSyscalls.statfs, text: Text0);
            Register(138, "fstatfs",            2, &FileSyscalls.fstatfs);
            Register(157, "prctl",              5, &ProcessSyscalls.prctl);
            Register(158, "arch_prctl",         2, &ProcessSyscalls.arch_prctl);
            Register(160, "setrlimit",          2, &ProcessSyscalls.setrlimit);
            Register(186, "gettid",             0, &ThreadSyscalls.gettid);
            Register(200, "tkill",              2, &SignalSyscalls.tkill);
            Register(201, "time",               1, &TimeSyscalls.time);
            Register(202, "futex",              6, &ThreadSyscalls.futex);
            Register(203, "sched_setaffinity",  3, &ThreadSyscalls.sched_setaffinity);
            Register(204, "sched_getaffinity",  3, &ThreadSyscalls.sched_getaffinity);
            Register(213, "epoll_create",       1, &PollSyscalls.epoll_create);
            Register(217, "getdents64",         3, &FileSyscalls.getdents64);
            Register(218, "set_tid_address",    1, &ThreadSyscalls.set_tid_address);
            Register(221, "fadvise64",          4, &FileSyscalls.fadvise64);
            Register(228, "clock_gettime",      2, &TimeSyscalls.clock_gettime);
            Register(229, "clock_getres",       2, &TimeSyscalls.clock_getres);
            Register(230, "clock_nanosleep",    4, &SleepSyscalls.clock_nanosleep);
            Register(231, "exit_group",         1, &ProcessSyscalls.exit_group, endsThread: true);
            Register(232, "epoll_wait",         4, &PollSyscalls.epoll_wait);
            Register(233, "epoll_ctl",          4, &PollSyscalls.epoll_ctl);
            Register(234, "tgkill",             3, &SignalSyscalls.tgkill);
            Register(235, "utimes",             2, &PathSyscalls.utimes, text: Text0);
            Register(239, "get_mempolicy",      5, &MemorySyscalls.get_mempolicy);
            Register(253, "inotify_init",       0, &InotifySyscalls.inotify_init);
            Register(254, "inotify_add_watch",  3, &InotifySyscalls.inotify_add_watch, text: Text1);
            Register(255, "inotify_rm_watch",   2, &InotifySyscalls.inotify_rm_watch);
            Register(257, "openat",             4, &PathSyscalls.openat, text: Text1);
            Register(258, "mkdirat",            3, &PathSyscalls.mkdirat, text: Text1);
            Register(260, "fchownat",           5, &PathSyscalls.fchownat, text: Text1);
            Register(261, "futimesat",          3, &PathSyscalls.futimesat, text: Text1);
            Register(262, "newfstatat",         4, &PathSyscalls.newfstatat, text: Text1);
            Register(263, "unlinkat",           3, &PathSyscalls.unlinkat, text: Text1);
            Register(264, "renameat",           4, &PathSyscalls.renameat, text: Text1 | Text3);
            Register(266, "symlinkat",          3, &PathSyscalls.symlinkat, text: Text0 | Text2);
            Register(267, "readlinkat",         4, &PathSyscalls.readlinkat, text: Text1);
            Register(268, "fchmodat",           3, &PathSyscalls.fchmodat, text: Text1);
            Register(269, "faccessat",          3, &PathSyscalls.faccessat, text: Text1);
            Register(270, "pselect6",           6, &SelectSyscalls.pselect6);
            Register(271, "ppoll",              5, &PollSyscalls.ppoll);
            Register(273, "set_robust_list",    2, &ThreadSyscalls.set_robust_list);
            Register(274, "get_robust_list",    3, null);
            Register(280, "utimensat",          4, &PathSyscalls.utimensat, text: Text1);
            Register(281, "epoll_pwait",        6, &PollSyscalls.epoll_pwait);
            Register(284, "eventfd",            1, &PipeSyscalls.eventfd);
            Register(285, "fallocate",          4, null);
            Register(288, "accept4",            4, &SocketSyscalls.accept4);
            Register(290, "eventfd2",           2, &PipeSyscalls.eventfd2);
            Register(291, "epoll_create1",      1, &PollSyscalls.epoll_create1);
            Register(292, "dup3",               3, &FileSyscalls.dup3);
            Register(293, "pipe2",              2, &PipeSyscalls.pipe2);
            Register(294, "inotify_init1",      1, &InotifySyscalls.inotify_init1);
            Register(295, "preadv",             5, &FileSyscalls.preadv);
            Register(296, "pwritev",            5, &FileSyscalls.pwritev);
            Register(302, "prlimit64",          4, &ProcessSyscalls.prlimit64);
            Register(309, "getcpu",             6, &ThreadSyscalls.getcpu);
            Register(316, "renameat2",          5, &PathSyscalls.renameat2, text: Text1 | Text3);
            Register(318, "getrandom",          3, &RandomSyscalls.getrandom);
            Register(319, "memfd_create",       2, &MemoryFileSyscalls.memfd_create, text: Text0);
            Register(324, "membarrier",         3, &MemorySyscalls.membarrier);
            Register(326, "copy_file_range",    6, &FileSyscalls.copy_file_range);
            Register(332, "statx",              5, null, text: Text1);
            Register(334, "rseq",               4, &ProcessSyscalls.rseq);
            Register(435, "clone3",             2, null);
            Register(439, "faccessat2",         4, &PathSyscalls.faccessat2, text: Text1);
            Register(441, "epoll_pwait2",       6, &PollSyscalls.epoll_pwait2);
        }

        private static void Register(ulong number, string name, byte argumentCount, delegate*<SyscallFrame, long> handler,
                                     bool endsThread = false, byte text = 0)
        {
            ref Row row = ref s_rows[(int)number];
            row.Name = name;
            row.ArgumentCount = argumentCount;
            row.Handler = handler;
            row.EndsThread = endsThread;
            row.TextArguments = text;
        }

        /// <summary>Reads the boot options that change how calls are handled (uk.strace).</summary>
        public static void Configure()
        {
            int length;
            s_trace = BootCommandLine.Option("uk.strace", out length) != null;
        }

        /// <summary>The number of the call Linux names `name`, for kernel code that makes calls (the self-tests).</summary>
        public static ulong NumberOf(string name)
        {
            for (int number = 0; number < s_rows.Length; number++)
                if (s_rows[number].Name == name) return (ulong)number;
            Panic.Fail("no system call has that name");
            return 0;
        }

        public static void Dispatch(InterruptFrame* frame)
        {
            var call = new SyscallFrame(frame);
            ulong number = call.Number;
            // Handlers (and the trace, which shows paths) read and write the app's memory after UserMemory's
            // checks: SMAP's window is open while they run, and closed again before anything else does.
            UserAccess.Begin();
            Row[] rows = s_rows;
            long result;
            if (number < (ulong)rows.Length && rows[(int)number].Handler != null)
            {
                ref Row row = ref rows[(int)number];
                // Calls that end the thread or the machine never come back to print their result.
                if (s_trace && row.EndsThread) Trace(call, number, Scheduler.NoResult);
                result = row.Handler(call);
                if (s_trace && !row.EndsThread) Trace(call, number, result);
            }
            else
            {
                result = Unknown(number);
                if (s_trace) Trace(call, number, result);
            }
            UserAccess.End();
            if (result == Scheduler.NoResult) return;   // parked, or the handler set every register itself
            frame->Rax = (ulong)result;
            Threads.Thread current = Scheduler.Current;
            if (current != null) current.RestartedDeadline = 0;
        }

        private static long Unknown(ulong number)
        {
            if (number >= (ulong)s_rows.Length) return -Errno.ENOSYS;
            ref Row row = ref s_rows[(int)number];
            bool first = !row.Reported;
            row.Reported = true;
            if (first && !s_trace)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("unimplemented system call ");
                KernelConsole.WriteDecimal(number);
                if (row.Name != null) { KernelConsole.Write(" "); KernelConsole.Write(row.Name); }
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
            // A number no row names prints as syscall_N with all six argument registers.
            string name = number < (ulong)s_rows.Length ? s_rows[(int)number].Name : null;
            int count = 6, text = 0;
            if (name != null) { KernelConsole.Write(name); count = s_rows[(int)number].ArgumentCount; text = s_rows[(int)number].TextArguments; }
            else { KernelConsole.Write("syscall_"); KernelConsole.WriteDecimal(number); }
            KernelConsole.Write("(");
            for (int i = 0; i < count; i++)
            {
                if (i > 0) KernelConsole.Write(", ");
                if ((text & (1 << i)) != 0) TraceText(call.Argument(i));
                else KernelConsole.WriteHex(call.Argument(i));
            }
            KernelConsole.Write(") = ");
            if (result == Scheduler.NoResult) KernelConsole.Write(Scheduler.Current != null && Scheduler.Current.State == ThreadState.Blocked ? "? (blocked)" : "?");
            else if (result < 0 && result > -4096) { KernelConsole.Write("-"); KernelConsole.Write(Errno.Name(-result)); }
            else if (result < 0) KernelConsole.WriteSigned(result);
            else KernelConsole.WriteHex((ulong)result);
            KernelConsole.WriteLine();
        }

        private const int TracedTextLimit = 64;

        // A string argument as strace shows it: quoted, at most TracedTextLimit bytes then `...`, bytes other than
        // printable ASCII escaped (so the app cannot put a line break or a console tag into the kernel's line). The
        // trace runs inside the call's SMAP window; each page is checked before it is read, and an address the app
        // does not own prints as the number it is.
        private static void TraceText(ulong address)
        {
            if (address == 0) { KernelConsole.Write("NULL"); return; }
            if (!UserMemory.IsUserRange(address, 1)) { KernelConsole.WriteHex(address); return; }
            KernelConsole.Write('"');
            for (int i = 0; i < TracedTextLimit; i++)
            {
                ulong at = address + (ulong)i;
                if (at < address || ((at & 4095) == 0 && !UserMemory.IsUserRange(at, 1))) { KernelConsole.Write("\"..."); return; }
                byte value = *(byte*)at;
                if (value == 0) { KernelConsole.Write('"'); return; }
                if (value == (byte)'"' || value == (byte)'\\') { KernelConsole.Write('\\'); KernelConsole.Write((char)value); }
                else if (value >= 0x20 && value < 0x7F) KernelConsole.Write((char)value);
                else
                {
                    KernelConsole.Write("\\x");
                    KernelConsole.Write(HexDigit(value >> 4));
                    KernelConsole.Write(HexDigit(value & 15));
                }
            }
            KernelConsole.Write("\"...");
        }

        private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
    }
}
