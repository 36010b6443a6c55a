using Kernel.Files;

namespace Kernel.Syscalls
{
    // Path-based file system calls: open/openat/creat, the stat family, statfs, access, mkdir, unlink,
    // rmdir, rename, symlink, readlink, getcwd, chdir, chmod, truncate, umask. Each copies its path(s)
    // from the app (UserPath), finds the starting directory (the working directory, or an *at call's
    // dirfd for relative paths) and calls the VFS (Files/Vfs.cs).
    internal static unsafe class PathSyscalls
    {
        private const long AtCurrent = OpenFlags.AtCurrentDirectory;

        // Copies the path at `address` into `buffer` and finds where it starts; its length or -errno.
        // An empty path is ENOENT unless allowEmpty (AT_EMPTY_PATH), which returns 0 (then `at` may be
        // null: the caller works on dirfd itself).
        private static long Prepare(long dirfd, ulong address, byte* buffer, bool allowEmpty, out DirectoryNode at)
        {
            at = null;
            Vfs.EnsureInitialized();
            // AT_EMPTY_PATH also accepts a null path (Linux 6.11+).
            long length = allowEmpty && address == 0 ? 0 : UserPath.Copy(address, buffer);
            if (length < 0) return length;
            if (length == 0 && !allowEmpty) return -Errno.ENOENT;
            if (length > 0 && buffer[0] == '/') { at = Vfs.Root; return length; }
            long error = Vfs.DirectoryFor(dirfd, out at);
            if (error < 0 && !(length == 0 && error == -Errno.ENOTDIR)) return error;
            return length;
        }

        // open(path, flags, mode)
        public static long Open(SyscallFrame call) => OpenAt(AtCurrent, call.Arg0, (int)call.Arg1, (uint)call.Arg2);

        // openat(dirfd, path, flags, mode)
        public static long OpenAt(SyscallFrame call) => OpenAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2, (uint)call.Arg3);

        // creat(path, mode)
        public static long Create(SyscallFrame call) =>
            OpenAt(AtCurrent, call.Arg0, OpenFlags.Create | OpenFlags.WriteOnly | OpenFlags.Truncate, (uint)call.Arg1);

        private static long OpenAt(long dirfd, ulong path, int flags, uint mode)
        {
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            OpenFile file;
            long error = Vfs.Open(at, UserPath.First, (int)length, flags | OpenFlags.LargeFile, mode, out file);
            if (error < 0) return error;
            long fd = Vfs.Descriptors.Install(file, (flags & OpenFlags.CloseOnExec) != 0);
            if (fd < 0) file.Release();
            return fd;
        }

        // stat(path, statbuf) / lstat
        public static long Stat(SyscallFrame call) => StatAt(AtCurrent, call.Arg0, call.Arg1, 0);
        public static long LinkStat(SyscallFrame call) => StatAt(AtCurrent, call.Arg0, call.Arg1, OpenFlags.AtSymlinkNoFollow);

        // newfstatat(dirfd, path, statbuf, flags)
        public static long StatAt(SyscallFrame call) => StatAt((long)(int)call.Arg0, call.Arg1, call.Arg2, (int)call.Arg3);

        private static long StatAt(long dirfd, ulong path, ulong buffer, int flags)
        {
            if ((flags & ~(OpenFlags.AtSymlinkNoFollow | OpenFlags.AtNoAutomount | OpenFlags.AtEmptyPath)) != 0) return -Errno.EINVAL;
            if (!UserMemory.IsWritableUserRange(buffer, LinuxStat.Size)) return -Errno.EFAULT;
            bool emptyPath = (flags & OpenFlags.AtEmptyPath) != 0;
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, emptyPath, out at);
            if (length < 0) return length;
            if (length == 0)
            {
                // AT_EMPTY_PATH: the descriptor itself (or the working directory for AT_FDCWD).
                if ((int)dirfd == OpenFlags.AtCurrentDirectory) { LinuxStat.FromNode(Vfs.WorkingDirectory, (LinuxStat*)buffer); return 0; }
                OpenFile file = Vfs.Descriptors.Get(dirfd);
                if (file == null) return -Errno.EBADF;
                file.Stat((LinuxStat*)buffer);
                return 0;
            }
            return Vfs.Stat(at, UserPath.First, (int)length, (flags & OpenFlags.AtSymlinkNoFollow) == 0, (LinuxStat*)buffer);
        }

        // statfs(path, buf)
        public static long StatFileSystem(SyscallFrame call)
        {
            if (!UserMemory.IsWritableUserRange(call.Arg1, LinuxStatFs.Size)) return -Errno.EFAULT;
            DirectoryNode at;
            long length = Prepare(AtCurrent, call.Arg0, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.StatFileSystem(at, UserPath.First, (int)length, (LinuxStatFs*)call.Arg1);
        }

        private const long PipeFsMagic = 0x50495045, AnonymousInodeFsMagic = 0x09041934;

        public static long StatFileSystemOf(OpenFile file, LinuxStatFs* st)
        {
            if (file.Node != null)
            {
                LinuxStatFs.FromSuperBlock(file.Node.FileSystem ?? Vfs.RootFileSystem, st);
                return 0;
            }
            *st = default;
            st->Type = file is PipeEnd ? PipeFsMagic : AnonymousInodeFsMagic;
            st->BlockSize = 4096;
            st->FragmentSize = 4096;
            st->NameLength = LinuxStatFs.MaxNameLength;
            st->Flags = 0x20;
            return 0;
        }

        // access(path, mode)
        public static long Access(SyscallFrame call) => AccessAt(AtCurrent, call.Arg0, (int)call.Arg1, 0);
        // faccessat(dirfd, path, mode)
        public static long AccessAt(SyscallFrame call) => AccessAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2, 0);
        // faccessat2(dirfd, path, mode, flags)
        public static long AccessAt2(SyscallFrame call) => AccessAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2, (int)call.Arg3);

        private static long AccessAt(long dirfd, ulong path, int mode, int flags)
        {
            if ((flags & ~(OpenFlags.AtEffectiveAccess | OpenFlags.AtSymlinkNoFollow | OpenFlags.AtEmptyPath)) != 0) return -Errno.EINVAL;
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, (flags & OpenFlags.AtEmptyPath) != 0, out at);
            if (length < 0) return length;
            if (length == 0)
            {
                if ((mode & ~7) != 0) return -Errno.EINVAL;
                return (int)dirfd == OpenFlags.AtCurrentDirectory || Vfs.Descriptors.Get(dirfd) != null ? 0 : -Errno.EBADF;
            }
            return Vfs.Access(at, UserPath.First, (int)length, mode, (flags & OpenFlags.AtSymlinkNoFollow) == 0);
        }

        // mkdir(path, mode) / mkdirat(dirfd, path, mode)
        public static long MakeDirectory(SyscallFrame call) => MakeDirectoryAt(AtCurrent, call.Arg0, (uint)call.Arg1);
        public static long MakeDirectoryAt(SyscallFrame call) => MakeDirectoryAt((long)(int)call.Arg0, call.Arg1, (uint)call.Arg2);

        private static long MakeDirectoryAt(long dirfd, ulong path, uint mode)
        {
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.MakeDirectory(at, UserPath.First, (int)length, mode);
        }

        // unlink(path) / rmdir(path) / unlinkat(dirfd, path, flags)
        public static long Unlink(SyscallFrame call) => UnlinkAt(AtCurrent, call.Arg0, 0);
        public static long RemoveDirectory(SyscallFrame call) => UnlinkAt(AtCurrent, call.Arg0, OpenFlags.AtRemoveDirectory);
        public static long UnlinkAt(SyscallFrame call) => UnlinkAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2);

        private static long UnlinkAt(long dirfd, ulong path, int flags)
        {
            if ((flags & ~OpenFlags.AtRemoveDirectory) != 0) return -Errno.EINVAL;
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return (flags & OpenFlags.AtRemoveDirectory) != 0
                ? Vfs.RemoveDirectory(at, UserPath.First, (int)length)
                : Vfs.Unlink(at, UserPath.First, (int)length);
        }

        // rename(old, new) / renameat(olddirfd, old, newdirfd, new) / renameat2(..., flags)
        public static long Rename(SyscallFrame call) => RenameAt(AtCurrent, call.Arg0, AtCurrent, call.Arg1, 0);
        public static long RenameAt(SyscallFrame call) => RenameAt((long)(int)call.Arg0, call.Arg1, (long)(int)call.Arg2, call.Arg3, 0);
        public static long RenameAt2(SyscallFrame call) => RenameAt((long)(int)call.Arg0, call.Arg1, (long)(int)call.Arg2, call.Arg3, (int)call.Arg4);

        private static long RenameAt(long oldDirfd, ulong oldPath, long newDirfd, ulong newPath, int flags)
        {
            DirectoryNode oldAt, newAt;
            long oldLength = Prepare(oldDirfd, oldPath, UserPath.First, false, out oldAt);
            if (oldLength < 0) return oldLength;
            long newLength = Prepare(newDirfd, newPath, UserPath.Second, false, out newAt);
            if (newLength < 0) return newLength;
            return Vfs.Rename(oldAt, UserPath.First, (int)oldLength, newAt, UserPath.Second, (int)newLength, flags);
        }

        // symlink(target, linkpath) / symlinkat(target, newdirfd, linkpath)
        public static long Symlink(SyscallFrame call) => SymlinkAt(call.Arg0, AtCurrent, call.Arg1);
        public static long SymlinkAt(SyscallFrame call) => SymlinkAt(call.Arg0, (long)(int)call.Arg1, call.Arg2);

        private static long SymlinkAt(ulong target, long dirfd, ulong path)
        {
            Vfs.EnsureInitialized();
            long targetLength = UserPath.Copy(target, UserPath.Second);
            if (targetLength < 0) return targetLength;
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.Symlink(UserPath.Second, (int)targetLength, at, UserPath.First, (int)length);
        }

        // readlink(path, buf, size) / readlinkat(dirfd, path, buf, size)
        public static long ReadLink(SyscallFrame call) => ReadLinkAt(AtCurrent, call.Arg0, call.Arg1, (long)call.Arg2);
        public static long ReadLinkAt(SyscallFrame call) => ReadLinkAt((long)(int)call.Arg0, call.Arg1, call.Arg2, (long)call.Arg3);

        private static long ReadLinkAt(long dirfd, ulong path, ulong buffer, long size)
        {
            if ((int)size <= 0) return -Errno.EINVAL;
            if (!UserMemory.IsWritableUserRange(buffer, (ulong)(int)size)) return -Errno.EFAULT;
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.ReadLink(at, UserPath.First, (int)length, (byte*)buffer, (int)size);
        }

        // getcwd(buf, size)
        public static long GetWorkingDirectory(SyscallFrame call)
        {
            Vfs.EnsureInitialized();
            long size = (long)call.Arg1;
            if (size < 0) return -Errno.ERANGE;
            if (size > PathWalker.PathMax) size = PathWalker.PathMax;
            if (!UserMemory.IsWritableUserRange(call.Arg0, (ulong)size)) return -Errno.EFAULT;
            return Vfs.GetWorkingDirectory((byte*)call.Arg0, size);
        }

        // chdir(path)
        public static long ChangeDirectory(SyscallFrame call)
        {
            DirectoryNode at;
            long length = Prepare(AtCurrent, call.Arg0, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.ChangeDirectory(at, UserPath.First, (int)length);
        }

        // chmod(path, mode) / fchmodat(dirfd, path, mode)
        public static long ChangeMode(SyscallFrame call) => ChangeModeAt(AtCurrent, call.Arg0, (uint)call.Arg1);
        public static long ChangeModeAt(SyscallFrame call) => ChangeModeAt((long)(int)call.Arg0, call.Arg1, (uint)call.Arg2);

        private static long ChangeModeAt(long dirfd, ulong path, uint mode)
        {
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.ChangeMode(at, UserPath.First, (int)length, mode, true);
        }

        // truncate(path, length)
        public static long Truncate(SyscallFrame call)
        {
            DirectoryNode at;
            long length = Prepare(AtCurrent, call.Arg0, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.Truncate(at, UserPath.First, (int)length, (long)call.Arg1);
        }

        // umask(mask): the previous mask.
        public static long SetUmask(SyscallFrame call)
        {
            Vfs.EnsureInitialized();
            uint previous = Vfs.Umask;
            Vfs.Umask = (uint)call.Arg0 & 0x1FF;
            return previous;
        }
    }
}
