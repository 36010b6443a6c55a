using Kernel.Console;

namespace Kernel.Syscalls
{
    // File-descriptor system calls. Today: the console behind fd 1 and 2; the VFS comes with the app.
    internal static unsafe class FileSyscalls
    {
        public const int StandardOutput = 1, StandardError = 2;

        // write(fd, buf, count)
        public static long Write(SyscallFrame call)
        {
            long fd = (long)call.Arg0;
            byte* buffer = (byte*)call.Arg1;
            long count = (long)call.Arg2;
            if (fd != StandardOutput && fd != StandardError) return -Errno.EBADF;
            if (count < 0) return -Errno.EINVAL;
            if (count > 0 && !UserMemory.IsUserRange(call.Arg1, (ulong)count)) return -Errno.EFAULT;
            for (long i = 0; i < count; i++) SerialPort.Write(buffer[i]);
            return count;
        }
    }
}
