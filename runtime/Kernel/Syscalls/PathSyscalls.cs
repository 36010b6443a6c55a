using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;

namespace Kernel.Syscalls
{
    // Path-based file system calls: open/openat/creat, the stat family, statfs, access, mkdir, unlink,
    // rmdir, rename, symlink, readlink, getcwd, chdir, chmod, chown, the utime family, truncate, umask.
    // Each copies its path(s) from the app (UserPath), finds the starting directory (the working
    // directory, or an *at call's dirfd for relative paths) and calls the VFS (Files/Vfs.cs).
    internal static unsafe class PathSyscalls
    {
        private const long AtCurrent = OpenFlags.AtCurrentDirectory;

        // Copies the path at `address` into `buffer` and finds where it starts; its length or -errno.
        // An empty path is ENOENT unless allowEmpty (AT_EMPTY_PATH), which returns 0 (then `at` may be
        // null: the caller works on dirfd itself).
        private static long Prepare(long dirfd, ulong address, byte* buffer, bool allowEmpty, out DirectoryNode at)
        {
            at = null;
            AppFileTree.EnsureBuilt();
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
        public static long open(SyscallFrame call) => OpenAt(AtCurrent, call.Arg0, (int)call.Arg1, (uint)call.Arg2);

        // openat(dirfd, path, flags, mode)
        public static long openat(SyscallFrame call) => OpenAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2, (uint)call.Arg3);

        // creat(path, mode)
        public static long creat(SyscallFrame call) =>
            OpenAt(AtCurrent, call.Arg0, OpenFlags.Create | OpenFlags.WriteOnly | OpenFlags.Truncate, (uint)call.Arg1);

        private static long OpenAt(long dirfd, ulong path, int flags, uint mode)
        {
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            OpenFile file;
            long error = Vfs.Open(at, UserPath.First, (int)length, flags | OpenFlags.LargeFile, mode, out file);
            if (error < 0) return error;
            return Vfs.Descriptors.InstallNew(file, (flags & OpenFlags.CloseOnExec) != 0);
        }

        // stat(path, statbuf) / lstat
        public static long stat(SyscallFrame call) => StatAt(AtCurrent, call.Arg0, call.Arg1, 0);
        public static long lstat(SyscallFrame call) => StatAt(AtCurrent, call.Arg0, call.Arg1, OpenFlags.AtSymlinkNoFollow);

        // newfstatat(dirfd, path, statbuf, flags)
        public static long newfstatat(SyscallFrame call) => StatAt((long)(int)call.Arg0, call.Arg1, call.Arg2, (int)call.Arg3);

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
                if ((int)dirfd == OpenFlags.AtCurrentDirectory) { Vfs.WorkingDirectory.Stat((LinuxStat*)buffer); return 0; }
                OpenFile file = Vfs.Descriptors.Get(dirfd);
                if (file == null) return -Errno.EBADF;
                file.Stat((LinuxStat*)buffer);
                return 0;
            }
            return Vfs.Stat(at, UserPath.First, (int)length, (flags & OpenFlags.AtSymlinkNoFollow) == 0, (LinuxStat*)buffer);
        }

        // statfs(path, buf)
        public static long statfs(SyscallFrame call)
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
                (file.Node.FileSystem ?? Vfs.RootFileSystem).StatFs(st);
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
        public static long access(SyscallFrame call) => AccessAt(AtCurrent, call.Arg0, (int)call.Arg1, 0);
        // faccessat(dirfd, path, mode)
        public static long faccessat(SyscallFrame call) => AccessAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2, 0);
        // faccessat2(dirfd, path, mode, flags)
        public static long faccessat2(SyscallFrame call) => AccessAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2, (int)call.Arg3);

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
        public static long mkdir(SyscallFrame call) => MakeDirectoryAt(AtCurrent, call.Arg0, (uint)call.Arg1);
        public static long mkdirat(SyscallFrame call) => MakeDirectoryAt((long)(int)call.Arg0, call.Arg1, (uint)call.Arg2);

        private static long MakeDirectoryAt(long dirfd, ulong path, uint mode)
        {
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.MakeDirectory(at, UserPath.First, (int)length, mode);
        }

        // unlink(path) / rmdir(path) / unlinkat(dirfd, path, flags)
        public static long unlink(SyscallFrame call) => UnlinkAt(AtCurrent, call.Arg0, 0);
        public static long rmdir(SyscallFrame call) => UnlinkAt(AtCurrent, call.Arg0, OpenFlags.AtRemoveDirectory);
        public static long unlinkat(SyscallFrame call) => UnlinkAt((long)(int)call.Arg0, call.Arg1, (int)call.Arg2);

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
        public static long rename(SyscallFrame call) => RenameAt(AtCurrent, call.Arg0, AtCurrent, call.Arg1, 0);
        public static long renameat(SyscallFrame call) => RenameAt((long)(int)call.Arg0, call.Arg1, (long)(int)call.Arg2, call.Arg3, 0);
        public static long renameat2(SyscallFrame call) => RenameAt((long)(int)call.Arg0, call.Arg1, (long)(int)call.Arg2, call.Arg3, (int)call.Arg4);

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
        public static long symlink(SyscallFrame call) => SymlinkAt(call.Arg0, AtCurrent, call.Arg1);
        public static long symlinkat(SyscallFrame call) => SymlinkAt(call.Arg0, (long)(int)call.Arg1, call.Arg2);

        private static long SymlinkAt(ulong target, long dirfd, ulong path)
        {
            AppFileTree.EnsureBuilt();
            long targetLength = UserPath.Copy(target, UserPath.Second);
            if (targetLength < 0) return targetLength;
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.Symlink(UserPath.Second, (int)targetLength, at, UserPath.First, (int)length);
        }

        // readlink(path, buf, size) / readlinkat(dirfd, path, buf, size)
        public static long readlink(SyscallFrame call) => ReadLinkAt(AtCurrent, call.Arg0, call.Arg1, (long)call.Arg2);
        public static long readlinkat(SyscallFrame call) => ReadLinkAt((long)(int)call.Arg0, call.Arg1, call.Arg2, (long)call.Arg3);

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
        public static long getcwd(SyscallFrame call)
        {
            AppFileTree.EnsureBuilt();
            long size = (long)call.Arg1;
            if (size < 0) return -Errno.ERANGE;
            if (size > PathWalker.PathMax) size = PathWalker.PathMax;
            if (!UserMemory.IsWritableUserRange(call.Arg0, (ulong)size)) return -Errno.EFAULT;
            return Vfs.GetWorkingDirectory((byte*)call.Arg0, size);
        }

        // chdir(path)
        public static long chdir(SyscallFrame call)
        {
            DirectoryNode at;
            long length = Prepare(AtCurrent, call.Arg0, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.ChangeDirectory(at, UserPath.First, (int)length);
        }

        // chmod(path, mode) / fchmodat(dirfd, path, mode)
        public static long chmod(SyscallFrame call) => ChangeModeAt(AtCurrent, call.Arg0, (uint)call.Arg1);
        public static long fchmodat(SyscallFrame call) => ChangeModeAt((long)(int)call.Arg0, call.Arg1, (uint)call.Arg2);

        private static long ChangeModeAt(long dirfd, ulong path, uint mode)
        {
            DirectoryNode at;
            long length = Prepare(dirfd, path, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.ChangeMode(at, UserPath.First, (int)length, mode, true);
        }

        // The prologue of the calls that change a node's metadata by (dirfd, path, flags) with AT_SYMLINK_NOFOLLOW
        // and AT_EMPTY_PATH (fchownat, utimensat): the path's length, with `at` to walk it from; or 0 with `node`,
        // what an empty path names: dirfd's node (O_PATH descriptors included; null for a pipe or an anonymous
        // inode) or, for AT_FDCWD, the working directory. Or -errno.
        private static long PrepareNodeOrPath(long dirfd, ulong path, int flags, out DirectoryNode at, out VfsNode node)
        {
            node = null;
            at = null;
            if ((flags & ~(OpenFlags.AtSymlinkNoFollow | OpenFlags.AtEmptyPath)) != 0) return -Errno.EINVAL;
            if (path == 0) return -Errno.EFAULT;   // unlike stat and access, no NULL path with AT_EMPTY_PATH here
            long length = Prepare(dirfd, path, UserPath.First, (flags & OpenFlags.AtEmptyPath) != 0, out at);
            if (length != 0) return length;
            if ((int)dirfd == OpenFlags.AtCurrentDirectory) { node = Vfs.WorkingDirectory; return 0; }
            OpenFile file = Vfs.Descriptors.Get(dirfd);
            if (file == null) return -Errno.EBADF;
            node = file.Node;
            return 0;
        }

        // chown(path, owner, group) / lchown / fchownat(dirfd, path, owner, group, flags): see Vfs.ChangeOwner.
        public static long chown(SyscallFrame call) => ChangeOwnerAt(AtCurrent, call.Arg0, (uint)call.Arg1, (uint)call.Arg2, 0);
        public static long lchown(SyscallFrame call) => ChangeOwnerAt(AtCurrent, call.Arg0, (uint)call.Arg1, (uint)call.Arg2, OpenFlags.AtSymlinkNoFollow);
        public static long fchownat(SyscallFrame call) => ChangeOwnerAt((long)(int)call.Arg0, call.Arg1, (uint)call.Arg2, (uint)call.Arg3, (int)call.Arg4);

        private static long ChangeOwnerAt(long dirfd, ulong path, uint user, uint group, int flags)
        {
            DirectoryNode at;
            VfsNode node;
            long length = PrepareNodeOrPath(dirfd, path, flags, out at, out node);
            if (length < 0) return length;
            if (length == 0) return Vfs.ChangeOwner(node, user, group);
            return Vfs.ChangeOwner(at, UserPath.First, (int)length, (flags & OpenFlags.AtSymlinkNoFollow) == 0, user, group);
        }

        // utimensat(dirfd, path, times, flags): times is struct timespec[2] (access, modification) or NULL
        // for "both now"; tv_nsec may be UTIME_NOW or UTIME_OMIT. A NULL path with a dirfd is futimens(dirfd).
        public static long utimensat(SyscallFrame call)
        {
            long dirfd = (long)(int)call.Arg0;
            ulong address = call.Arg2;
            if (address == 0) return SetTimesAt(dirfd, call.Arg1, null, (int)call.Arg3);
            if (!UserMemory.IsUserRange(address, 32)) return -Errno.EFAULT;
            FileTime* times = stackalloc FileTime[2];
            long* user = (long*)address;
            times[0] = new FileTime(user[0], user[1]);
            times[1] = new FileTime(user[2], user[3]);
            // Nothing to change: Linux returns at once, without looking at the path or the flags.
            if (times[0].Nanoseconds == Vfs.TimeOmit && times[1].Nanoseconds == Vfs.TimeOmit) return 0;
            return SetTimesAt(dirfd, call.Arg1, times, (int)call.Arg3);
        }

        // futimesat(dirfd, path, times) / utimes(path, times): struct timeval[2], microseconds.
        public static long futimesat(SyscallFrame call) => SetTimesFromTimevals((long)(int)call.Arg0, call.Arg1, call.Arg2);
        public static long utimes(SyscallFrame call) => SetTimesFromTimevals(AtCurrent, call.Arg0, call.Arg1);

        private static long SetTimesFromTimevals(long dirfd, ulong path, ulong address)
        {
            if (address == 0) return SetTimesAt(dirfd, path, null, 0);
            if (!UserMemory.IsUserRange(address, 32)) return -Errno.EFAULT;
            long* user = (long*)address;
            // UTIME_NOW/UTIME_OMIT do not exist here: any tv_usec outside 0..999,999 is EINVAL.
            if (user[1] < 0 || user[1] >= 1_000_000 || user[3] < 0 || user[3] >= 1_000_000) return -Errno.EINVAL;
            FileTime* times = stackalloc FileTime[2];
            times[0] = new FileTime(user[0], user[1] * 1000);
            times[1] = new FileTime(user[2], user[3] * 1000);
            return SetTimesAt(dirfd, path, times, 0);
        }

        // utime(path, times): struct utimbuf { actime, modtime }, whole seconds.
        public static long utime(SyscallFrame call)
        {
            ulong address = call.Arg1;
            if (address == 0) return SetTimesAt(AtCurrent, call.Arg0, null, 0);
            if (!UserMemory.IsUserRange(address, 16)) return -Errno.EFAULT;
            FileTime* times = stackalloc FileTime[2];
            times[0] = new FileTime(((long*)address)[0], 0);
            times[1] = new FileTime(((long*)address)[1], 0);
            return SetTimesAt(AtCurrent, call.Arg0, times, 0);
        }

        // do_utimes: a NULL path with a real dirfd works on the descriptor (which takes no flags and may
        // not be O_PATH); otherwise the path, relative to dirfd, with AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH.
        private static long SetTimesAt(long dirfd, ulong path, FileTime* times, int flags)
        {
            if (path == 0 && (int)dirfd != OpenFlags.AtCurrentDirectory)
            {
                if (flags != 0) return -Errno.EINVAL;
                AppFileTree.EnsureBuilt();
                OpenFile file = Vfs.Descriptors.Get(dirfd);
                if (file == null || file.IsPathOnly) return -Errno.EBADF;
                return Vfs.SetTimes(file.Node, times);   // null for a pipe or an anonymous inode: nothing kept
            }
            DirectoryNode at;
            VfsNode node;
            long length = PrepareNodeOrPath(dirfd, path, flags, out at, out node);
            if (length < 0) return length;
            if (length == 0) return Vfs.SetTimes(node, times);
            return Vfs.SetTimes(at, UserPath.First, (int)length, (flags & OpenFlags.AtSymlinkNoFollow) == 0, times);
        }

        // truncate(path, length)
        public static long truncate(SyscallFrame call)
        {
            DirectoryNode at;
            long length = Prepare(AtCurrent, call.Arg0, UserPath.First, false, out at);
            if (length < 0) return length;
            return Vfs.Truncate(at, UserPath.First, (int)length, (long)call.Arg1);
        }

        // umask(mask): the previous mask.
        public static long umask(SyscallFrame call)
        {
            AppFileTree.EnsureBuilt();
            uint previous = Vfs.Umask;
            Vfs.Umask = (uint)call.Arg0 & 0x1FF;
            return previous;
        }
    }
}
