using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // Readiness: poll/ppoll and epoll_create/create1/ctl/wait/pwait. A wait with nothing ready and a
    // timeout other than 0 parks on FileEvents.AnyChange (every readiness change wakes it) through
    // Blocking.WaitThenRestart and re-runs from the start when woken.
    //
    // A finite timeout also wakes the thread at its deadline and the call then returns 0; the deadline
    // survives restarts (Blocking.DeadlineAfter). Signal masks (ppoll, epoll_pwait) are accepted and
    // ignored for now.
    internal static unsafe class PollSyscalls
    {
        private const int PollFdSize = 8;   // struct pollfd { int fd; short events; short revents; }

        // poll(fds, nfds, timeout_ms)
        public static long poll(SyscallFrame call) => PollFiles(call.Arg0, call.Arg1, (long)(int)call.Arg2);

        // ppoll(fds, nfds, tmo_p, sigmask, sigsetsize)
        public static long ppoll(SyscallFrame call)
        {
            long timeoutMs = -1;
            if (call.Arg2 != 0)
            {
                long error = TimespecToMilliseconds(call.Arg2, out timeoutMs);
                if (error < 0) return error;
            }
            return PollFiles(call.Arg0, call.Arg1, timeoutMs);
        }

        private static long PollFiles(ulong fds, ulong count, long timeoutMs)
        {
            AppFileTree.EnsureBuilt();
            if (count > (ulong)Vfs.Descriptors.Limit) return -Errno.EINVAL;
            if (!UserMemory.IsWritableUserRange(fds, count * PollFdSize)) return -Errno.EFAULT;
            long ready = 0;
            for (ulong i = 0; i < count; i++)
            {
                byte* entry = (byte*)fds + i * PollFdSize;
                int fd = *(int*)entry;
                uint asked = *(ushort*)(entry + 4);
                uint events = 0;
                if (fd >= 0)
                {
                    OpenFile file = Vfs.Descriptors.Get(fd);
                    events = file == null ? PollBits.Invalid : file.Poll() & (asked | PollBits.AlwaysReported);
                }
                *(ushort*)(entry + 6) = (ushort)events;
                if (events != 0) ready++;
            }
            if (ready > 0 || timeoutMs == 0) return ready;
            return Park(timeoutMs);
        }

        // epoll_create(size)
        public static long epoll_create(SyscallFrame call)
        {
            if ((int)call.Arg0 <= 0) return -Errno.EINVAL;
            return CreateEpoll(0);
        }

        // epoll_create1(flags)
        public static long epoll_create1(SyscallFrame call)
        {
            int flags = (int)call.Arg0;
            if ((flags & ~OpenFlags.CloseOnExec) != 0) return -Errno.EINVAL;
            return CreateEpoll(flags);
        }

        private static long CreateEpoll(int flags)
        {
            AppFileTree.EnsureBuilt();
            var epoll = new EpollInstance(flags);
            return Vfs.Descriptors.InstallNew(epoll, (flags & OpenFlags.CloseOnExec) != 0);
        }

        // epoll_ctl(epfd, op, fd, event)
        public static long epoll_ctl(SyscallFrame call)
        {
            AppFileTree.EnsureBuilt();
            OpenFile epollFile = Vfs.Descriptors.Get((long)(int)call.Arg0);
            OpenFile file = Vfs.Descriptors.Get((long)(int)call.Arg2);
            if (epollFile == null || file == null) return -Errno.EBADF;
            var epoll = epollFile as EpollInstance;
            if (epoll == null) return -Errno.EINVAL;
            int operation = (int)call.Arg1;
            uint events = 0;
            ulong data = 0;
            if (operation != EpollInstance.ControlDelete)
            {
                if (!UserMemory.IsUserRange(call.Arg3, EpollInstance.EventSize)) return -Errno.EFAULT;
                events = *(uint*)call.Arg3;
                data = *(ulong*)(call.Arg3 + 4);
            }
            return epoll.Control(operation, (int)call.Arg2, file, events, data);
        }

        // epoll_wait(epfd, events, maxevents, timeout_ms)
        public static long epoll_wait(SyscallFrame call) => WaitEpoll(call.Arg0, call.Arg1, call.Arg2, (long)(int)call.Arg3);

        // epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize)
        public static long epoll_pwait(SyscallFrame call) => WaitEpoll(call.Arg0, call.Arg1, call.Arg2, (long)(int)call.Arg3);

        // epoll_pwait2(epfd, events, maxevents, timeout (struct timespec*), sigmask, sigsetsize)
        public static long epoll_pwait2(SyscallFrame call)
        {
            long timeoutMs = -1;
            if (call.Arg3 != 0)
            {
                long error = TimespecToMilliseconds(call.Arg3, out timeoutMs);
                if (error < 0) return error;
            }
            return WaitEpoll(call.Arg0, call.Arg1, call.Arg2, timeoutMs);
        }

        private static long WaitEpoll(ulong epfd, ulong events, ulong maxEvents, long timeoutMs)
        {
            AppFileTree.EnsureBuilt();
            int max = (int)maxEvents;
            if (max <= 0 || max > 0x7FFF_FFFF / EpollInstance.EventSize) return -Errno.EINVAL;
            if (!UserMemory.IsWritableUserRange(events, (ulong)max * EpollInstance.EventSize)) return -Errno.EFAULT;
            OpenFile file = Vfs.Descriptors.Get((long)(int)epfd);
            if (file == null) return -Errno.EBADF;
            var epoll = file as EpollInstance;
            if (epoll == null) return -Errno.EINVAL;
            int ready = epoll.Collect((byte*)events, max);
            if (ready > 0 || timeoutMs == 0) return ready;
            return Park(timeoutMs);
        }

        // Waits for any readiness change; a finite timeout ends the wait with 0 ready at its deadline,
        // which a restarted call keeps (Blocking.DeadlineAfter).
        private static long Park(long timeoutMs)
        {
            if (timeoutMs < 0) return Blocking.WaitThenRestart(FileEvents.AnyChange);
            return Blocking.WaitThenRestart(FileEvents.AnyChange, Blocking.DeadlineAfter((ulong)timeoutMs * 1_000_000UL), 0);
        }

        // struct timespec { long tv_sec; long tv_nsec; } -> milliseconds, rounded up (a positive wait
        // shorter than 1 ms still waits).
        private static long TimespecToMilliseconds(ulong address, out long milliseconds)
        {
            milliseconds = 0;
            if (!UserMemory.IsUserRange(address, 16)) return -Errno.EFAULT;
            long seconds = *(long*)address;
            long nanoseconds = *(long*)(address + 8);
            if (seconds < 0 || nanoseconds < 0 || nanoseconds >= 1_000_000_000) return -Errno.EINVAL;
            if (seconds > 0x7FFF_FFFF_FFFFL) { milliseconds = -1; return 0; }   // effectively forever
            milliseconds = seconds * 1000 + (nanoseconds + 999_999) / 1_000_000;
            return 0;
        }
    }
}
