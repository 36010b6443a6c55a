using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files
{
    // The file system tree and the path-based operations on it. Paths arrive as kernel-usable bytes
    // (the system call layer copies them from the app and checks its buffers); results are 0, a count
    // or -errno. The tree is one namespace with several super blocks: a read-only root, tmpfs at /tmp,
    // and (Synthetic/AppFileTree, kernel only) proc, sysfs and the devices.
    //
    // One process: the working directory, the umask and the descriptor table are kept here. Everything
    // runs with interrupts off to completion, so nothing here needs a lock.
    internal static unsafe partial class Vfs
    {
        public const uint DefaultUmask = 0x12;   // 022

        public static DirectoryNode Root;
        public static DirectoryNode WorkingDirectory;
        public static FileDescriptorTable Descriptors;
        public static SuperBlock RootFileSystem, TmpFileSystem;
        public static uint Umask = DefaultUmask;

        private static SuperBlock[] s_mounts;
        private static int s_mountCount;

        public static bool IsInitialized => Root != null;
        public static int MountCount => s_mountCount;
        public static SuperBlock MountAt(int index) => s_mounts[index];

        /// <summary>
        /// A fresh tree with "/" and "/tmp" (tmpfs of <paramref name="tmpCapacity"/> bytes) and an empty
        /// descriptor table. The old tree, if any, is dropped without being freed (boot and tests only).
        /// </summary>
        public static void CreateBaseTree(ulong tmpCapacity)
        {
            s_mounts = new SuperBlock[8];
            s_mountCount = 0;
            RootFileSystem = Mount(new SuperBlock("rootfs", "/", SuperBlock.RamfsMagic, 1, false, 0));
            Root = new DirectoryNode(RootFileSystem, 0x1ED);   // drwxr-xr-x
            Root.Linked = true;
            TmpFileSystem = Mount(new SuperBlock("tmpfs", "/tmp", SuperBlock.TmpfsMagic, 2, true,
                                                 SuperBlock.MountNoSetUid | SuperBlock.MountNoDevices | SuperBlock.MountRelativeAccessTime));
            TmpFileSystem.CapacityBytes = tmpCapacity;
            Add(Root, "tmp", new DirectoryNode(TmpFileSystem, 0x3FF));   // drwxrwxrwt
            WorkingDirectory = Root;
            Root.Retain();
            Descriptors = new FileDescriptorTable();
            Umask = DefaultUmask;
        }

        public static SuperBlock Mount(SuperBlock fileSystem)
        {
            if (s_mountCount == s_mounts.Length)
            {
                var grown = new SuperBlock[s_mounts.Length * 2];
                for (int i = 0; i < s_mountCount; i++) grown[i] = s_mounts[i];
                FileMemory.Release(s_mounts);
                s_mounts = grown;
            }
            s_mounts[s_mountCount++] = fileSystem;
            return fileSystem;
        }

        public static VfsNode Add(DirectoryNode parent, string name, VfsNode child)
        {
            parent.Attach(child, FileNames.FromString(name));
            return child;
        }

        public static DirectoryNode AddDirectory(DirectoryNode parent, string name, SuperBlock fileSystem = null, uint permissions = 0x1ED)
        {
            var directory = new DirectoryNode(fileSystem ?? parent.FileSystem, permissions);
            parent.Attach(directory, FileNames.FromString(name));
            return directory;
        }

        public static GeneratedFileNode AddGenerated(DirectoryNode parent, string name, ContentGenerator generator)
        {
            var file = new GeneratedFileNode(parent.FileSystem, generator);
            parent.Attach(file, FileNames.FromString(name));
            return file;
        }

        /// <summary>The directory an *at call starts from: the working directory for AT_FDCWD, else dirfd's.</summary>
        public static long DirectoryFor(long dirfd, out DirectoryNode directory)
        {
            directory = null;
            if ((int)dirfd == OpenFlags.AtCurrentDirectory) { directory = WorkingDirectory; return 0; }
            OpenFile file = Descriptors.Get(dirfd);
            if (file == null) return -Errno.EBADF;
            if (file.Node == null || !file.Node.IsDirectory) return -Errno.ENOTDIR;
            directory = (DirectoryNode)file.Node;
            return 0;
        }

        public static long Lookup(DirectoryNode at, byte* path, int length, bool follow, out PathLookup lookup) =>
            PathWalker.Resolve(Root, at, path, length, follow, out lookup);

        /// <summary>open/openat: a new description with one reference for the caller, or -errno.</summary>
        public static long Open(DirectoryNode at, byte* path, int length, int flags, uint mode, out OpenFile file)
        {
            file = null;
            bool pathOnly = (flags & OpenFlags.PathOnly) != 0;
            if (!pathOnly && (flags & OpenFlags.TemporaryFile) == OpenFlags.TemporaryFile) return -Errno.EOPNOTSUPP;
            int access = flags & OpenFlags.AccessModeMask;
            if (!pathOnly && access == OpenFlags.AccessModeMask) return -Errno.EINVAL;
            bool create = !pathOnly && (flags & OpenFlags.Create) != 0;
            if (create && (flags & OpenFlags.Directory) != 0) return -Errno.EINVAL;   // as Linux 6.4+
            bool exclusive = create && (flags & OpenFlags.Exclusive) != 0;
            bool follow = (flags & OpenFlags.NoFollow) == 0 && !exclusive;

            PathLookup lookup;
            long error = Lookup(at, path, length, follow, out lookup);
            if (error < 0) return error;
            VfsNode node = lookup.Node;
            bool created = false;
            if (node == null)
            {
                if (!create) return -Errno.ENOENT;
                if (lookup.TrailingSlash) return -Errno.EISDIR;
                error = lookup.Parent.CheckCanCreate();
                if (error < 0) return error;
                var ram = new RamFileNode(lookup.Parent.FileSystem, mode & ~Umask & 0xFFF);
                lookup.Parent.Attach(ram, FileNames.FromBytes(lookup.Name, lookup.NameLength));
                Inotify.Created(lookup.Parent, ram, lookup.Name, lookup.NameLength);
                node = ram;
                created = true;
            }
            else
            {
                if (exclusive) return -Errno.EEXIST;
                if ((flags & OpenFlags.Directory) != 0 && !node.IsDirectory) return -Errno.ENOTDIR;
                if (node.IsSymlink && !pathOnly) return -Errno.ELOOP;   // O_NOFOLLOW met a link
            }

            if (pathOnly)
            {
                file = new PathHandle(node, flags);
                return 0;
            }

            bool truncate = (flags & OpenFlags.Truncate) != 0 && node is RamFileNode;
            if (node.IsDirectory && (access != OpenFlags.ReadOnly || create)) return -Errno.EISDIR;
            if (!created && (access != OpenFlags.ReadOnly || truncate))
            {
                error = CheckWritable(node);
                if (error < 0) return error;
            }
            error = node.Open(flags, out file);
            if (error < 0) return error;
            if (truncate && !created) ((RamFileNode)node).Truncate(0);
            return 0;
        }

        // May this existing node's content be written? 0, -EROFS or -EACCES.
        private static long CheckWritable(VfsNode node)
        {
            bool inFileSystem = node.Type == FileTypeBits.Regular || node.IsDirectory;
            if (inFileSystem && !(node is GeneratedFileNode) && (node.FileSystem == null || !node.FileSystem.Writable)) return -Errno.EROFS;
            if (!node.IsWritableContent) return -Errno.EACCES;
            return 0;
        }

        public static long Stat(DirectoryNode at, byte* path, int length, bool follow, LinuxStat* st)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, follow, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            lookup.Node.Stat(st);
            return 0;
        }

        public static long StatFileSystem(DirectoryNode at, byte* path, int length, LinuxStatFs* st)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, true, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            (lookup.Node.FileSystem ?? RootFileSystem).StatFs(st);
            return 0;
        }

        public static long MakeDirectory(DirectoryNode at, byte* path, int length, uint mode)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, false, out lookup);
            if (error < 0) return error;
            if (lookup.IsRoot || lookup.Node != null) return -Errno.EEXIST;
            error = lookup.Parent.CheckCanCreate();
            if (error < 0) return error;
            var directory = new DirectoryNode(lookup.Parent.FileSystem, mode & ~Umask & 0x3FF);
            lookup.Parent.Attach(directory, FileNames.FromBytes(lookup.Name, lookup.NameLength));
            Inotify.Created(lookup.Parent, directory, lookup.Name, lookup.NameLength);
            return 0;
        }

        public static long Unlink(DirectoryNode at, byte* path, int length)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, false, out lookup);
            if (error < 0) return error;
            VfsNode node = lookup.Node;
            if (node == null) return -Errno.ENOENT;
            if (lookup.IsRoot || node.IsDirectory) return -Errno.EISDIR;
            if (!lookup.Parent.FileSystem.Writable) return -Errno.EROFS;
            Inotify.Deleted(lookup.Parent, node, lookup.Name, lookup.NameLength, false);
            lookup.Parent.Detach(node);
            node.FreeIfUnused();
            return 0;
        }

        public static long RemoveDirectory(DirectoryNode at, byte* path, int length)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, false, out lookup);
            if (error < 0) return error;
            VfsNode node = lookup.Node;
            if (lookup.IsRoot) return -Errno.EBUSY;
            if (lookup.IsDot) return -Errno.EINVAL;
            if (lookup.IsDotDot) return -Errno.ENOTEMPTY;
            if (node == null) return -Errno.ENOENT;
            if (!node.IsDirectory) return -Errno.ENOTDIR;
            if (node.FileSystem != lookup.Parent.FileSystem) return -Errno.EBUSY;   // a mount point
            if (!lookup.Parent.FileSystem.Writable) return -Errno.EROFS;
            if (!((DirectoryNode)node).IsEmpty) return -Errno.ENOTEMPTY;
            Inotify.Deleted(lookup.Parent, node, lookup.Name, lookup.NameLength, false);
            lookup.Parent.Detach(node);
            node.FreeIfUnused();
            return 0;
        }

        public const int RenameNoReplace = 1, RenameExchange = 2, RenameWhiteout = 4;

        public static long Rename(DirectoryNode oldAt, byte* oldPath, int oldLength, DirectoryNode newAt, byte* newPath, int newLength, int flags)
        {
            if ((flags & ~RenameNoReplace) != 0) return -Errno.EINVAL;   // RENAME_EXCHANGE/WHITEOUT: not supported
            PathLookup from, to;
            long error = Lookup(oldAt, oldPath, oldLength, false, out from);
            if (error < 0) return error;
            if (from.Node == null) return -Errno.ENOENT;
            error = Lookup(newAt, newPath, newLength, false, out to);
            if (error < 0) return error;
            if (from.IsRoot || from.IsDot || from.IsDotDot || to.IsRoot || to.IsDot || to.IsDotDot) return -Errno.EBUSY;

            VfsNode node = from.Node;
            VfsNode replaced = to.Node;
            if (from.Parent.FileSystem != to.Parent.FileSystem) return -Errno.EXDEV;
            if (node.FileSystem != from.Parent.FileSystem) return -Errno.EBUSY;   // a mount point
            if (!from.Parent.FileSystem.Writable) return -Errno.EROFS;
            if (!to.Parent.Linked) return -Errno.ENOENT;
            if (node == replaced) return 0;
            if (replaced != null && (flags & RenameNoReplace) != 0) return -Errno.EEXIST;
            if (node.IsDirectory)
            {
                if (node.IsAncestorOf(to.Parent)) return -Errno.EINVAL;
                if (replaced != null)
                {
                    if (!replaced.IsDirectory) return -Errno.ENOTDIR;
                    if (!((DirectoryNode)replaced).IsEmpty) return -Errno.ENOTEMPTY;
                }
            }
            else
            {
                if (replaced != null && replaced.IsDirectory) return -Errno.EISDIR;
                if (to.TrailingSlash || from.TrailingSlash) return -Errno.ENOTDIR;
            }
            if (replaced != null && replaced.FileSystem != to.Parent.FileSystem) return -Errno.EBUSY;

            byte[] name = FileNames.FromBytes(to.Name, to.NameLength);
            if (replaced != null)
            {
                Inotify.Deleted(to.Parent, replaced, to.Name, to.NameLength, true);
                to.Parent.Detach(replaced);
                replaced.FreeIfUnused();
            }
            from.Parent.Detach(node);
            to.Parent.Attach(node, name);
            node.ChangedTime = FileClock.Now();
            Inotify.Moved(from.Parent, from.Name, from.NameLength, to.Parent, to.Name, to.NameLength, node);
            return 0;
        }

        public static long Symlink(byte* target, int targetLength, DirectoryNode at, byte* path, int length)
        {
            if (targetLength == 0) return -Errno.ENOENT;
            PathLookup lookup;
            long error = Lookup(at, path, length, false, out lookup);
            if (error < 0) return error;
            if (lookup.IsRoot || lookup.Node != null) return -Errno.EEXIST;
            if (lookup.TrailingSlash) return -Errno.ENOENT;
            error = lookup.Parent.CheckCanCreate();
            if (error < 0) return error;
            SymlinkNode link = SymlinkNode.Create(lookup.Parent.FileSystem, target, targetLength);
            if (link == null) return -Errno.ENOMEM;
            lookup.Parent.Attach(link, FileNames.FromBytes(lookup.Name, lookup.NameLength));
            Inotify.Created(lookup.Parent, link, lookup.Name, lookup.NameLength);
            return 0;
        }

        /// <summary>readlink: the target's bytes (no NUL, truncated to <paramref name="size"/>).</summary>
        public static long ReadLink(DirectoryNode at, byte* path, int length, byte* buffer, long size)
        {
            if (size <= 0) return -Errno.EINVAL;
            PathLookup lookup;
            long error = Lookup(at, path, length, false, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            if (!lookup.Node.IsSymlink) return -Errno.EINVAL;
            var link = (SymlinkNode)lookup.Node;
            long n = link.TargetLength < size ? link.TargetLength : size;
            for (long i = 0; i < n; i++) buffer[i] = link.Target[i];
            return n;
        }

        public const int AccessExists = 0, AccessExecute = 1, AccessWrite = 2, AccessRead = 4;

        /// <summary>access/faccessat for root: W_OK fails only on read-only mounts, X_OK needs an x bit on non-directories.</summary>
        public static long Access(DirectoryNode at, byte* path, int length, int mode, bool follow)
        {
            if ((mode & ~7) != 0) return -Errno.EINVAL;
            PathLookup lookup;
            long error = Lookup(at, path, length, follow, out lookup);
            if (error < 0) return error;
            VfsNode node = lookup.Node;
            if (node == null) return -Errno.ENOENT;
            bool inFileSystem = node.Type == FileTypeBits.Regular || node.IsDirectory || node.IsSymlink;
            if ((mode & AccessWrite) != 0 && inFileSystem && !(node is GeneratedFileNode) && !node.FileSystem.Writable) return -Errno.EROFS;
            if ((mode & AccessExecute) != 0 && !node.IsDirectory && (node.Mode & 0x49) == 0) return -Errno.EACCES;
            return 0;
        }

        public static long ChangeDirectory(DirectoryNode at, byte* path, int length)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, true, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            return ChangeDirectory(lookup.Node);
        }

        public static long ChangeDirectory(VfsNode node)
        {
            if (node == null || !node.IsDirectory) return -Errno.ENOTDIR;
            node.Retain();
            DirectoryNode previous = WorkingDirectory;
            WorkingDirectory = (DirectoryNode)node;
            previous.Release();
            return 0;
        }

        /// <summary>getcwd: the NUL-terminated absolute path; its length including the NUL.</summary>
        public static long GetWorkingDirectory(byte* buffer, long size)
        {
            DirectoryNode cwd = WorkingDirectory;
            if (!cwd.Linked) return -Errno.ENOENT;
            long length = 0;
            for (VfsNode n = cwd; n != Root; n = n.Parent) length += 1 + n.Name.Length;
            if (length == 0) length = 1;
            if (size < length + 1) return -Errno.ERANGE;
            buffer[length] = 0;
            if (cwd == Root) buffer[0] = (byte)'/';
            long position = length;
            for (VfsNode n = cwd; n != Root; n = n.Parent)
            {
                position -= n.Name.Length;
                for (int i = 0; i < n.Name.Length; i++) buffer[position + i] = n.Name[i];
                buffer[--position] = (byte)'/';
            }
            return length + 1;
        }

        public static long ChangeMode(VfsNode node, uint mode)
        {
            if (node.FileSystem == null || !node.FileSystem.Writable) return -Errno.EROFS;
            node.Mode = node.Type | (mode & FileTypeBits.PermissionMask);
            node.ChangedTime = FileClock.Now();
            Inotify.AttributesChanged(node);
            return 0;
        }

        public static long ChangeMode(DirectoryNode at, byte* path, int length, uint mode, bool follow)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, follow, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            return ChangeMode(lookup.Node, mode);
        }

        // utimensat's special tv_nsec values.
        public const long TimeNow = (1L << 30) - 1, TimeOmit = (1L << 30) - 2;   // UTIME_NOW, UTIME_OMIT

        /// <summary>
        /// utimensat and its older forms on a node (vfs_utimes): <paramref name="times"/> null sets the
        /// access and modification times to now; else times[0] is the access time and times[1] the
        /// modification time, and either's nanoseconds may be UTIME_NOW or UTIME_OMIT (which leaves that
        /// time alone). Any other nanoseconds outside 0..999,999,999 are EINVAL; the seconds may be anything,
        /// negative included. The change time becomes now. 0, -EINVAL or -EROFS. A null node (a pipe's or
        /// an anonymous inode's descriptor) keeps no times: the arguments are checked, nothing is stored.
        /// </summary>
        public static long SetTimes(VfsNode node, FileTime* times)
        {
            if (times != null && (!IsTimeNanoseconds(times[0].Nanoseconds) || !IsTimeNanoseconds(times[1].Nanoseconds))) return -Errno.EINVAL;
            if (node == null) return 0;
            if (node.FileSystem == null || !node.FileSystem.Writable) return -Errno.EROFS;
            FileTime now = FileClock.Now();
            if (times == null)
            {
                node.AccessTime = now;
                node.ModifiedTime = now;
            }
            else
            {
                if (times[0].Nanoseconds != TimeOmit) node.AccessTime = times[0].Nanoseconds == TimeNow ? now : times[0];
                if (times[1].Nanoseconds != TimeOmit) node.ModifiedTime = times[1].Nanoseconds == TimeNow ? now : times[1];
            }
            node.ChangedTime = now;
            Inotify.AttributesChanged(node);
            return 0;
        }

        public static long SetTimes(DirectoryNode at, byte* path, int length, bool follow, FileTime* times)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, follow, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            return SetTimes(lookup.Node, times);
        }

        private static bool IsTimeNanoseconds(long nanoseconds) =>
            nanoseconds == TimeNow || nanoseconds == TimeOmit || (nanoseconds >= 0 && nanoseconds < 1_000_000_000);

        /// <summary>
        /// chown and friends (chown_common). Everything belongs to root, the only user there is: a uid or gid
        /// of 0 or -1 (unchanged) is accepted and changes no owner; any other id cannot be represented, and
        /// gets the EINVAL Linux gives for an id its user namespace does not map. As on Linux (root
        /// included), a non-directory loses set-user-ID, and set-group-ID when group-executable; the change
        /// time becomes now. 0, -EROFS or -EINVAL. A null node (a pipe's or an anonymous inode's
        /// descriptor) only has the ids checked.
        /// </summary>
        public static long ChangeOwner(VfsNode node, uint user, uint group)
        {
            if (node != null && (node.FileSystem == null || !node.FileSystem.Writable)) return -Errno.EROFS;
            if (!IsKnownOwner(user, group)) return -Errno.EINVAL;
            if (node == null) return 0;
            if (!node.IsDirectory)
            {
                uint mode = node.Mode & ~FileTypeBits.SetUserId;
                if ((mode & FileTypeBits.GroupExecute) != 0) mode &= ~FileTypeBits.SetGroupId;
                node.Mode = mode;
            }
            node.ChangedTime = FileClock.Now();
            Inotify.AttributesChanged(node);
            return 0;
        }

        /// <summary>Are both ids root (0) or "unchanged" (-1)?</summary>
        public static bool IsKnownOwner(uint user, uint group) =>
            (user == 0 || user == uint.MaxValue) && (group == 0 || group == uint.MaxValue);

        public static long ChangeOwner(DirectoryNode at, byte* path, int length, bool follow, uint user, uint group)
        {
            PathLookup lookup;
            long error = Lookup(at, path, length, follow, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            return ChangeOwner(lookup.Node, user, group);
        }

        /// <summary>truncate(path, length).</summary>
        public static long Truncate(DirectoryNode at, byte* path, int length, long size)
        {
            if (size < 0) return -Errno.EINVAL;
            PathLookup lookup;
            long error = Lookup(at, path, length, true, out lookup);
            if (error < 0) return error;
            VfsNode node = lookup.Node;
            if (node == null) return -Errno.ENOENT;
            if (node.IsDirectory) return -Errno.EISDIR;
            error = CheckWritable(node);
            if (error < 0) return error;
            if (!(node is RamFileNode)) return -Errno.EINVAL;
            return ((RamFileNode)node).Truncate(size);
        }
    }
}
