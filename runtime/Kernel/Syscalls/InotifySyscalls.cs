using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;

namespace Kernel.Syscalls
{
    // inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch (Files/Events/Inotify.cs, InotifyInstance.cs).
    internal static unsafe class InotifySyscalls
    {
        // IN_NONBLOCK and IN_CLOEXEC are O_NONBLOCK and O_CLOEXEC.
        private const int InitFlags = OpenFlags.NonBlocking | OpenFlags.CloseOnExec;
        private const uint KnownMask = Inotify.AllEvents | Inotify.OnlyDirectory | Inotify.DontFollow | Inotify.ExcludeUnlinked
                                     | Inotify.MaskCreate | Inotify.MaskAdd | Inotify.OneShot;

        // inotify_init()
        public static long inotify_init(SyscallFrame call) => Create(0);

        // inotify_init1(flags)
        public static long inotify_init1(SyscallFrame call) => Create((int)call.Arg0);

        private static long Create(int flags)
        {
            if ((flags & ~InitFlags) != 0) return -Errno.EINVAL;
            AppFileTree.EnsureBuilt();
            var instance = new InotifyInstance(flags);
            return Vfs.Descriptors.InstallNew(instance, (flags & OpenFlags.CloseOnExec) != 0);
        }

        // inotify_add_watch(fd, path, mask)
        public static long inotify_add_watch(SyscallFrame call)
        {
            uint mask = (uint)call.Arg2;
            AppFileTree.EnsureBuilt();
            InotifyInstance instance;
            long error = InstanceFor((long)(int)call.Arg0, out instance);
            if (error < 0) return error;
            // As Linux: unknown bits are ignored, but some event must be asked for.
            if ((mask & Inotify.AllEvents) == 0) return -Errno.EINVAL;
            mask &= KnownMask;
            if ((mask & Inotify.MaskCreate) != 0 && (mask & Inotify.MaskAdd) != 0) return -Errno.EINVAL;
            long length = UserPath.Copy(call.Arg1, UserPath.First);
            if (length < 0) return length;
            if (length == 0) return -Errno.ENOENT;
            DirectoryNode at;
            if (UserPath.First[0] == '/') at = Vfs.Root;
            else
            {
                error = Vfs.DirectoryFor(OpenFlags.AtCurrentDirectory, out at);
                if (error < 0) return error;
            }
            PathLookup lookup;
            error = Vfs.Lookup(at, UserPath.First, (int)length, (mask & Inotify.DontFollow) == 0, out lookup);
            if (error < 0) return error;
            if (lookup.Node == null) return -Errno.ENOENT;
            if ((mask & Inotify.OnlyDirectory) != 0 && !lookup.Node.IsDirectory) return -Errno.ENOTDIR;
            return instance.AddWatch(lookup.Node, mask);
        }

        // inotify_rm_watch(fd, wd)
        public static long inotify_rm_watch(SyscallFrame call)
        {
            AppFileTree.EnsureBuilt();
            InotifyInstance instance;
            long error = InstanceFor((long)(int)call.Arg0, out instance);
            if (error < 0) return error;
            return instance.RemoveWatch((int)call.Arg1);
        }

        private static long InstanceFor(long fd, out InotifyInstance instance)
        {
            OpenFile file = Vfs.Descriptors.Get(fd);
            instance = file as InotifyInstance;
            if (file == null) return -Errno.EBADF;
            return instance == null ? -Errno.EINVAL : 0;
        }
    }
}
