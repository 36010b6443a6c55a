using Kernel.Arch;
using Kernel.Console;

namespace Kernel.Syscalls
{
    // The one table of the kernel's boundary: Linux x86-64 system call numbers to handlers, one file
    // per family. An unknown number returns -ENOSYS and is reported once, so a missing call shows up on
    // the console instead of as mysterious app behaviour.
    internal static unsafe class SyscallTable
    {
        public const ulong Write = 1;
        public const ulong Exit = 60;
        public const ulong ExitGroup = 231;

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
        public const ulong ChangeModeAt = 268, AccessAt = 269, PollWithTimespec = 271, EpollWaitWithMask = 281;
        public const ulong EventFd = 284, EventFd2 = 290, EpollCreate1 = 291, Duplicate3 = 292, Pipe2 = 293;
        public const ulong ReadVectorAt = 295, WriteVectorAt = 296, RenameAt2 = 316, AccessAt2 = 439, EpollWaitWithTimespec = 441;
        private const int Size = 512;

        private struct ReportedSet { public fixed bool Numbers[Size]; }
        private static ReportedSet s_reported;

        public static void Dispatch(InterruptFrame* frame)
        {
            var call = new SyscallFrame(frame);
            long result;
            switch (call.Number)
            {
                case Write: result = FileSyscalls.Write(call); break;

                // Files
                case Read: result = FileSyscalls.Read(call); break;
                case ReadAt: result = FileSyscalls.ReadAt(call); break;
                case WriteAt: result = FileSyscalls.WriteAt(call); break;
                case ReadVector: result = FileSyscalls.ReadVector(call); break;
                case WriteVector: result = FileSyscalls.WriteVector(call); break;
                case ReadVectorAt: result = FileSyscalls.ReadVectorAt(call); break;
                case WriteVectorAt: result = FileSyscalls.WriteVectorAt(call); break;
                case Seek: result = FileSyscalls.Seek(call); break;
                case Close: result = FileSyscalls.Close(call); break;
                case Duplicate: result = FileSyscalls.Duplicate(call); break;
                case Duplicate2: result = FileSyscalls.Duplicate2(call); break;
                case Duplicate3: result = FileSyscalls.Duplicate3(call); break;
                case FileControl: result = FileSyscalls.Control(call); break;
                case Ioctl: result = FileSyscalls.Ioctl(call); break;
                case FileStat: result = FileSyscalls.FileStat(call); break;
                case FileStatFileSystem: result = FileSyscalls.FileStatFileSystem(call); break;
                case FileTruncate: result = FileSyscalls.FileTruncate(call); break;
                case FileSync:
                case FileDataSync: result = FileSyscalls.Sync(call); break;
                case FileAdvise: result = FileSyscalls.Advise(call); break;
                case FileLock: result = FileSyscalls.Lock(call); break;
                case ReadDirectory64: result = FileSyscalls.ReadDirectory(call); break;
                case FileChangeDirectory: result = FileSyscalls.ChangeDirectory(call); break;
                case FileChangeMode: result = FileSyscalls.ChangeMode(call); break;
                case Open: result = PathSyscalls.Open(call); break;
                case OpenAt: result = PathSyscalls.OpenAt(call); break;
                case Create: result = PathSyscalls.Create(call); break;
                case Stat: result = PathSyscalls.Stat(call); break;
                case LinkStat: result = PathSyscalls.LinkStat(call); break;
                case StatAt: result = PathSyscalls.StatAt(call); break;
                case StatFileSystem: result = PathSyscalls.StatFileSystem(call); break;
                case Access: result = PathSyscalls.Access(call); break;
                case AccessAt: result = PathSyscalls.AccessAt(call); break;
                case AccessAt2: result = PathSyscalls.AccessAt2(call); break;
                case MakeDirectory: result = PathSyscalls.MakeDirectory(call); break;
                case MakeDirectoryAt: result = PathSyscalls.MakeDirectoryAt(call); break;
                case Unlink: result = PathSyscalls.Unlink(call); break;
                case RemoveDirectory: result = PathSyscalls.RemoveDirectory(call); break;
                case UnlinkAt: result = PathSyscalls.UnlinkAt(call); break;
                case Rename: result = PathSyscalls.Rename(call); break;
                case RenameAt: result = PathSyscalls.RenameAt(call); break;
                case RenameAt2: result = PathSyscalls.RenameAt2(call); break;
                case Symlink: result = PathSyscalls.Symlink(call); break;
                case SymlinkAt: result = PathSyscalls.SymlinkAt(call); break;
                case ReadLink: result = PathSyscalls.ReadLink(call); break;
                case ReadLinkAt: result = PathSyscalls.ReadLinkAt(call); break;
                case GetWorkingDirectory: result = PathSyscalls.GetWorkingDirectory(call); break;
                case ChangeDirectory: result = PathSyscalls.ChangeDirectory(call); break;
                case ChangeMode: result = PathSyscalls.ChangeMode(call); break;
                case ChangeModeAt: result = PathSyscalls.ChangeModeAt(call); break;
                case Truncate: result = PathSyscalls.Truncate(call); break;
                case SetUmask: result = PathSyscalls.SetUmask(call); break;
                case Pipe: result = PipeSyscalls.Pipe(call); break;
                case Pipe2: result = PipeSyscalls.Pipe2(call); break;
                case EventFd: result = PipeSyscalls.EventFd(call); break;
                case EventFd2: result = PipeSyscalls.EventFd2(call); break;
                case Poll: result = PollSyscalls.Poll(call); break;
                case PollWithTimespec: result = PollSyscalls.PollWithTimespec(call); break;
                case EpollCreate: result = PollSyscalls.EpollCreate(call); break;
                case EpollCreate1: result = PollSyscalls.EpollCreate1(call); break;
                case EpollControl: result = PollSyscalls.EpollControl(call); break;
                case EpollWait: result = PollSyscalls.EpollWait(call); break;
                case EpollWaitWithMask: result = PollSyscalls.EpollWaitWithMask(call); break;
                case EpollWaitWithTimespec: result = PollSyscalls.EpollWaitWithTimespec(call); break;

                case Exit:
                case ExitGroup: result = ProcessSyscalls.ExitGroup(call); break;
                default: result = Unknown(call.Number); break;
            }
            frame->Rax = (ulong)result;
        }

        private static long Unknown(ulong number)
        {
            bool first;
            fixed (ReportedSet* reported = &s_reported)
            {
                first = number < Size && !reported->Numbers[number];
                if (first) reported->Numbers[number] = true;
            }
            if (first)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("unimplemented system call ");
                KernelConsole.WriteDecimal(number);
                KernelConsole.WriteLine(" (returns -ENOSYS)");
            }
            return -Errno.ENOSYS;
        }
    }
}
