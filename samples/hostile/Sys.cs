namespace Hostile;

/// <summary>Raw x86-64 Linux system calls (through <see cref="NativeCode.RawSyscall"/>) and their numbers.</summary>
internal static unsafe class Sys
{
    public const int Read = 0, Write = 1, Open = 2, Close = 3, Stat = 4, Fstat = 5, Poll = 7, Mmap = 9, Mprotect = 10;
    public const int Munmap = 11, Brk = 12, RtSigaction = 13, RtSigprocmask = 14, RtSigreturn = 15, Ioctl = 16;
    public const int Pread64 = 17, Readv = 19, Writev = 20, Access = 21, Select = 23, Mremap = 25, Madvise = 28;
    public const int Pause = 34, Nanosleep = 35, Getpid = 39, Socket = 41, Connect = 42, Sendto = 44, Recvfrom = 45;
    public const int Sendmsg = 46, Recvmsg = 47, Bind = 49, Getsockname = 51, Setsockopt = 54, Getsockopt = 55;
    public const int Mkdir = 83, Unlink = 87, Readlink = 89, Chdir = 80, Getcwd = 79, Uname = 63, Fcntl = 72;
    public const int Gettimeofday = 96, Getrlimit = 97, Getrusage = 98, Sysinfo = 99, RtSigpending = 127;
    public const int Sigaltstack = 131, ArchPrctl = 158, Gettid = 186, Time = 201, Futex = 202;
    public const int SchedGetaffinity = 204, Getdents64 = 217, ClockGettime = 228, ClockGetres = 229;
    public const int EpollWait = 232, EpollCtl = 233, Tgkill = 234, Openat = 257, Newfstatat = 262;
    public const int EventFd2 = 290, EpollCreate1 = 291, Pipe2 = 293, Prlimit64 = 302, Getcpu = 309, Getrandom = 318;

    public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2;
    public const int MapPrivate = 0x02, MapFixed = 0x10, MapAnonymous = 0x20, MapFixedNoReplace = 0x100000;
    public const int MadvDontneed = 4, MadvFree = 8, MremapMaymove = 1, MremapFixed = 2;
    public const int ONonblock = 0x800, OCloexec = 0x80000, ODirectory = 0x10000, OCreat = 0x40, ORdwr = 2;
    public const int SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12;

    public static long Call(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, long a6 = 0)
        => NativeCode.RawSyscall(nr, a1, a2, a3, a4, a5, a6);

    public static int CurrentThreadId => (int)Call(Gettid);

    /// <summary>"OK" for a result of 0 or more, else the errno's name.</summary>
    public static string Outcome(long result) => result >= 0 || result < -4095 ? "OK" : Errno.Name((int)-result);
}

internal static class Errno
{
    private static readonly Dictionary<int, string> s_names = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [6] = "ENXIO", [7] = "E2BIG",
        [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES",
        [14] = "EFAULT", [16] = "EBUSY", [17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR",
        [21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE", [25] = "ENOTTY", [26] = "ETXTBSY",
        [27] = "EFBIG", [28] = "ENOSPC", [29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK", [32] = "EPIPE",
        [33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK", [36] = "ENAMETOOLONG", [37] = "ENOLCK", [38] = "ENOSYS",
        [39] = "ENOTEMPTY", [40] = "ELOOP", [42] = "ENOMSG", [61] = "ENODATA", [75] = "EOVERFLOW",
        [88] = "ENOTSOCK", [89] = "EDESTADDRREQ", [90] = "EMSGSIZE", [91] = "EPROTOTYPE", [92] = "ENOPROTOOPT",
        [93] = "EPROTONOSUPPORT", [94] = "ESOCKTNOSUPPORT", [95] = "EOPNOTSUPP", [97] = "EAFNOSUPPORT",
        [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [100] = "ENETDOWN", [101] = "ENETUNREACH",
        [103] = "ECONNABORTED", [104] = "ECONNRESET", [105] = "ENOBUFS", [106] = "EISCONN", [107] = "ENOTCONN",
        [110] = "ETIMEDOUT", [111] = "ECONNREFUSED", [113] = "EHOSTUNREACH", [114] = "EALREADY",
        [115] = "EINPROGRESS", [125] = "ECANCELED", [512] = "ERESTARTSYS", [516] = "ERESTART_RESTARTBLOCK",
    };

    public static string Name(int errno) => s_names.TryGetValue(errno, out string? name) ? name : "E" + errno;
}
