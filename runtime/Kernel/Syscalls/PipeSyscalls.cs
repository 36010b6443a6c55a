using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;

namespace Kernel.Syscalls
{
    // Descriptors without a name: pipe/pipe2 and eventfd/eventfd2.
    internal static unsafe class PipeSyscalls
    {
        private const int EventFdSemaphore = 1;   // EFD_SEMAPHORE; EFD_CLOEXEC and EFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK

        // pipe(fds)
        public static long pipe(SyscallFrame call) => CreatePipe(call.Arg0, 0);

        // pipe2(fds, flags)
        public static long pipe2(SyscallFrame call) => CreatePipe(call.Arg0, (int)call.Arg1);

        private static long CreatePipe(ulong fds, int flags)
        {
            if ((flags & ~(OpenFlags.CloseOnExec | OpenFlags.NonBlocking | OpenFlags.Direct)) != 0) return -Errno.EINVAL;
            if (!UserMemory.IsWritableUserRange(fds, 8)) return -Errno.EFAULT;
            AppFileTree.EnsureBuilt();
            PipeEnd readEnd, writeEnd;
            Files.Events.Pipe.Create(flags, out readEnd, out writeEnd);
            bool closeOnExec = (flags & OpenFlags.CloseOnExec) != 0;
            int readFd, writeFd;
            long error = Vfs.Descriptors.InstallNewPair(readEnd, writeEnd, closeOnExec, out readFd, out writeFd);
            if (error < 0) return error;
            ((int*)fds)[0] = readFd;
            ((int*)fds)[1] = writeFd;
            return 0;
        }

        // eventfd(initval)
        public static long eventfd(SyscallFrame call) => CreateEventFd((uint)call.Arg0, 0);

        // eventfd2(initval, flags)
        public static long eventfd2(SyscallFrame call) => CreateEventFd((uint)call.Arg0, (int)call.Arg1);

        private static long CreateEventFd(uint initial, int flags)
        {
            if ((flags & ~(OpenFlags.CloseOnExec | OpenFlags.NonBlocking | EventFdSemaphore)) != 0) return -Errno.EINVAL;
            AppFileTree.EnsureBuilt();
            var file = new EventFdHandle(initial, (flags & EventFdSemaphore) != 0, flags);
            return Vfs.Descriptors.InstallNew(file, (flags & OpenFlags.CloseOnExec) != 0);
        }
    }
}
