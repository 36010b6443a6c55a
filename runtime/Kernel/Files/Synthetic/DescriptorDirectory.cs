using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Platform;
using static Kernel.Files.Vfs;

namespace Kernel.Files.Synthetic
{
    // /proc/<pid>/fd: one symbolic link per open descriptor, named by its number, pointing where Linux's
    // do: the path of a file, socket:[inode], pipe:[inode] (the inodes fstat reports), anon_inode:[eventpoll],
    // anon_inode:[eventfd], anon_inode:inotify. Two differences: an unlinked file shows "/name (deleted)"
    // (a node no longer knows its directory once unlinked, where Linux's dentry still does), and the links
    // are plain links, not Linux's magic ones: opening or stat'ing through them reaches files only.
    internal sealed unsafe class DescriptorDirectory : DirectorySynchronizer
    {
        public override void Synchronize(DirectoryNode directory)
        {
            FileDescriptorTable table = Descriptors;
            var target = new TextBuilder();
            for (VfsNode child = directory.FirstChild, next; child != null; child = next)
            {
                next = child.NextSibling;
                long fd = NameAsNumber(child);
                OpenFile file = fd < 0 ? null : table.Get(fd);
                bool current = false;
                if (file != null)
                {
                    Describe(file, target);
                    current = SameTarget((SymlinkNode)child, target);
                    Clear(target);
                }
                if (!current) Remove(directory, child);
            }
            for (int fd = 0; fd < table.Limit; fd++)
            {
                OpenFile file = table.Get(fd);
                if (file == null || HasEntry(directory, fd)) continue;
                Describe(file, target);
                SymlinkNode link = SymlinkNode.Create(directory.FileSystem, target.Data, (int)target.Length);
                Clear(target);
                if (link == null) continue;
                // lr-x------, l-wx------ or lrwx------: the descriptor's access mode.
                link.Mode = FileTypeBits.Symlink | 0x40 | (file.CanRead ? 0x100u : 0) | (file.CanWrite ? 0x80u : 0);
                AddNumbered(directory, (ulong)fd, link);
            }
            target.Dispose();
        }

        /// <summary>Where the link of <paramref name="file"/> points.</summary>
        public static void Describe(OpenFile file, TextBuilder o)
        {
            LinuxStat st;
            file.Stat(&st);
            uint type = st.Mode & FileTypeBits.TypeMask;
            if (type == FileTypeBits.Socket) o.Append("socket:[").AppendDecimal(st.Inode).Append(']');
            else if (file.Node != null) AppendPath(o, file.Node);
            else if (type == FileTypeBits.Fifo) o.Append("pipe:[").AppendDecimal(st.Inode).Append(']');
            else if (file is EpollInstance) o.Append("anon_inode:[eventpoll]");
            else if (file is EventFdHandle) o.Append("anon_inode:[eventfd]");
            else if (file is InotifyInstance) o.Append("anon_inode:inotify");
            else o.Append("anon_inode:[").AppendDecimal(st.Inode).Append(']');
        }

        private static void AppendPath(TextBuilder o, VfsNode node)
        {
            if (node == Root) { o.Append('/'); return; }
            AppendAncestors(o, node);
            if (!node.Linked) o.Append(" (deleted)");
        }

        private static void AppendAncestors(TextBuilder o, VfsNode node)
        {
            if (node == Root || node == null) return;
            AppendAncestors(o, node.Parent);
            o.Append('/').Append(node.Name);
        }

        private static bool SameTarget(SymlinkNode link, TextBuilder target)
        {
            if (link.TargetLength != target.Length) return false;
            for (int i = 0; i < link.TargetLength; i++) if (link.Target[i] != target.Data[i]) return false;
            return true;
        }

        private static void Clear(TextBuilder target)
        {
            long length;
            FileMemory.Free(target.TakeBytes(out length));
        }

        private static bool HasEntry(DirectoryNode directory, int fd)
        {
            for (VfsNode child = directory.FirstChild; child != null; child = child.NextSibling)
                if (NameAsNumber(child) == fd) return true;
            return false;
        }
    }
}
