using Kernel.LinuxAbi;

namespace Kernel.Files
{
    // An O_PATH descriptor: names a node (for fstat, fchdir, the *at calls, fcntl, dup, close) without
    // opening it; read, write and the rest fail with EBADF in the system call layer.
    internal sealed class PathHandle : OpenFile
    {
        public PathHandle(VfsNode node, int flags) : base(node, (flags & (OpenFlags.PathOnly | OpenFlags.LargeFile)) | OpenFlags.PathOnly) { }
    }
}
