using Kernel.Files;
using Kernel.Files.Events;
using Kernel.LinuxAbi;

namespace Kernel.Net.Sockets
{
    // Where Unix socket names live: a path is a socket node in the VFS (UnixSocketNode), an abstract name an
    // entry in a list here that disappears with its socket. Binding fails with EADDRINUSE when the name exists
    // (a path even when its socket closed: only unlink frees it); finding fails with ENOENT for a missing path,
    // ECONNREFUSED for a file that is no socket, a closed socket or an abstract name nobody holds.
    internal static unsafe class UnixNamespace
    {
        private static UnixSocketFile s_abstract;   // sockets bound to abstract names, through NextAbstract
        private static uint s_nextAutobind;

        /// <summary>Gives <paramref name="socket"/> the name <paramref name="address"/>: 0 or -errno.</summary>
        public static long Bind(UnixSocketFile socket, ref UnixAddress address, out UnixSocketNode node)
        {
            node = null;
            if (address.IsAbstract)
            {
                if (FindAbstract(ref address) != null) return -Errno.EADDRINUSE;
                socket.NextAbstract = s_abstract;
                s_abstract = socket;
                return 0;
            }
            PathLookup lookup;
            fixed (byte* path = address.Path)
            {
                long error = Vfs.Lookup(Vfs.WorkingDirectory, path, address.PathLength, false, out lookup);
                if (error < 0) return error;
                if (lookup.IsRoot || lookup.Node != null) return -Errno.EADDRINUSE;
                if (lookup.TrailingSlash) return -Errno.ENOENT;
                error = lookup.Parent.CheckCanCreate();
                if (error < 0) return error;
            }
            node = new UnixSocketNode(lookup.Parent.FileSystem, 0x1FF & ~Vfs.Umask, socket);
            lookup.Parent.Attach(node, FileNames.FromBytes(lookup.Name, lookup.NameLength));
            Inotify.Created(lookup.Parent, node, lookup.Name, lookup.NameLength);
            node.Retain();   // the socket's hold on its node, dropped when it closes
            return 0;
        }

        /// <summary>A free abstract name for an unnamed socket that needs one (bind with only the family, SO_PASSCRED).</summary>
        public static UnixAddress Autobind()
        {
            for (uint tries = 0; tries < 0x100000; tries++)
            {
                UnixAddress candidate = UnixAddress.AbstractHex(s_nextAutobind);
                s_nextAutobind = (s_nextAutobind + 1) & 0xFFFFF;
                if (FindAbstract(ref candidate) == null) return candidate;
            }
            return UnixAddress.Unnamed;
        }

        /// <summary>The open socket named <paramref name="address"/>, or null with -errno in <paramref name="error"/>.</summary>
        public static UnixSocketFile Find(ref UnixAddress address, out long error)
        {
            error = 0;
            if (address.IsUnnamed) { error = -Errno.EINVAL; return null; }
            if (address.IsAbstract)
            {
                UnixSocketFile found = FindAbstract(ref address);
                if (found == null) error = -Errno.ECONNREFUSED;
                return found;
            }
            PathLookup lookup;
            fixed (byte* path = address.Path)
            {
                error = Vfs.Lookup(Vfs.WorkingDirectory, path, address.PathLength, true, out lookup);
                if (error < 0) return null;
            }
            if (lookup.Node == null) { error = -Errno.ENOENT; return null; }
            var node = lookup.Node as UnixSocketNode;
            if (node == null || node.Socket == null) { error = -Errno.ECONNREFUSED; return null; }
            return node.Socket;
        }

        /// <summary>The socket closes: its abstract name is free again.</summary>
        public static void Forget(UnixSocketFile socket)
        {
            if (s_abstract == socket) { s_abstract = socket.NextAbstract; socket.NextAbstract = null; return; }
            for (UnixSocketFile s = s_abstract; s != null; s = s.NextAbstract)
                if (s.NextAbstract == socket) { s.NextAbstract = socket.NextAbstract; socket.NextAbstract = null; return; }
        }

        private static UnixSocketFile FindAbstract(ref UnixAddress address)
        {
            for (UnixSocketFile s = s_abstract; s != null; s = s.NextAbstract)
                if (s.LocalAddress.SameAs(ref address)) return s;
            return null;
        }
    }
}
