using Kernel.LinuxAbi;

namespace Kernel.Files
{
    // Path resolution (path_resolution(7)): absolute paths start at the root, relative ones at the
    // given directory (the working directory or an *at call's dirfd); "." stays, ".." goes up (the root's
    // parent is the root); repeated slashes count as one. Every component but the last must be a
    // directory (ENOTDIR) that exists (ENOENT); symbolic links in the middle are always followed, the last
    // one only with FollowLast or a trailing slash; more than 40 links is ELOOP. A component over 255
    // bytes is ENAMETOOLONG (the system call layer bounds whole paths at 4096). A trailing slash
    // requires the last component, if it exists, to be a directory (ENOTDIR).
    internal static unsafe class PathWalker
    {
        public const int PathMax = 4096;      // including the terminating NUL
        public const int NameMax = 255;
        public const int SymlinkLimit = 40;

        public static long Resolve(DirectoryNode root, DirectoryNode start, byte* path, int length, bool followLast, out PathLookup result)
        {
            int links = 0;
            return Walk(root, start, path, length, followLast, ref links, out result);
        }

        private static long Walk(DirectoryNode root, DirectoryNode start, byte* path, int length, bool followLast, ref int links, out PathLookup result)
        {
            result = default;
            if (length == 0) return -Errno.ENOENT;
            DirectoryNode directory = path[0] == '/' ? root : start;
            result.Parent = directory.Parent ?? directory;
            result.Node = directory;
            int i = 0;
            while (true)
            {
                while (i < length && path[i] == '/') i++;
                if (i == length) return 0;   // only slashes left (or none at all): `directory` is the answer

                int nameStart = i;
                while (i < length && path[i] != '/') i++;
                int nameLength = i - nameStart;
                if (nameLength > NameMax) return -Errno.ENAMETOOLONG;
                int next = i;
                while (next < length && path[next] == '/') next++;
                bool last = next == length;
                bool trailingSlash = last && i < length;
                byte* name = path + nameStart;

                VfsNode child;
                long error = Step(root, directory, name, nameLength, out child);
                if (error < 0) return error;

                if (last)
                {
                    result.Parent = directory;
                    result.Node = child;
                    result.Name = name;
                    result.NameLength = nameLength;
                    result.TrailingSlash = trailingSlash;
                    if (child != null && child.IsSymlink && (followLast || trailingSlash))
                    {
                        if (++links > SymlinkLimit) return -Errno.ELOOP;
                        var link = (SymlinkNode)child;
                        error = Walk(root, directory, link.Target, link.TargetLength, true, ref links, out result);
                        if (error < 0) return error;
                        result.TrailingSlash |= trailingSlash;
                        child = result.Node;
                    }
                    if (trailingSlash && child != null && !child.IsDirectory) return -Errno.ENOTDIR;
                    return 0;
                }

                if (child == null) return -Errno.ENOENT;
                if (child.IsSymlink)
                {
                    if (++links > SymlinkLimit) return -Errno.ELOOP;
                    var link = (SymlinkNode)child;
                    PathLookup inner;
                    error = Walk(root, directory, link.Target, link.TargetLength, true, ref links, out inner);
                    if (error < 0) return error;
                    if (inner.Node == null) return -Errno.ENOENT;
                    child = inner.Node;
                }
                if (!child.IsDirectory) return -Errno.ENOTDIR;
                directory = (DirectoryNode)child;
            }
        }

        // One component looked up in `directory`: the child (null if absent) or -errno.
        private static long Step(DirectoryNode root, DirectoryNode directory, byte* name, int length, out VfsNode child)
        {
            child = null;
            if (FileNames.IsDot(name, length)) { child = directory; return 0; }
            if (!directory.Linked) return -Errno.ENOENT;   // a removed directory has no entries, not even ".."
            if (FileNames.IsDotDot(name, length))
            {
                child = directory == root || directory.Parent == null ? directory : directory.Parent;
                return 0;
            }
            child = directory.Find(name, length);
            return 0;
        }
    }
}
