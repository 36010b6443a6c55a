using System.Runtime.InteropServices;
using System.Text;

namespace Hostile;

/// <summary>
/// Kernel addresses handed to every pointer argument of the system calls an app commonly makes: each must fail with
/// EFAULT before the kernel reads or writes anything there. Each call gets the three kinds of kernel address
/// (KernelRanges.PointerTargets); the other arguments are valid, so the pointer is the only thing wrong.
/// </summary>
internal static unsafe class PointerAttacks
{
    private const int SigBlock = 0, FutexWaitPrivate = 128, EpollCtlAdd = 1, EpollIn = 1, AfInet = 2, SockDgram = 2;
    private const int SolSocket = 1, SoType = 3, SoRcvbuf = 8, MsgDontwait = 0x40, RlimitNofile = 7;

    public static void Run(AttackRun run)
    {
        byte* scratch = (byte*)Marshal.AllocHGlobal(4096);
        new Span<byte>(scratch, 4096).Clear();
        long buffer = (long)scratch, buffer2 = (long)scratch + 1024;
        long root = CString(scratch + 2048, "/");

        long* fds = (long*)(scratch + 3072);
        int* pipeFds = (int*)fds;
        if (Sys.Call(Sys.Pipe2, (long)pipeFds, Sys.ONonblock | Sys.OCloexec) != 0) throw new InvalidOperationException("pipe2 failed");
        int pipeRead = pipeFds[0], pipeWrite = pipeFds[1];
        string path = Path.Combine(Path.GetTempPath(), $"hostile-{Environment.ProcessId}.dat");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef"));
        int file = (int)Sys.Call(Sys.Open, CString(scratch + 2560, path), 0);
        int dir = (int)Sys.Call(Sys.Open, root, Sys.ODirectory);
        int eventFd = (int)Sys.Call(Sys.EventFd2, 0, Sys.ONonblock);
        int epoll = (int)Sys.Call(Sys.EpollCreate1, 0);
        int udp = (int)Sys.Call(Sys.Socket, AfInet, SockDgram | Sys.ONonblock, 0);
        long* epollEvent = (long*)(scratch + 3200);
        *(uint*)epollEvent = EpollIn;
        Sys.Call(Sys.EpollCtl, epoll, EpollCtlAdd, pipeRead, (long)epollEvent);
        long* timeout = (long*)(scratch + 3300);   // a timespec of 1 ms
        timeout[0] = 0; timeout[1] = 1_000_000;
        long* timeval = (long*)(scratch + 3340);   // a timeval of 0
        timeval[0] = 0; timeval[1] = 0;
        byte* loopback = scratch + 3400;           // sockaddr_in 127.0.0.1:9
        *(ushort*)loopback = AfInet; loopback[2] = 0; loopback[3] = 9;
        loopback[4] = 127; loopback[5] = 0; loopback[6] = 0; loopback[7] = 1;
        int* length = (int*)(scratch + 3440);
        *length = 16;

        // Reads that find data ready, so the only reason left to fail is the buffer.
        void FillPipe()
        {
            byte* probe = scratch + 3500;
            *(int*)probe = pipeRead; *(short*)(probe + 4) = 1; *(short*)(probe + 6) = 0;   // pollfd, POLLIN
            if (Sys.Call(Sys.Poll, (long)probe, 1, 0) == 1 && (*(short*)(probe + 6) & 1) != 0) return;
            Sys.Call(Sys.Write, pipeWrite, buffer, 16);
        }
        void FillEventFd() { *(long*)(scratch + 3600) = 1; Sys.Call(Sys.Write, eventFd, (long)(scratch + 3600), 8); }
        long Iovec(long at, long baseAddress) { ((long*)at)[0] = baseAddress; ((long*)at)[1] = 16; return at; }

        var calls = new (string Name, Func<long, long> Call)[]
        {
            ("read-buf", k => { FillPipe(); return Sys.Call(Sys.Read, pipeRead, k, 16); }),
            ("write-buf", k => Sys.Call(Sys.Write, pipeWrite, k, 16)),
            ("pread64-buf", k => Sys.Call(Sys.Pread64, file, k, 16, 0)),
            ("readv-iov", k => { FillPipe(); return Sys.Call(Sys.Readv, pipeRead, k, 1); }),
            ("readv-base", k => { FillPipe(); return Sys.Call(Sys.Readv, pipeRead, Iovec(buffer2, k), 1); }),
            ("writev-iov", k => Sys.Call(Sys.Writev, pipeWrite, k, 1)),
            ("writev-base", k => Sys.Call(Sys.Writev, pipeWrite, Iovec(buffer2, k), 1)),
            ("read-eventfd-buf", k => { FillEventFd(); return Sys.Call(Sys.Read, eventFd, k, 8); }),
            ("open-path", k => Sys.Call(Sys.Open, k, 0)),
            ("stat-path", k => Sys.Call(Sys.Stat, k, buffer)),
            ("stat-buf", k => Sys.Call(Sys.Stat, root, k)),
            ("fstat-buf", k => Sys.Call(Sys.Fstat, file, k)),
            ("access-path", k => Sys.Call(Sys.Access, k, 0)),
            ("mkdir-path", k => Sys.Call(Sys.Mkdir, k, 0x1ED)),
            ("unlink-path", k => Sys.Call(Sys.Unlink, k)),
            ("chdir-path", k => Sys.Call(Sys.Chdir, k)),
            ("readlink-path", k => Sys.Call(Sys.Readlink, k, buffer, 64)),
            ("getcwd-buf", k => Sys.Call(Sys.Getcwd, k, 256)),
            ("getdents64-buf", k => Sys.Call(Sys.Getdents64, dir, k, 4096)),
            ("uname-buf", k => Sys.Call(Sys.Uname, k)),
            ("sysinfo-buf", k => Sys.Call(Sys.Sysinfo, k)),
            ("clock_gettime-buf", k => Sys.Call(Sys.ClockGettime, 1, k)),
            ("clock_getres-buf", k => Sys.Call(Sys.ClockGetres, 1, k)),
            ("gettimeofday-buf", k => Sys.Call(Sys.Gettimeofday, k, 0)),
            ("time-buf", k => Sys.Call(Sys.Time, k)),
            ("nanosleep-req", k => Sys.Call(Sys.Nanosleep, k, 0)),
            ("pipe2-fds", k => Sys.Call(Sys.Pipe2, k, 0)),
            ("poll-fds", k => Sys.Call(Sys.Poll, k, 1, 0)),
            ("select-readfds", k => Sys.Call(Sys.Select, 1, k, 0, 0, (long)timeval)),
            ("epoll_wait-events", k => { FillPipe(); return Sys.Call(Sys.EpollWait, epoll, k, 1, 0); }),
            ("epoll_ctl-event", k => Sys.Call(Sys.EpollCtl, epoll, EpollCtlAdd, eventFd, k)),
            ("rt_sigaction-act", k => Sys.Call(Sys.RtSigaction, Sys.SIGUSR2, k, 0, 8)),
            ("rt_sigaction-oldact", k => Sys.Call(Sys.RtSigaction, Sys.SIGUSR2, 0, k, 8)),
            ("rt_sigprocmask-set", k => Sys.Call(Sys.RtSigprocmask, SigBlock, k, 0, 8)),
            ("rt_sigprocmask-oldset", k => Sys.Call(Sys.RtSigprocmask, SigBlock, 0, k, 8)),
            ("rt_sigpending-set", k => Sys.Call(Sys.RtSigpending, k, 8)),
            ("sigaltstack-new", k => { long r = Sys.Call(Sys.Sigaltstack, k, 0); run.Catcher.InstallAlternateStack(); return r; }),
            ("sigaltstack-old", k => Sys.Call(Sys.Sigaltstack, 0, k)),
            ("futex-wait-uaddr", k => Sys.Call(Sys.Futex, k, FutexWaitPrivate, 0x5A5A5A5A, (long)timeout, 0, 0)),
            ("getrandom-buf", k => Sys.Call(Sys.Getrandom, k, 16, 0)),
            ("getrlimit-buf", k => Sys.Call(Sys.Getrlimit, RlimitNofile, k)),
            ("prlimit64-new", k => Sys.Call(Sys.Prlimit64, 0, RlimitNofile, k, 0)),
            ("prlimit64-old", k => Sys.Call(Sys.Prlimit64, 0, RlimitNofile, 0, k)),
            ("getrusage-buf", k => Sys.Call(Sys.Getrusage, 0, k)),
            ("sched_getaffinity-mask", k => Sys.Call(Sys.SchedGetaffinity, 0, 128, k)),
            ("getcpu-cpu", k => Sys.Call(Sys.Getcpu, k, 0, 0)),
            ("arch_prctl-get-fs", k => Sys.Call(Sys.ArchPrctl, 0x1003, k)),
            ("bind-addr", k => Sys.Call(Sys.Bind, udp, k, 16)),
            ("connect-addr", k => Sys.Call(Sys.Connect, udp, k, 16)),
            ("sendto-addr", k => Sys.Call(Sys.Sendto, udp, buffer, 4, 0, k, 16)),
            ("sendto-buf", k => Sys.Call(Sys.Sendto, udp, k, 4, 0, (long)loopback, 16)),
            ("sendmsg-msghdr", k => Sys.Call(Sys.Sendmsg, udp, k, 0)),
            ("recvmsg-msghdr", k => Sys.Call(Sys.Recvmsg, udp, k, MsgDontwait)),
            ("getsockname-addr", k => { *length = 16; return Sys.Call(Sys.Getsockname, udp, k, (long)length); }),
            ("getsockname-len", k => Sys.Call(Sys.Getsockname, udp, buffer, k)),
            ("setsockopt-val", k => Sys.Call(Sys.Setsockopt, udp, SolSocket, SoRcvbuf, k, 4)),
            ("getsockopt-len", k => Sys.Call(Sys.Getsockopt, udp, SolSocket, SoType, buffer, k)),
        };

        foreach (var (name, call) in calls)
            foreach (var (target, address) in KernelRanges.PointerTargets)
                run.Attack($"ptr-{name}@{target}", () => Sys.Outcome(call(address)));

        foreach (int fd in new[] { pipeRead, pipeWrite, file, dir, eventFd, epoll, udp })
            if (fd >= 0) Sys.Call(Sys.Close, fd);
        File.Delete(path);
        Marshal.FreeHGlobal((nint)scratch);
    }

    private static long CString(byte* at, string text)
    {
        int n = Encoding.UTF8.GetBytes(text, new Span<byte>(at, 500));
        at[n] = 0;
        return (long)at;
    }
}
