using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Net.Sockets;
using Kernel.Net.Tcp;
using Kernel.Net;

namespace Kernel.Syscalls
{
    // The BSD socket calls for AF_INET and AF_INET6 stream (TCP) and datagram (UDP) sockets, over the kernel's stack
    // (Net/): socket, bind, listen, accept/accept4, connect, send/recv in their sendto/recvfrom and
    // sendmsg/recvmsg forms, shutdown, getsockname/getpeername, setsockopt/getsockopt. Sockets are open file
    // descriptions (Net/Sockets/SocketFile), so read, write, close, poll, epoll, fcntl(O_NONBLOCK) and
    // ioctl(FIONBIO/FIONREAD) need nothing here. An AF_INET6 socket is dual-stack (Net/Sockets/SocketAddress:
    // IPv4 peers as ::ffff:a.b.c.d). AF_UNIX sockets are UnixSocketSyscalls' (by family, then by descriptor).
    // Other families (AF_NETLINK, AF_PACKET) fail with EAFNOSUPPORT.
    internal static unsafe class SocketSyscalls
    {
        private const int FamilyUnix = 1, FamilyInet = 2, FamilyInet6 = 10;
        private const int TypeMask = 0xF, SocketNonBlocking = 0x800, SocketCloseOnExec = 0x80000;
        private const int LevelSocket = 1, LevelIp = 0, LevelTcp = 6, LevelUdp = 17, LevelIpv6 = 41;

        // socket(domain, type, protocol)
        public static long socket(SyscallFrame call)
        {
            int domain = (int)call.Arg0, type = (int)call.Arg1, protocol = (int)call.Arg2;
            if (domain == FamilyUnix) return UnixSocketSyscalls.Create(type, protocol);
            if (domain != FamilyInet && domain != FamilyInet6) return -Errno.EAFNOSUPPORT;
            if ((type & ~(TypeMask | SocketNonBlocking | SocketCloseOnExec)) != 0) return -Errno.EINVAL;
            int kind = type & TypeMask;
            SocketFile socket;
            if (kind == SocketFile.Stream && (protocol == 0 || protocol == Ipv4.ProtocolTcp)) { if (!Start()) return -Errno.ENOBUFS; socket = new TcpSocketFile(domain, type); }
            else if (kind == SocketFile.Datagram && (protocol == 0 || protocol == Ipv4.ProtocolUdp)) { if (!Start()) return -Errno.ENOBUFS; socket = new UdpSocketFile(domain, type); }
            else if (kind == SocketFile.Stream || kind == SocketFile.Datagram) return -Errno.EPROTONOSUPPORT;
            else return -Errno.ESOCKTNOSUPPORT;
            AppFileTree.EnsureBuilt();
            return Vfs.Descriptors.InstallNew(socket, (type & SocketCloseOnExec) != 0);
        }

        // bind(fd, addr, addrlen)
        public static long bind(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.bind(call);
            SocketFile socket;
            IpAddress address;
            ushort port;
            bool unspecified;
            long error = SocketAndAddress(call, SocketAddress.ForBind, out socket, out address, out port, out unspecified);
            if (error < 0) return error;
            if (unspecified && address != 0) return -Errno.EAFNOSUPPORT;
            return socket.Bind(address, port);
        }

        // The (fd, addr, addrlen) of bind and connect: the socket and the address it names. 0 or -errno.
        private static long SocketAndAddress(SyscallFrame call, int use, out SocketFile socket, out IpAddress address, out ushort port, out bool unspecified)
        {
            address = default;
            port = 0;
            unspecified = false;
            long error;
            socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            return SocketAddress.Read(socket, use, call.Arg1, call.Arg2, out address, out port, out unspecified);
        }

        // listen(fd, backlog)
        public static long listen(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.listen(call);
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            int backlog = (int)call.Arg1;
            if (backlog < 0 || backlog > TcpProtocol.MaximumBacklog) backlog = TcpProtocol.MaximumBacklog;   // Linux: (unsigned)backlog capped at somaxconn
            return socket.Listen(backlog);
        }

        // accept(fd, addr, addrlen) / accept4(fd, addr, addrlen, flags)
        public static long accept(SyscallFrame call) => AcceptWith(call, 0);
        public static long accept4(SyscallFrame call) => AcceptWith(call, (int)call.Arg3);

        private static long AcceptWith(SyscallFrame call, int flags)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.accept(call, flags);
            if ((flags & ~(SocketNonBlocking | SocketCloseOnExec)) != 0) return -Errno.EINVAL;
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            if (call.Arg1 != 0 && !UserMemory.IsWritableUserRange(call.Arg2, 4)) return -Errno.EFAULT;
            SocketFile accepted;
            long result = socket.Accept(flags, out accepted);
            if (accepted == null) return result;
            IpAddress address;
            ushort port;
            accepted.PeerName(out address, out port);
            long fd = Vfs.Descriptors.Install(accepted, (flags & SocketCloseOnExec) != 0);
            if (fd < 0)
            {
                accepted.Release();
                return fd;
            }
            error = SocketAddress.Write(call.Arg1, call.Arg2, accepted.Family, address, port);
            return error < 0 ? error : fd;
        }

        // connect(fd, addr, addrlen)
        public static long connect(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.connect(call);
            SocketFile socket;
            IpAddress address;
            ushort port;
            bool unspecified;
            long error = SocketAndAddress(call, SocketAddress.ForConnect, out socket, out address, out port, out unspecified);
            if (error < 0) return error;
            return socket.Connect(address, port, unspecified);
        }

        // sendto(fd, buf, len, flags, dest_addr, addrlen)
        public static long sendto(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.sendto(call);
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            int length = Length(call.Arg2);
            if (!UserMemory.IsUserRange(call.Arg1, (ulong)length)) return -Errno.EFAULT;
            IpAddress address;
            ushort port;
            bool hasAddress;
            error = ReadDestination(socket, call.Arg4, call.Arg5, out hasAddress, out address, out port);
            if (error < 0) return error;
            return socket.Send((byte*)call.Arg1, length, (int)call.Arg3, hasAddress, address, port);
        }

        // The destination of sendto/sendmsg: only a datagram socket takes one (a stream's is ignored, as on Linux),
        // and AF_UNSPEC names none (the connected peer is used). 0 or -errno.
        private static long ReadDestination(SocketFile socket, ulong name, ulong nameLength, out bool hasAddress, out IpAddress address, out ushort port)
        {
            address = default;
            port = 0;
            hasAddress = name != 0 && socket.Type == SocketFile.Datagram;
            if (!hasAddress) return 0;
            bool unspecified;
            long error = SocketAddress.Read(socket, SocketAddress.ForSend, name, nameLength, out address, out port, out unspecified);
            if (error < 0) return error;
            if (unspecified) hasAddress = false;
            return 0;
        }

        // recvfrom(fd, buf, len, flags, src_addr, addrlen)
        public static long recvfrom(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.recvfrom(call);
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            int length = Length(call.Arg2);
            if (!UserMemory.IsWritableUserRange(call.Arg1, (ulong)length)) return -Errno.EFAULT;
            if (call.Arg4 != 0 && !UserMemory.IsWritableUserRange(call.Arg5, 4)) return -Errno.EFAULT;
            IpAddress address;
            ushort port;
            bool truncated;
            long n = socket.Receive((byte*)call.Arg1, length, (int)call.Arg3, out address, out port, out truncated);
            if (n < 0) return n;
            if (socket.Type == SocketFile.Datagram)
            {
                error = SocketAddress.Write(call.Arg4, call.Arg5, socket.Family, address, port);
                if (error < 0) return error;
            }
            else if (call.Arg4 != 0) *(int*)call.Arg5 = 0;   // a stream socket names no source
            return n;
        }

        // sendmsg(fd, msg, flags): the iovecs in order; a datagram is gathered into one.
        public static long sendmsg(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.sendmsg(call);
            long error;
            MessageHeader message;
            SocketFile socket = GetWithMessage(call, writable: false, out message, out error);
            if (socket == null) return error;
            int flags = (int)call.Arg2;
            IpAddress address;
            ushort port;
            bool hasAddress;
            error = ReadDestination(socket, message.Name, message.NameLength, out hasAddress, out address, out port);
            if (error < 0) return error;
            long total = message.CheckVectors(writable: false);
            if (total < 0) return total;

            if (socket.Type == SocketFile.Datagram)
            {
                if (total > Udp.MaximumPayload) return -Errno.EMSGSIZE;
                byte* datagram = stackalloc byte[Udp.MaximumPayload];
                return socket.Send(datagram, message.Gather(datagram), flags, hasAddress, address, port);
            }

            return MovePieces(socket, ref message, flags, receive: false);
        }

        // recvmsg(fd, msg, flags): fills the iovecs in order (a datagram is scattered over them), msg_name,
        // msg_flags (MSG_TRUNC); no ancillary data (msg_controllen = 0).
        public static long recvmsg(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.recvmsg(call);
            long error;
            MessageHeader message;
            SocketFile socket = GetWithMessage(call, writable: true, out message, out error);
            if (socket == null) return error;
            int flags = (int)call.Arg2;
            long capacity = message.CheckVectors(writable: true);
            if (capacity < 0) return capacity;

            IpAddress address = default;
            ushort port = 0;
            bool truncated = false;
            long received;
            if (socket.Type == SocketFile.Datagram)
            {
                byte* datagram = stackalloc byte[Udp.MaximumPayload];
                int want = capacity < Udp.MaximumPayload ? (int)capacity : Udp.MaximumPayload;
                received = socket.Receive(datagram, want, flags & ~SocketFile.MessageTruncate, out address, out port, out truncated);
                if (received < 0 || received == Threads.Scheduler.NoResult) return received;
                message.Scatter(datagram, received);
            }
            else
            {
                received = MovePieces(socket, ref message, flags, receive: true);
                if (received < 0) return received;   // an error, or parked (NoResult)
            }
            if (socket.Type == SocketFile.Datagram && message.Name != 0)
            {
                error = SocketAddress.Write(message.Name, message.NameLengthAddress, socket.Family, address, port);
                if (error < 0) return error;
            }
            else message.ClearNameLength();
            message.SetReceiveFlags(truncated ? SocketFile.MessageTruncate : 0);
            return received;
        }

        // shutdown(fd, how)
        public static long shutdown(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.shutdown(call);
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            return socket.Shutdown((int)call.Arg1);
        }

        // getsockname(fd, addr, addrlen) and getpeername(fd, addr, addrlen)
        public static long getsockname(SyscallFrame call) => WriteName(call, peer: false);
        public static long getpeername(SyscallFrame call) => WriteName(call, peer: true);

        // The socket's own address, or its connected peer's (ENOTCONN without one), written to (addr, addrlen).
        private static long WriteName(SyscallFrame call, bool peer)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.getname(call, peer);
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            IpAddress address;
            ushort port;
            if (!peer) socket.LocalName(out address, out port);
            else if (!socket.PeerName(out address, out port)) return -Errno.ENOTCONN;
            if (call.Arg1 == 0) return -Errno.EFAULT;
            return SocketAddress.Write(call.Arg1, call.Arg2, socket.Family, address, port);
        }

        // setsockopt(fd, level, optname, optval, optlen)
        public static long setsockopt(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.setsockopt(call);
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            int level = (int)call.Arg1, name = (int)call.Arg2;
            ulong value = call.Arg3;
            int length = (int)call.Arg4;
            if (length < 0) return -Errno.EINVAL;
            if (length > 0 && !UserMemory.IsUserRange(value, (ulong)length)) return -Errno.EFAULT;
            if (level == LevelSocket && (name == SocketOptions.ReceiveTimeout || name == SocketOptions.SendTimeout))
            {
                if (length < 16) return -Errno.EINVAL;
                long seconds = *(long*)value, microseconds = *(long*)(value + 8);
                if (seconds < 0 || microseconds < 0 || microseconds >= 1_000_000) return -Errno.EDOM;
                ulong nanoseconds = (ulong)seconds * 1_000_000_000UL + (ulong)microseconds * 1000UL;
                if (name == SocketOptions.ReceiveTimeout) socket.ReceiveTimeout = nanoseconds; else socket.SendTimeout = nanoseconds;
                return 0;
            }
            if (level == LevelSocket && name == SocketOptions.Linger)
            {
                if (length < 8) return -Errno.EINVAL;
                socket.LingerOnOff = *(int*)value;
                socket.LingerSeconds = *(int*)(value + 4);
                return 0;
            }
            if (length < 4) return -Errno.EINVAL;
            int v = *(int*)value;
            return SocketOptions.Set(socket, level, name, v);
        }

        // getsockopt(fd, level, optname, optval, optlen)
        public static long getsockopt(SyscallFrame call)
        {
            if (UnixSocketSyscalls.Owns(call.Arg0)) return UnixSocketSyscalls.getsockopt(call);
            long error;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return error;
            int level = (int)call.Arg1, name = (int)call.Arg2;
            ulong value = call.Arg3, lengthPointer = call.Arg4;
            if (!UserMemory.IsWritableUserRange(lengthPointer, 4)) return -Errno.EFAULT;
            int length = *(int*)lengthPointer;
            if (length < 0) return -Errno.EINVAL;
            byte* result = stackalloc byte[16];
            int size = 4;
            if (level == LevelSocket && (name == SocketOptions.ReceiveTimeout || name == SocketOptions.SendTimeout))
            {
                ulong nanoseconds = name == SocketOptions.ReceiveTimeout ? socket.ReceiveTimeout : socket.SendTimeout;
                *(long*)result = (long)(nanoseconds / 1_000_000_000UL);
                *(long*)(result + 8) = (long)(nanoseconds % 1_000_000_000UL / 1000UL);
                size = 16;
            }
            else if (level == LevelSocket && name == SocketOptions.Linger)
            {
                *(int*)result = socket.LingerOnOff;
                *(int*)(result + 4) = socket.LingerSeconds;
                size = 8;
            }
            else
            {
                int v;
                long status = SocketOptions.Get(socket, level, name, out v);
                if (status < 0) return status;
                *(int*)result = v;
            }
            int copy = length < size ? length : size;
            if (copy > 0)
            {
                if (!UserMemory.IsWritableUserRange(value, (ulong)copy)) return -Errno.EFAULT;
                NetBytes.Copy(result, (byte*)value, copy);
            }
            *(int*)lengthPointer = copy;
            return 0;
        }

        // socketpair(domain, type, protocol, sv): AF_UNIX only, as on Linux.
        public static long socketpair(SyscallFrame call)
        {
            int domain = (int)call.Arg0;
            if (domain == FamilyUnix) return UnixSocketSyscalls.socketpair(call);
            return domain == FamilyInet || domain == FamilyInet6 ? -Errno.EOPNOTSUPP : -Errno.EAFNOSUPPORT;
        }

        private static SocketFile Get(ulong fd, out long error)
        {
            AppFileTree.EnsureBuilt();
            OpenFile file = Vfs.Descriptors.Get((long)(int)fd);
            if (file == null) { error = -Errno.EBADF; return null; }
            var socket = file as SocketFile;
            error = socket == null ? -Errno.ENOTSOCK : 0;
            return socket;
        }

        // A stream socket's sendmsg/recvmsg: the iovecs in turn; once something moved, the rest does not wait.
        // The bytes moved, or (nothing moved) -errno or NoResult.
        private static long MovePieces(SocketFile socket, ref MessageHeader message, int flags, bool receive)
        {
            long moved = 0;
            for (ulong i = 0; i < message.Count; i++)
            {
                int length = message.Length(i);
                if (length == 0) continue;
                int pieceFlags = moved > 0 ? flags | SocketFile.MessageDontWait : flags;
                IpAddress address;
                ushort port;
                bool truncated;
                long n = receive ? socket.Receive(message.Buffer(i), length, pieceFlags, out address, out port, out truncated)
                                 : socket.Send(message.Buffer(i), length, pieceFlags, false, default, 0);
                if (n < 0 || n == Threads.Scheduler.NoResult) return moved > 0 ? moved : n;
                moved += n;
                if (n < length) break;
            }
            return moved;
        }

        // The socket and the message header of sendmsg/recvmsg(fd, msg, flags), checked in Linux's order.
        private static SocketFile GetWithMessage(SyscallFrame call, bool writable, out MessageHeader message, out long error)
        {
            message = default;
            SocketFile socket = Get(call.Arg0, out error);
            if (socket == null) return null;
            error = MessageHeader.Read(call.Arg1, writable, out message);
            return error < 0 ? null : socket;
        }

        private static bool Start()
        {
            if (NetworkStack.IsStarted) return true;
            return NetworkStack.Start() == null;
        }

        private static int Length(ulong length) => length > 0x7FFF_F000UL ? 0x7FFF_F000 : (int)length;
    }
}
