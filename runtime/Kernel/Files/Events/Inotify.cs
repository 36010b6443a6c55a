namespace Kernel.Files.Events
{
    // inotify's watches and the VFS's side of it: the VFS reports a change to a node (and, for a change to
    // a directory entry, to its directory with the entry's name), and every watch on that node whose mask
    // takes the event queues it on its instance. The watch list is global and short (a FileSystemWatcher
    // adds one watch per directory), so a scan per change is cheap, and with no watches nothing is scanned.
    // Events: create, modify (write, truncate), attrib (chmod, chown, utimes), delete, move (from/to/self),
    // delete_self; not open/access/close, which nothing in .NET asks for, so add_watch accepts those bits
    // and they never fire. Files on read-only file systems (the app's, /proc) never change: their watches never fire.
    internal static class Inotify
    {
        public const uint Access = 0x1, Modify = 0x2, Attrib = 0x4, CloseWrite = 0x8, CloseNoWrite = 0x10, Open = 0x20,
                          MovedFrom = 0x40, MovedTo = 0x80, Create = 0x100, Delete = 0x200, DeleteSelf = 0x400, MoveSelf = 0x800;
        public const uint AllEvents = 0xFFF;
        public const uint Unmount = 0x2000, QueueOverflow = 0x4000, Ignored = 0x8000;
        public const uint OnlyDirectory = 0x0100_0000, DontFollow = 0x0200_0000, ExcludeUnlinked = 0x0400_0000,
                          MaskCreate = 0x1000_0000, MaskAdd = 0x2000_0000, IsDirectory = 0x4000_0000, OneShot = 0x8000_0000;

        private static InotifyWatch s_watches;
        private static uint s_nextCookie = 1;

        public static bool Any => s_watches != null;

        public static void Register(InotifyWatch watch)
        {
            watch.NextGlobal = s_watches;
            s_watches = watch;
        }

        public static void Unregister(InotifyWatch watch)
        {
            if (s_watches == watch) { s_watches = watch.NextGlobal; return; }
            for (InotifyWatch w = s_watches; w != null; w = w.NextGlobal)
                if (w.NextGlobal == watch) { w.NextGlobal = watch.NextGlobal; return; }
        }

        /// <summary>A cookie that ties a rename's MOVED_FROM to its MOVED_TO.</summary>
        public static uint NextCookie() => s_nextCookie++;

        /// <summary>The content of <paramref name="node"/> changed (write, truncate): IN_MODIFY to it and its directory.</summary>
        public static void Modified(VfsNode node) => Changed(node, Modify);

        /// <summary>Metadata of <paramref name="node"/> changed (chmod, chown, utimes): IN_ATTRIB.</summary>
        public static void AttributesChanged(VfsNode node) => Changed(node, Attrib);

        private static unsafe void Changed(VfsNode node, uint mask)
        {
            if (s_watches == null) return;
            uint directoryBit = node.IsDirectory ? IsDirectory : 0;
            Deliver(node, mask | directoryBit, 0, null, 0);
            if (node.Parent != null && node.Name != null)
                fixed (byte* name = node.Name) Deliver(node.Parent, mask | directoryBit, 0, name, node.Name.Length);
        }

        /// <summary>An entry appeared in <paramref name="directory"/> (open O_CREAT, mkdir, symlink): IN_CREATE.</summary>
        public static unsafe void Created(DirectoryNode directory, VfsNode child, byte* name, int length)
        {
            if (s_watches == null) return;
            Deliver(directory, Create | (child.IsDirectory ? IsDirectory : 0), 0, name, length);
        }

        /// <summary>
        /// An entry is about to be removed (unlink, rmdir, replaced by a rename): IN_DELETE to its directory (unless
        /// <paramref name="replaced"/>), IN_DELETE_SELF to the node, then its watches end with IN_IGNORED.
        /// </summary>
        public static unsafe void Deleted(DirectoryNode directory, VfsNode child, byte* name, int length, bool replaced)
        {
            if (s_watches == null) return;
            uint directoryBit = child.IsDirectory ? IsDirectory : 0;
            if (!replaced) Deliver(directory, Delete | directoryBit, 0, name, length);
            Deliver(child, DeleteSelf, 0, null, 0);
            for (InotifyWatch w = s_watches; w != null;)
            {
                InotifyWatch next = w.NextGlobal;
                if (w.Node == child) w.Owner.RemoveWatch(w, true);
                w = next;
            }
        }

        /// <summary>A rename: IN_MOVED_FROM and IN_MOVED_TO with one cookie to the two directories, IN_MOVE_SELF to the node.</summary>
        public static unsafe void Moved(DirectoryNode from, byte* fromName, int fromLength, DirectoryNode to, byte* toName, int toLength, VfsNode node)
        {
            if (s_watches == null) return;
            uint directoryBit = node.IsDirectory ? IsDirectory : 0;
            uint cookie = NextCookie();
            Deliver(from, MovedFrom | directoryBit, cookie, fromName, fromLength);
            Deliver(to, MovedTo | directoryBit, cookie, toName, toLength);
            Deliver(node, MoveSelf | directoryBit, 0, null, 0);
        }

        private static unsafe void Deliver(VfsNode node, uint mask, uint cookie, byte* name, int length)
        {
            for (InotifyWatch w = s_watches; w != null;)
            {
                InotifyWatch next = w.NextGlobal;
                if (w.Node == node && (w.Mask & mask & AllEvents) != 0)
                {
                    w.Owner.Queue(w.Descriptor, mask, cookie, name, length);
                    if ((w.Mask & OneShot) != 0) w.Owner.RemoveWatch(w, true);
                }
                w = next;
            }
        }
    }

    // One inotify_add_watch: a node, the events wanted, the descriptor the instance gave it. It holds a
    // reference on the node so the node stays while watched, as Linux's watch pins the inode.
    internal sealed class InotifyWatch
    {
        public InotifyInstance Owner;
        public int Descriptor;
        public VfsNode Node;
        public uint Mask;
        public InotifyWatch NextGlobal;      // Inotify's list of every watch
        public InotifyWatch NextInInstance;
    }
}
