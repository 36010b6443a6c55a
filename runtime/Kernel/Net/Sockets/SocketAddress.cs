using Kernel.LinuxAbi;
using Kernel.Syscalls;

namespace Kernel.Net.Sockets
{
    // struct sockaddr_in as the app passes it (AF_INET only: the stack is IPv4; socket(AF_INET6) fails with
    // EAFNOSUPPORT, which makes .NET fall back to IPv4): family (host order), port and address (network order).
    internal static unsafe class SocketAddress
    {
        public const ushort FamilyUnspecified = 0, FamilyUnix = 1, FamilyInet = 2, FamilyInet6 = 10;
        public const int InetSize = 16;

        /// <summary>Reads a sockaddr_in: 0, or -EINVAL/-EFAULT/-EAFNOSUPPORT. AF_UNSPEC gives <paramref name="unspecified"/>.</summary>
        public static long Read(ulong address, ulong length, out uint ip, out ushort port, out bool unspecified)
        {
            ip = 0;
            port = 0;
            unspecified = false;
            if (length < 2 || length > 128) return -Errno.EINVAL;
            if (!UserMemory.IsUserRange(address, length)) return -Errno.EFAULT;
            ushort family = *(ushort*)address;
            if (family == FamilyUnspecified) { unspecified = true; return 0; }
            if (family != FamilyInet) return -Errno.EAFNOSUPPORT;
            if (length < InetSize) return -Errno.EINVAL;
            port = NetBytes.Read16((byte*)address + 2);
            ip = NetBytes.Read32((byte*)address + 4);
            return 0;
        }

        /// <summary>
        /// Writes a sockaddr_in to (<paramref name="address"/>, *<paramref name="lengthPointer"/>), truncated to the
        /// app's length, and the full length back; nothing when <paramref name="address"/> is 0. 0 or -errno.
        /// </summary>
        public static long Write(ulong address, ulong lengthPointer, uint ip, ushort port)
        {
            if (address == 0) return 0;
            if (!UserMemory.IsWritableUserRange(lengthPointer, 4)) return -Errno.EFAULT;
            int length = *(int*)lengthPointer;
            if (length < 0) return -Errno.EINVAL;
            byte* value = stackalloc byte[InetSize];
            *(ushort*)value = FamilyInet;
            NetBytes.Write16(value + 2, port);
            NetBytes.Write32(value + 4, ip);
            *(ulong*)(value + 8) = 0;
            int copy = length < InetSize ? length : InetSize;
            if (copy > 0)
            {
                if (!UserMemory.IsWritableUserRange(address, (ulong)copy)) return -Errno.EFAULT;
                NetBytes.Copy(value, (byte*)address, copy);
            }
            *(int*)lengthPointer = InetSize;
            return 0;
        }
    }
}
