using Kernel.Files;
using Kernel.LinuxAbi;

namespace Kernel.Net.Sockets
{
    // The file bind() leaves at a Unix socket's path (srwxr-xr-x under the default umask): connect() and sendto()
    // find the socket through it while the socket is open. It outlives the socket, as on Linux: the name stays
    // until unlink(), and a socket closed behind it refuses connections. open() on it fails with ENXIO.
    internal sealed class UnixSocketNode : VfsNode
    {
        /// <summary>The bound socket, null once it closed.</summary>
        public UnixSocketFile Socket;

        public UnixSocketNode(SuperBlock fileSystem, uint permissions, UnixSocketFile socket)
            : base(fileSystem, FileTypeBits.Socket | (permissions & 0xFFF))
        {
            Socket = socket;
        }

        // So that open() for writing, too, reaches Open and fails with ENXIO (not EACCES), as on Linux.
        public override bool IsWritableContent => true;

        public override long Open(int flags, out OpenFile file)
        {
            file = null;
            return -Errno.ENXIO;
        }
    }
}
