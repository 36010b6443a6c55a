using Kernel.LinuxAbi;
using Kernel.Syscalls;

namespace Kernel.Net.Sockets
{
    // struct sockaddr_in and sockaddr_in6 as the app passes them: family (host order), port and address
    // (network order); sockaddr_in6 adds flowinfo and scope id (ours are 0: one interface). An AF_INET6
    // socket names IPv4 peers by their mapped addresses (::ffff:a.b.c.d), as a Linux dual-stack socket does,
    // which is also how the stack keeps them (IpAddress).
    internal static unsafe class SocketAddress
    {
        public const ushort FamilyUnspecified = 0, FamilyUnix = 1, FamilyInet = 2, FamilyInet6 = 10;
        public const int InetSize = 16, Inet6Size = 28;
        private const int Inet6MinimumSize = 24;   // SIN6_LEN_RFC2133: Linux takes a sockaddr_in6 without sin6_scope_id

        /// <summary>What the address is read for: the errors of an unusable address differ.</summary>
        public const int ForBind = 0, ForConnect = 1, ForSend = 2;

        /// <summary>
        /// Reads the address of bind/connect/sendto for <paramref name="socket"/>'s family: 0, or -EINVAL/-EFAULT/
        /// -EAFNOSUPPORT/-EADDRNOTAVAIL/-ENETUNREACH. AF_UNSPEC gives <paramref name="unspecified"/>.
        /// </summary>
        public static long Read(SocketFile socket, int use, ulong address, ulong length, out IpAddress ip, out ushort port, out bool unspecified)
        {
            ip = default;
            port = 0;
            unspecified = false;
            if (length < 2 || length > 128) return -Errno.EINVAL;
            if (!UserMemory.IsUserRange(address, length)) return -Errno.EFAULT;
            ushort family = *(ushort*)address;
            if (socket.Family == FamilyInet6 && use == ForBind && length < Inet6MinimumSize) return -Errno.EINVAL;   // inet6_bind checks the length first
            if (family == FamilyUnspecified && (socket.Family == FamilyInet || use != ForBind)) { unspecified = true; return 0; }
            if (family == FamilyInet6 && socket.Family == FamilyInet6) return ReadInet6(socket, use, (byte*)address, length, out ip, out port);
            // An IPv6 datagram socket takes an AF_INET address too (Linux's udpv6 connect and sendmsg), unless v6-only.
            bool inetAllowed = socket.Family == FamilyInet || socket.Type == SocketFile.Datagram && use != ForBind;
            if (family != FamilyInet || !inetAllowed) return -Errno.EAFNOSUPPORT;
            if (socket.Family == FamilyInet6 && socket.V6Only) return use == ForSend ? -Errno.ENETUNREACH : -Errno.EAFNOSUPPORT;
            if (length < InetSize) return -Errno.EINVAL;
            port = NetBytes.Read16((byte*)address + 2);
            ip = NetBytes.Read32((byte*)address + 4);
            return 0;
        }

        private static long ReadInet6(SocketFile socket, int use, byte* address, ulong length, out IpAddress ip, out ushort port)
        {
            ip = default;
            port = 0;
            if (length < Inet6MinimumSize) return -Errno.EINVAL;
            port = NetBytes.Read16(address + 2);
            ip = IpAddress.Read(address + 8);
            if (ip.IsV4 && socket.V6Only) return use == ForBind ? -Errno.EINVAL : -Errno.ENETUNREACH;
            return 0;
        }

        /// <summary>
        /// Writes a sockaddr_in (or, for an AF_INET6 socket, a sockaddr_in6, IPv4 addresses mapped) to
        /// (<paramref name="address"/>, *<paramref name="lengthPointer"/>), truncated to the app's length, and the
        /// full length back; nothing when <paramref name="address"/> is 0. 0 or -errno.
        /// </summary>
        public static long Write(ulong address, ulong lengthPointer, int family, IpAddress ip, ushort port)
        {
            if (address == 0) return 0;
            if (!UserMemory.IsWritableUserRange(lengthPointer, 4)) return -Errno.EFAULT;
            int length = *(int*)lengthPointer;
            if (length < 0) return -Errno.EINVAL;
            byte* value = stackalloc byte[Inet6Size];
            for (int i = 0; i < Inet6Size; i++) value[i] = 0;
            int size;
            NetBytes.Write16(value + 2, port);
            if (family == FamilyInet6)
            {
                *(ushort*)value = FamilyInet6;
                ip.Write(value + 8);
                size = Inet6Size;
            }
            else
            {
                *(ushort*)value = FamilyInet;
                NetBytes.Write32(value + 4, ip.V4);
                size = InetSize;
            }
            int copy = length < size ? length : size;
            if (copy > 0)
            {
                if (!UserMemory.IsWritableUserRange(address, (ulong)copy)) return -Errno.EFAULT;
                NetBytes.Copy(value, (byte*)address, copy);
            }
            *(int*)lengthPointer = size;
            return 0;
        }
    }
}
