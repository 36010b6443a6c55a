using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // Descriptor-based file system calls: read/write and their positional and vector forms, sendfile and
    // copy_file_range, lseek, close, dup*, fcntl, ioctl, fstat, ftruncate, fsync, getdents64, fchmod,
    // fchown, and friends. Each checks the app's buffers (UserMemory) and hands kernel-usable pointers to
    // the open file description (Files/). fds 0-2 are the console until the app changes them
    // (AppFileTree.Build).
    internal static unsafe class FileSyscalls
    {
        public const int StandardOutput = 1, StandardError = 2;

        // Linux caps one read/write at MAX_RW_COUNT (INT_MAX rounded down to a page).
        private const long MaxTransfer = 0x7FFF_F000;
        private const int MaxVectors = 1024;   // UIO_MAXIOV

        private static OpenFile Get(ulong fd)
        {
            AppFileTree.EnsureBuilt();
            return Vfs.Descriptors.Get((long)fd);
        }

        // read(fd, buf, count)
        public static long read(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || !file.CanRead) return -Errno.EBADF;
            long count = Clamp(call.Arg2);
            if (!UserMemory.IsWritableUserRange(call.Arg1, (ulong)count)) return -Errno.EFAULT;
            return file.Read((byte*)call.Arg1, count);
        }

        // write(fd, buf, count)
        public static long write(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || !file.CanWrite) return -Errno.EBADF;
            long count = Clamp(call.Arg2);
            if (!UserMemory.IsUserRange(call.Arg1, (ulong)count)) return -Errno.EFAULT;
            return file.Write((byte*)call.Arg1, count);
        }

        // pread64(fd, buf, count, offset)
        public static long pread64(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || !file.CanRead) return -Errno.EBADF;
            long offset = (long)call.Arg3;
            if (offset < 0) return -Errno.EINVAL;
            long count = Clamp(call.Arg2);
            if (!UserMemory.IsWritableUserRange(call.Arg1, (ulong)count)) return -Errno.EFAULT;
            return file.ReadAt(offset, (byte*)call.Arg1, count);
        }

        // pwrite64(fd, buf, count, offset)
        public static long pwrite64(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || !file.CanWrite) return -Errno.EBADF;
            long offset = (long)call.Arg3;
            if (offset < 0) return -Errno.EINVAL;
            long count = Clamp(call.Arg2);
            if (!UserMemory.IsUserRange(call.Arg1, (ulong)count)) return -Errno.EFAULT;
            return file.WriteAt(offset, (byte*)call.Arg1, count);
        }

        // readv(fd, iov, iovcnt) / writev / preadv(fd, iov, iovcnt, offset) / pwritev
        public static long readv(SyscallFrame call) => Vector(call, false, false);
        public static long writev(SyscallFrame call) => Vector(call, true, false);
        public static long preadv(SyscallFrame call) => Vector(call, false, true);
        public static long pwritev(SyscallFrame call) => Vector(call, true, true);

        private static long Vector(SyscallFrame call, bool write, bool positional)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || (write ? !file.CanWrite : !file.CanRead)) return -Errno.EBADF;
            long count = (long)call.Arg2;
            if (count < 0 || count > MaxVectors) return -Errno.EINVAL;
            ulong* vectors = (ulong*)call.Arg1;
            if (!UserMemory.IsUserRange(call.Arg1, (ulong)count * 16)) return -Errno.EFAULT;
            long offset = (long)call.Arg3;
            if (positional && offset < 0) return -Errno.EINVAL;

            long total = 0;
            for (long i = 0; i < count; i++)
            {
                ulong length = vectors[2 * i + 1];
                if (length > (ulong)MaxTransfer || total + (long)length > MaxTransfer) return -Errno.EINVAL;
                ulong address = vectors[2 * i];
                bool ok = write ? UserMemory.IsUserRange(address, length) : UserMemory.IsWritableUserRange(address, length);
                if (!ok) return -Errno.EFAULT;
                total += (long)length;
            }

            long done = 0;
            for (long i = 0; i < count; i++)
            {
                byte* buffer = (byte*)vectors[2 * i];
                long length = (long)vectors[2 * i + 1];
                if (length == 0) continue;
                long n;
                if (positional) n = write ? file.WriteAt(offset + done, buffer, length) : file.ReadAt(offset + done, buffer, length);
                else n = write ? file.Write(buffer, length) : file.Read(buffer, length);
                if (n < 0) return done > 0 ? done : n;
                done += n;
                if (n < length) break;
            }
            return done;
        }

        // sendfile(out_fd, in_fd, offset, count): x86-64's sendfile is sendfile64 (a 64-bit *offset).
        // Linux reads *offset first (EFAULT before anything else) and writes it back even after an error.
        public static long sendfile(SyscallFrame call)
        {
            AppFileTree.EnsureBuilt();
            OpenFile output = Vfs.Descriptors.Get((long)call.Arg0), input = Vfs.Descriptors.Get((long)call.Arg1);
            ulong offsetAddress = call.Arg2;
            if (offsetAddress == 0) return FileTransfer.SendFile(output, input, null, call.Arg3);
            if (!UserMemory.IsUserRange(offsetAddress, 8)) return -Errno.EFAULT;
            long position = *(long*)offsetAddress;
            long result = FileTransfer.SendFile(output, input, &position, call.Arg3);
            if (result == Scheduler.NoResult) return result;   // parked: the restart reads *offset again
            if (!UserMemory.IsWritableUserRange(offsetAddress, 8)) return -Errno.EFAULT;
            *(long*)offsetAddress = position;
            return result;
        }

        // copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): both descriptors (EBADF), then the
        // offsets (EFAULT), then flags (EINVAL: none are defined for applications), as Linux checks them.
        public static long copy_file_range(SyscallFrame call)
        {
            OpenFile input = Get(call.Arg0);
            if (input == null || input.IsPathOnly) return -Errno.EBADF;
            OpenFile output = Get(call.Arg2);
            if (output == null || output.IsPathOnly) return -Errno.EBADF;
            ulong inputAddress = call.Arg1, outputAddress = call.Arg3;
            long inputPosition = 0, outputPosition = 0;
            if (inputAddress != 0)
            {
                if (!UserMemory.IsUserRange(inputAddress, 8)) return -Errno.EFAULT;
                inputPosition = *(long*)inputAddress;
            }
            if (outputAddress != 0)
            {
                if (!UserMemory.IsUserRange(outputAddress, 8)) return -Errno.EFAULT;
                outputPosition = *(long*)outputAddress;
            }
            if ((uint)call.Arg5 != 0) return -Errno.EINVAL;
            long result = FileTransfer.CopyRange(input, inputAddress != 0 ? &inputPosition : null,
                                                 output, outputAddress != 0 ? &outputPosition : null, call.Arg4);
            if (result <= 0) return result;
            // The bytes are copied; an offset that cannot be written back still makes the call EFAULT.
            if (inputAddress != 0)
            {
                if (UserMemory.IsWritableUserRange(inputAddress, 8)) *(long*)inputAddress = inputPosition;
                else result = -Errno.EFAULT;
            }
            if (outputAddress != 0)
            {
                if (UserMemory.IsWritableUserRange(outputAddress, 8)) *(long*)outputAddress = outputPosition;
                else result = -Errno.EFAULT;
            }
            return result;
        }

        // lseek(fd, offset, whence)
        public static long lseek(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            return file.Seek((long)call.Arg1, (int)call.Arg2);
        }

        // close(fd)
        public static long close(SyscallFrame call)
        {
            AppFileTree.EnsureBuilt();
            return Vfs.Descriptors.Close((long)call.Arg0);
        }

        // dup(oldfd)
        public static long dup(SyscallFrame call)
        {
            AppFileTree.EnsureBuilt();
            return Vfs.Descriptors.Duplicate((long)call.Arg0, 0, false);
        }

        // dup2(oldfd, newfd)
        public static long dup2(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null) return -Errno.EBADF;
            if (call.Arg0 == call.Arg1) return (long)call.Arg1;
            return Vfs.Descriptors.InstallAt((long)call.Arg1, file, false);
        }

        // dup3(oldfd, newfd, flags)
        public static long dup3(SyscallFrame call)
        {
            int flags = (int)call.Arg2;
            if ((flags & ~OpenFlags.CloseOnExec) != 0) return -Errno.EINVAL;
            OpenFile file = Get(call.Arg0);
            if (file == null) return -Errno.EBADF;
            if (call.Arg0 == call.Arg1) return -Errno.EINVAL;
            return Vfs.Descriptors.InstallAt((long)call.Arg1, file, (flags & OpenFlags.CloseOnExec) != 0);
        }

        // fcntl commands.
        public const int DupFd = 0, GetFd = 1, SetFd = 2, GetFl = 3, SetFl = 4, GetLock = 5, SetLock = 6, SetLockWait = 7;
        public const int SetOwner = 8, GetOwner = 9, SetSignal = 10, GetSignal = 11;
        public const int OfdGetLock = 36, OfdSetLock = 37, OfdSetLockWait = 38;
        public const int SetLease = 1024, GetLease = 1025, Notify = 1026, DupFdCloseOnExec = 1030;
        public const int SetPipeSize = 1031, GetPipeSize = 1032, AddSeals = 1033, GetSeals = 1034;
        private const int FdCloseOnExec = 1;    // FD_CLOEXEC
        private const short Unlocked = 2;       // F_UNLCK
        private const int FlockSize = 32;       // struct flock

        // fcntl(fd, cmd, arg)
        public static long fcntl(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null) return -Errno.EBADF;
            long fd = (long)call.Arg0;
            int command = (int)call.Arg1;
            ulong argument = call.Arg2;
            switch (command)
            {
                case DupFd:
                case DupFdCloseOnExec:
                    return Vfs.Descriptors.Duplicate(fd, (long)(int)argument, command == DupFdCloseOnExec);
                case GetFd:
                    return Vfs.Descriptors.IsCloseOnExec((int)fd) ? FdCloseOnExec : 0;
                case SetFd:
                    return Vfs.Descriptors.SetCloseOnExec((int)fd, ((int)argument & FdCloseOnExec) != 0);
                case GetFl:
                    return file.Flags;
                case SetFl:
                    if (file.IsPathOnly) return -Errno.EBADF;
                    file.Flags = (file.Flags & ~OpenFlags.SettableStatusFlags) | ((int)argument & OpenFlags.SettableStatusFlags);
                    return 0;
                case GetLock:
                case OfdGetLock:
                    // One process: nothing can hold a conflicting lock, so the answer is always "unlocked".
                    if (file.IsPathOnly) return -Errno.EBADF;
                    if (!UserMemory.IsWritableUserRange(argument, FlockSize)) return -Errno.EFAULT;
                    *(short*)argument = Unlocked;
                    return 0;
                case SetLock:
                case SetLockWait:
                case OfdSetLock:
                case OfdSetLockWait:
                    if (file.IsPathOnly) return -Errno.EBADF;
                    if (!UserMemory.IsUserRange(argument, FlockSize)) return -Errno.EFAULT;
                    return 0;
                case GetOwner:
                case GetSignal:
                    return 0;
                case SetOwner:
                case SetSignal:
                    return 0;
                case GetLease:
                    return Unlocked;
                case GetPipeSize:
                    return file is PipeEnd ? Pipe.Capacity : -Errno.EINVAL;
                case SetPipeSize:
                    if (!(file is PipeEnd)) return -Errno.EINVAL;
                    return argument <= 1UL << 20 ? Pipe.Capacity : -Errno.EPERM;   // the size is fixed at 64 KiB
                default:
                    return -Errno.EINVAL;
            }
        }

        // ioctl requests every descriptor understands.
        public const uint BytesReadable = 0x541B, NonBlockingIo = 0x5421, ClearCloseOnExec = 0x5450;
        public const uint SetCloseOnExecRequest = 0x5451, AsyncIo = 0x5452;

        // ioctl(fd, request, arg): the generic requests here, the terminal's in ConsoleHandle, and ENOTTY
        // for everything else (what the runtime expects of files and pipes).
        public static long ioctl(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            uint request = (uint)call.Arg1;
            ulong argument = call.Arg2;
            switch (request)
            {
                case NonBlockingIo:
                case AsyncIo:
                {
                    if (!UserMemory.IsUserRange(argument, 4)) return -Errno.EFAULT;
                    int flag = request == NonBlockingIo ? OpenFlags.NonBlocking : OpenFlags.Async;
                    if (*(int*)argument != 0) file.Flags |= flag;
                    else file.Flags &= ~flag;
                    return 0;
                }
                case SetCloseOnExecRequest:
                    return Vfs.Descriptors.SetCloseOnExec((int)call.Arg0, true);
                case ClearCloseOnExec:
                    return Vfs.Descriptors.SetCloseOnExec((int)call.Arg0, false);
                case BytesReadable:
                {
                    long available = file.BytesReadable();
                    if (available < 0) return file.Ioctl(request, argument);
                    if (!UserMemory.IsWritableUserRange(argument, 4)) return -Errno.EFAULT;
                    *(int*)argument = available > 0x7FFF_FFFF ? 0x7FFF_FFFF : (int)available;
                    return 0;
                }
                default:
                    return file.Ioctl(request, argument);
            }
        }

        // fstat(fd, statbuf)
        public static long fstat(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null) return -Errno.EBADF;
            if (!UserMemory.IsWritableUserRange(call.Arg1, LinuxStat.Size)) return -Errno.EFAULT;
            file.Stat((LinuxStat*)call.Arg1);
            return 0;
        }

        // fstatfs(fd, buf)
        public static long fstatfs(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null) return -Errno.EBADF;
            if (!UserMemory.IsWritableUserRange(call.Arg1, LinuxStatFs.Size)) return -Errno.EFAULT;
            return PathSyscalls.StatFileSystemOf(file, (LinuxStatFs*)call.Arg1);
        }

        // ftruncate(fd, length)
        public static long ftruncate(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            long length = (long)call.Arg1;
            if (length < 0) return -Errno.EINVAL;
            if (!file.CanWrite) return -Errno.EINVAL;
            return file.Truncate(length);
        }

        // fsync(fd), fdatasync(fd): everything is in memory already.
        public static long fsync(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            return file == null || file.IsPathOnly ? -Errno.EBADF : 0;
        }

        public static long fdatasync(SyscallFrame call) => fsync(call);

        // fadvise64(fd, offset, len, advice): advice only.
        public static long fadvise64(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            if (file is PipeEnd) return -Errno.ESPIPE;
            if (call.Arg3 > 5) return -Errno.EINVAL;   // POSIX_FADV_NORMAL..NOREUSE
            return 0;
        }

        // flock(fd, operation): one process, so every lock is granted at once.
        public static long flock(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            int operation = (int)call.Arg1 & ~4;   // LOCK_NB
            if (operation != 1 && operation != 2 && operation != 8) return -Errno.EINVAL;
            return 0;
        }

        // getdents64(fd, dirp, count)
        public static long getdents64(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            long count = Clamp(call.Arg2);
            if (!UserMemory.IsWritableUserRange(call.Arg1, (ulong)count)) return -Errno.EFAULT;
            return file.ReadDirectory((byte*)call.Arg1, count);
        }

        // fchdir(fd)
        public static long fchdir(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null) return -Errno.EBADF;
            return Vfs.ChangeDirectory(file.Node);
        }

        // fchmod(fd, mode)
        public static long fchmod(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            if (file.Node == null) return 0;   // pipes and anonymous inodes: nothing kept
            return Vfs.ChangeMode(file.Node, (uint)call.Arg1);
        }

        // fchown(fd, owner, group): root owns everything; see Vfs.ChangeOwner.
        public static long fchown(SyscallFrame call)
        {
            OpenFile file = Get(call.Arg0);
            if (file == null || file.IsPathOnly) return -Errno.EBADF;
            return Vfs.ChangeOwner(file.Node, (uint)call.Arg1, (uint)call.Arg2);   // Node is null for pipes and anonymous inodes
        }

        private static long Clamp(ulong count) => count > (ulong)MaxTransfer ? MaxTransfer : (long)count;
    }
}
