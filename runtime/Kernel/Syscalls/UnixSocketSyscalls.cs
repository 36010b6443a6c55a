using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Net.Sockets;
using Kernel.Platform;
using Kernel.Signals;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // The socket calls on AF_UNIX sockets (Net/Sockets/UnixSocketFile), reached from SocketSyscalls by family
    // (socket, socketpair) or by the descriptor's kind: the app's memory is checked and copied here, sockaddr_un
    // decoded and encoded with Linux's lengths, SCM_RIGHTS and SCM_CREDENTIALS built and parsed, SIGPIPE raised
    // for EPIPE without MSG_NOSIGNAL, and the SOL_SOCKET options Unix sockets have answered.
    internal static unsafe class UnixSocketSyscalls
    {
        private const int TypeMask = 0xF, SocketNonBlocking = 0x800, SocketCloseOnExec = 0x80000, TypeRaw = 3;
        private const int ProtocolUnix = 1, LevelSocket = 1;
        private const int RightsType = 1, CredentialsType = 2;   // SCM_RIGHTS, SCM_CREDENTIALS
        private const int MaximumRights = 253;                   // SCM_MAX_FD
        private const int ControlHeader = 16, CredentialsSize = 12;
        private const int MessageNoSignal = 0x4000, MessageControlTruncated = 0x8, MessageCloseOnExec = 0x4000_0000;
        private const int SockaddrStorage = 128;

        /// <summary>Is descriptor <paramref name="fd"/> a Unix socket? (SocketSyscalls hands those calls over.)</summary>
        public static bool Owns(ulong fd)
        {
            AppFileTree.EnsureBuilt();
            return Vfs.Descriptors.Get((long)(int)fd) is UnixSocketFile;
        }

        private static UnixSocketFile Get(ulong fd) => (UnixSocketFile)Vfs.Descriptors.Get((long)(int)fd);

        // socket(AF_UNIX, type, protocol)
        public static long Create(int type, int protocol)
        {
            int kind;
            long error = CheckType(type, protocol, out kind);
            if (error < 0) return error;
            AppFileTree.EnsureBuilt();
            var socket = new UnixSocketFile(kind, type, ProcessSyscalls.ProcessId);
            return Vfs.Descriptors.InstallNew(socket, (type & SocketCloseOnExec) != 0);
        }

        // Linux's order: the protocol, the flags, the type (SOCK_RAW is taken as SOCK_DGRAM).
        private static long CheckType(int type, int protocol, out int kind)
        {
            kind = type & TypeMask;
            if (protocol != 0 && protocol != ProtocolUnix) return -Errno.EPROTONOSUPPORT;
            if ((type & ~(TypeMask | SocketNonBlocking | SocketCloseOnExec)) != 0) return -Errno.EINVAL;
            if (kind == TypeRaw) kind = UnixSocketFile.Datagram;
            if (kind != UnixSocketFile.Stream && kind != UnixSocketFile.Datagram && kind != UnixSocketFile.SequencedPacket) return -Errno.ESOCKTNOSUPPORT;
            return 0;
        }

        // socketpair(AF_UNIX, type, protocol, sv)
        public static long socketpair(SyscallFrame call)
        {
            int type = (int)call.Arg1, kind;
            long error = CheckType(type, (int)call.Arg2, out kind);
            if (error < 0) return error;
            if (!UserMemory.IsWritableUserRange(call.Arg3, 8)) return -Errno.EFAULT;
            AppFileTree.EnsureBuilt();
            UnixSocketFile first, second;
            UnixSocketFile.Pair(kind, type, ProcessSyscalls.ProcessId, out first, out second);
            bool closeOnExec = (type & SocketCloseOnExec) != 0;
            int one, two;
            error = Vfs.Descriptors.InstallNewPair(first, second, closeOnExec, out one, out two);
            if (error < 0) return error;
            ((int*)call.Arg3)[0] = one;
            ((int*)call.Arg3)[1] = two;
            return 0;
        }

        // bind(fd, addr, addrlen)
        public static long bind(SyscallFrame call)
        {
            UnixAddress address;
            bool unspecified;
            long error = ReadAddress(call.Arg1, call.Arg2, out address, out unspecified);
            if (error < 0) return error;
            if (unspecified) return -Errno.EINVAL;
            return Get(call.Arg0).Bind(ref address);
        }

        // listen(fd, backlog)
        public static long listen(SyscallFrame call)
        {
            uint backlog = (uint)call.Arg1;
            const uint somaxconn = 4096;
            return Get(call.Arg0).Listen(backlog > somaxconn ? (int)somaxconn : (int)backlog);
        }

        // accept4(fd, addr, addrlen, flags): the new socket, the client's name in addr.
        public static long accept(SyscallFrame call, int flags)
        {
            if ((flags & ~(SocketNonBlocking | SocketCloseOnExec)) != 0) return -Errno.EINVAL;
            if (call.Arg1 != 0 && !UserMemory.IsWritableUserRange(call.Arg2, 4)) return -Errno.EFAULT;
            UnixSocketFile accepted;
            long result = Get(call.Arg0).Accept(flags, out accepted);
            if (accepted == null) return result;
            long fd = Vfs.Descriptors.Install(accepted, (flags & SocketCloseOnExec) != 0);
            if (fd < 0)
            {
                accepted.Release();
                return fd;
            }
            UnixAddress peer;
            accepted.PeerAddress(out peer);
            long error = WriteAddress(call.Arg1, call.Arg2, ref peer);
            return error < 0 ? error : fd;
        }

        // connect(fd, addr, addrlen)
        public static long connect(SyscallFrame call)
        {
            UnixSocketFile socket = Get(call.Arg0);
            UnixAddress address;
            bool unspecified;
            long error = ReadAddress(call.Arg1, call.Arg2, out address, out unspecified);
            if (error < 0) return error;
            if (unspecified && socket.Type != UnixSocketFile.Datagram) return -Errno.EINVAL;
            return socket.Connect(ref address);
        }

        // sendto(fd, buf, len, flags, dest_addr, addrlen)
        public static long sendto(SyscallFrame call)
        {
            UnixSocketFile socket = Get(call.Arg0);
            int length = call.Arg2 > 0x7FFF_F000UL ? 0x7FFF_F000 : (int)call.Arg2;
            if (!UserMemory.IsUserRange(call.Arg1, (ulong)length)) return -Errno.EFAULT;
            int flags = (int)call.Arg3;
            UnixAddress target = UnixAddress.Unnamed;
            bool hasTarget = call.Arg4 != 0;
            if (hasTarget)
            {
                bool unspecified;
                long error = ReadAddress(call.Arg4, call.Arg5, out target, out unspecified);
                if (error < 0) return error;
                if (unspecified) return -Errno.EINVAL;
            }
            OpenFile[] rights = null;
            long sent = socket.Send((byte*)call.Arg1, length, flags, hasTarget, ref target, ref rights);
            return BrokenPipe(sent, flags);
        }

        // recvfrom(fd, buf, len, flags, src_addr, addrlen)
        public static long recvfrom(SyscallFrame call)
        {
            UnixSocketFile socket = Get(call.Arg0);
            int length = call.Arg2 > 0x7FFF_F000UL ? 0x7FFF_F000 : (int)call.Arg2;
            if (!UserMemory.IsWritableUserRange(call.Arg1, (ulong)length)) return -Errno.EFAULT;
            if (call.Arg4 != 0 && !UserMemory.IsWritableUserRange(call.Arg5, 4)) return -Errno.EFAULT;
            var received = new UnixReceived();
            long n = socket.Receive((byte*)call.Arg1, length, (int)call.Arg3, ref received);
            received.DropRights();
            if (n < 0) return n;
            if (call.Arg4 != 0)
            {
                long error = WriteSource(call.Arg4, call.Arg5, ref received.Source);
                if (error < 0) return error;
            }
            return n;
        }

        // sendmsg(fd, msg, flags): the iovecs gathered into one message, with SCM_RIGHTS / SCM_CREDENTIALS.
        public static long sendmsg(SyscallFrame call)
        {
            UnixSocketFile socket = Get(call.Arg0);
            MessageHeader message;
            long error = MessageHeader.Read(call.Arg1, false, out message);
            if (error < 0) return error;
            int flags = (int)call.Arg2;
            UnixAddress target = UnixAddress.Unnamed;
            bool hasTarget = message.Name != 0 && message.NameLength != 0 && socket.Type != UnixSocketFile.SequencedPacket;
            if (hasTarget)
            {
                bool unspecified;
                error = ReadAddress(message.Name, message.NameLength, out target, out unspecified);
                if (error < 0) return error;
                if (unspecified) return -Errno.EINVAL;
            }
            long total = message.CheckVectors(writable: false);
            if (total < 0) return total;
            OpenFile[] rights;
            error = ReadControl(ref message, out rights);
            if (error < 0) return error;

            // A datagram is all or nothing; a stream takes at most its send buffer per call.
            if (socket.Type != UnixSocketFile.Stream && total > socket.SendBufferSize - UnixSocketFile.DatagramOverhead)
            {
                DropRights(rights);
                return -Errno.EMSGSIZE;
            }
            int length = (int)(total < socket.SendBufferSize ? total : socket.SendBufferSize);
            byte* gathered = length > 0 ? FileMemory.Allocate((ulong)length) : null;
            if (length > 0 && gathered == null)
            {
                DropRights(rights);
                return -Errno.ENOMEM;
            }
            GatherPrefix(ref message, gathered, length);
            long sent = socket.Send(gathered, length, flags, hasTarget, ref target, ref rights);
            if (gathered != null) FileMemory.Free(gathered);
            DropRights(rights);
            return BrokenPipe(sent, flags);
        }

        // recvmsg(fd, msg, flags): the data scattered over the iovecs, msg_name, SCM_CREDENTIALS (SO_PASSCRED) and
        // SCM_RIGHTS in msg_control, MSG_TRUNC / MSG_CTRUNC in msg_flags.
        public static long recvmsg(SyscallFrame call)
        {
            UnixSocketFile socket = Get(call.Arg0);
            MessageHeader message;
            long error = MessageHeader.Read(call.Arg1, true, out message);
            if (error < 0) return error;
            int flags = (int)call.Arg2;
            long capacity = message.CheckVectors(writable: true);
            if (capacity < 0) return capacity;
            if (message.ControlLength > 0 && !UserMemory.IsWritableUserRange(message.Control, message.ControlLength)) return -Errno.EFAULT;

            long readable = socket.BytesReadable();
            if (readable < 1) readable = 1;
            int want = (int)(capacity < readable ? capacity : readable);
            byte* buffer = FileMemory.Allocate((ulong)(want > 0 ? want : 1));
            if (buffer == null) return -Errno.ENOMEM;
            var received = new UnixReceived();
            long n = socket.Receive(buffer, want, flags, ref received);
            if (n >= 0) message.Scatter(buffer, n < want ? n : want);
            FileMemory.Free(buffer);
            if (n < 0)
            {
                received.DropRights();
                return n;
            }
            if (message.Name != 0)
            {
                error = WriteSource(message.Name, message.NameLengthAddress, ref received.Source);
                if (error < 0)
                {
                    received.DropRights();
                    return error;
                }
            }
            else message.ClearNameLength();
            // Linux reports MSG_CMSG_CLOEXEC back in msg_flags when the call asked for it.
            int resultFlags = (received.Truncated ? UnixSocketFile.MessageTruncate : 0) | (flags & MessageCloseOnExec);
            ulong used = WriteControl(socket, ref message, ref received, (flags & MessageCloseOnExec) != 0, ref resultFlags);
            message.SetReceiveFlags(resultFlags, used);
            return n;
        }

        // shutdown(fd, how)
        public static long shutdown(SyscallFrame call) => Get(call.Arg0).Shutdown((int)call.Arg1);

        // getsockname / getpeername
        public static long getname(SyscallFrame call, bool peer)
        {
            UnixSocketFile socket = Get(call.Arg0);
            UnixAddress address = socket.LocalAddress;
            if (peer && !socket.PeerAddress(out address)) return -Errno.ENOTCONN;
            if (call.Arg1 == 0) return -Errno.EFAULT;
            return WriteAddress(call.Arg1, call.Arg2, ref address);
        }

        // setsockopt(fd, SOL_SOCKET, name, value, length): what Unix sockets have; other levels are EOPNOTSUPP.
        public static long setsockopt(SyscallFrame call)
        {
            UnixSocketFile socket = Get(call.Arg0);
            int level = (int)call.Arg1, name = (int)call.Arg2, length = (int)call.Arg4;
            ulong value = call.Arg3;
            if (level != LevelSocket) return -Errno.EOPNOTSUPP;
            if (length < 0) return -Errno.EINVAL;
            if (length > 0 && !UserMemory.IsUserRange(value, (ulong)length)) return -Errno.EFAULT;
            if (name == SocketOptions.ReceiveTimeout || name == SocketOptions.SendTimeout)
            {
                if (length < 16) return -Errno.EINVAL;
                long seconds = *(long*)value, microseconds = *(long*)(value + 8);
                if (microseconds < 0 || microseconds >= 1_000_000) return -Errno.EDOM;
                ulong nanoseconds = seconds < 0 ? 0 : (ulong)seconds * 1_000_000_000UL + (ulong)microseconds * 1000UL;
                if (name == SocketOptions.ReceiveTimeout) socket.ReceiveTimeout = nanoseconds; else socket.SendTimeout = nanoseconds;
                return 0;
            }
            if (name == SocketOptions.Linger) return length < 8 ? -Errno.EINVAL : 0;
            if (length < 4) return -Errno.EINVAL;
            int v = *(int*)value;
            switch (name)
            {
                // Linux doubles the value for bookkeeping and reports the doubled value.
                case SocketOptions.SendBuffer: socket.SendBufferSize = BufferSize(v, 4608); return 0;
                case SocketOptions.ReceiveBuffer: socket.ReceiveBufferSize = BufferSize(v, 2304); return 0;
                case PassCredentialsOption: socket.PassCredentials = v != 0; return 0;
                case SocketOptions.ReuseAddress:
                case SocketOptions.ReusePort:
                case SocketOptions.KeepAlive:
                case SocketOptions.Broadcast:
                case SocketOptions.DontRoute:
                case SocketOptions.OutOfBandInline:
                case SocketOptions.Priority:
                case SocketOptions.ReceiveLowWater:
                    return 0;
                default: return -Errno.ENOPROTOOPT;
            }
        }

        private const int PassCredentialsOption = 16, PeerCredentialsOption = 17;

        private static int BufferSize(int value, int minimum)
        {
            long doubled = (long)(value < 0 ? 0x3FFF_FFFF : value > 0x3FFF_FFFF ? 0x3FFF_FFFF : value) * 2;
            return doubled < minimum ? minimum : (int)doubled;
        }

        // getsockopt(fd, SOL_SOCKET, name, value, length)
        public static long getsockopt(SyscallFrame call)
        {
            UnixSocketFile socket = Get(call.Arg0);
            int level = (int)call.Arg1, name = (int)call.Arg2;
            ulong value = call.Arg3, lengthPointer = call.Arg4;
            if (level != LevelSocket) return -Errno.EOPNOTSUPP;
            if (!UserMemory.IsWritableUserRange(lengthPointer, 4)) return -Errno.EFAULT;
            int length = *(int*)lengthPointer;
            if (length < 0) return -Errno.EINVAL;
            byte* result = stackalloc byte[16];
            int size = 4;
            int* ints = (int*)result;
            switch (name)
            {
                case SocketOptions.ReceiveTimeout:
                case SocketOptions.SendTimeout:
                    ulong nanoseconds = name == SocketOptions.ReceiveTimeout ? socket.ReceiveTimeout : socket.SendTimeout;
                    *(long*)result = (long)(nanoseconds / 1_000_000_000UL);
                    *(long*)(result + 8) = (long)(nanoseconds % 1_000_000_000UL / 1000UL);
                    size = 16;
                    break;
                case PeerCredentialsOption:
                    socket.PeerCredentials(out ints[0], out ints[1], out ints[2]);
                    size = CredentialsSize;
                    break;
                case SocketOptions.Linger: ints[0] = 0; ints[1] = 0; size = 8; break;
                case SocketOptions.Type: ints[0] = socket.Type; break;
                case SocketOptions.Error: ints[0] = socket.TakePendingError(); break;
                case SocketOptions.SendBuffer: ints[0] = socket.SendBufferSize; break;
                case SocketOptions.ReceiveBuffer: ints[0] = socket.ReceiveBufferSize; break;
                case PassCredentialsOption: ints[0] = socket.PassCredentials ? 1 : 0; break;
                case SocketOptions.AcceptConnections: ints[0] = socket.IsListening ? 1 : 0; break;
                case SocketOptions.Domain: ints[0] = UnixAddress.FamilyUnix; break;
                case SocketOptions.Protocol: ints[0] = 0; break;
                case SocketOptions.ReceiveLowWater:
                case SocketOptions.SendLowWater: ints[0] = 1; break;
                case SocketOptions.ReuseAddress:
                case SocketOptions.ReusePort:
                case SocketOptions.KeepAlive:
                case SocketOptions.Broadcast:
                case SocketOptions.DontRoute:
                case SocketOptions.OutOfBandInline:
                case SocketOptions.Priority: ints[0] = 0; break;
                default: return -Errno.ENOPROTOOPT;
            }
            int copy = length < size ? length : size;
            if (copy > 0)
            {
                if (!UserMemory.IsWritableUserRange(value, (ulong)copy)) return -Errno.EFAULT;
                System.Buffer.MemoryCopy(result, (byte*)value, copy, copy);
            }
            *(int*)lengthPointer = copy;
            return 0;
        }

        // A sockaddr_un from the app: copied, then decoded. 0 or -errno.
        private static long ReadAddress(ulong address, ulong length, out UnixAddress result, out bool unspecified)
        {
            result = UnixAddress.Unnamed;
            unspecified = false;
            int n = (int)length;
            if (n < 0 || n > SockaddrStorage) return -Errno.EINVAL;
            if (!UserMemory.IsUserRange(address, (ulong)n)) return -Errno.EFAULT;
            byte* copy = stackalloc byte[SockaddrStorage];
            System.Buffer.MemoryCopy((byte*)address, copy, SockaddrStorage, n);
            return UnixAddress.Decode(copy, n, out result, out unspecified);
        }

        // A name to (address, *lengthPointer): truncated to the app's length, the full length written back.
        private static long WriteAddress(ulong address, ulong lengthPointer, ref UnixAddress name)
        {
            if (address == 0) return 0;
            if (!UserMemory.IsWritableUserRange(lengthPointer, 4)) return -Errno.EFAULT;
            int room = *(int*)lengthPointer;
            if (room < 0) return -Errno.EINVAL;
            byte* encoded = stackalloc byte[UnixAddress.MaximumLength + 2];
            int full = name.Encode(encoded);
            int copy = room < full ? room : full;
            if (copy > 0)
            {
                if (!UserMemory.IsWritableUserRange(address, (ulong)copy)) return -Errno.EFAULT;
                System.Buffer.MemoryCopy(encoded, (byte*)address, copy, copy);
            }
            *(int*)lengthPointer = full;
            return 0;
        }

        // A received message's source: Linux reports an unnamed sender with length 0 (nothing written).
        private static long WriteSource(ulong address, ulong lengthPointer, ref UnixAddress source)
        {
            if (!source.IsUnnamed) return WriteAddress(address, lengthPointer, ref source);
            if (!UserMemory.IsWritableUserRange(lengthPointer, 4)) return -Errno.EFAULT;
            if (*(int*)lengthPointer < 0) return -Errno.EINVAL;
            *(int*)lengthPointer = 0;
            return 0;
        }

        // sendmsg's control messages: SCM_RIGHTS (a reference to each description, at most 253 in all) and
        // SCM_CREDENTIALS (checked for size; the kernel's own credentials are what the receiver sees).
        private static long ReadControl(ref MessageHeader message, out OpenFile[] rights)
        {
            rights = null;
            ulong length = message.ControlLength;
            if (length == 0) return 0;
            if (length > int.MaxValue) return -Errno.ENOBUFS;
            if (!UserMemory.IsUserRange(message.Control, length)) return -Errno.EFAULT;
            byte* control = (byte*)message.Control;
            int count = 0;
            for (ulong at = 0; at + ControlHeader <= length;)
            {
                ulong itemLength = *(ulong*)(control + at);
                if (itemLength < ControlHeader || itemLength > length - at) return -Errno.EINVAL;
                int level = *(int*)(control + at + 8), type = *(int*)(control + at + 12);
                if (level == LevelSocket)
                {
                    if (type == RightsType) count += (int)((itemLength - ControlHeader) / 4);
                    else if (type == CredentialsType) { if (itemLength != ControlHeader + CredentialsSize) return -Errno.EINVAL; }
                    else return -Errno.EINVAL;
                    if (count > MaximumRights) return -Errno.EINVAL;
                }
                at += (itemLength + 7) & ~7UL;
            }
            if (count == 0) return 0;
            rights = new OpenFile[count];
            int taken = 0;
            for (ulong at = 0; at + ControlHeader <= length;)
            {
                ulong itemLength = *(ulong*)(control + at);
                if (*(int*)(control + at + 8) == LevelSocket && *(int*)(control + at + 12) == RightsType)
                {
                    int* fds = (int*)(control + at + ControlHeader);
                    for (int i = 0; i < (int)((itemLength - ControlHeader) / 4); i++)
                    {
                        OpenFile file = Vfs.Descriptors.Get(fds[i]);
                        if (file == null)
                        {
                            DropRights(rights);
                            rights = null;
                            return -Errno.EBADF;
                        }
                        file.Retain();
                        rights[taken++] = file;
                    }
                }
                at += (itemLength + 7) & ~7UL;
            }
            return 0;
        }

        // recvmsg's control messages as Linux's put_cmsg and scm_detach_fds write them: credentials first (with
        // SO_PASSCRED), then as many descriptors as fit; what does not fit sets MSG_CTRUNC (and those
        // descriptions are dropped). The bytes of msg_control used.
        private static ulong WriteControl(UnixSocketFile socket, ref MessageHeader message, ref UnixReceived received, bool closeOnExec, ref int flags)
        {
            byte* control = (byte*)message.Control;
            ulong room = message.ControlLength, used = 0;
            if (socket.PassCredentials)
            {
                if (room < ControlHeader) flags |= MessageControlTruncated;
                else
                {
                    byte* item = stackalloc byte[ControlHeader + CredentialsSize + 4];
                    *(ulong*)item = ControlHeader + CredentialsSize;
                    *(int*)(item + 8) = LevelSocket;
                    *(int*)(item + 12) = CredentialsType;
                    *(int*)(item + 16) = received.ProcessId;
                    *(int*)(item + 20) = 0;
                    *(int*)(item + 24) = 0;
                    ulong n = ControlHeader + CredentialsSize;
                    if (room < n) { flags |= MessageControlTruncated; n = room; }
                    System.Buffer.MemoryCopy(item, control, (long)n, (long)n);
                    ulong space = (ControlHeader + CredentialsSize + 7) & ~7UL;
                    if (space > room) space = room;
                    control += space;
                    room -= space;
                    used += space;
                }
            }
            if (received.Rights == null) return used;
            int fit = room > ControlHeader ? (int)((room - ControlHeader) / 4) : 0;
            int installed = 0;
            for (; installed < received.Rights.Length && installed < fit; installed++)
            {
                long fd = Vfs.Descriptors.Install(received.Rights[installed], closeOnExec);
                if (fd < 0) break;
                received.Rights[installed] = null;   // the descriptor holds the reference now
                ((int*)(control + ControlHeader))[installed] = (int)fd;
            }
            if (installed > 0)
            {
                *(ulong*)control = (ulong)(ControlHeader + installed * 4);
                *(int*)(control + 8) = LevelSocket;
                *(int*)(control + 12) = RightsType;
                ulong space = (ulong)((ControlHeader + installed * 4 + 7) & ~7);
                used += space < room ? space : room;
            }
            if (installed < received.Rights.Length) flags |= MessageControlTruncated;
            received.DropRights();
            return used;
        }

        private static void DropRights(OpenFile[] rights)
        {
            if (rights == null) return;
            for (int i = 0; i < rights.Length; i++) if (rights[i] != null) rights[i].Release();
            FileMemory.Release(rights);
        }

        // The first `length` bytes the iovecs hold, in order.
        private static void GatherPrefix(ref MessageHeader message, byte* into, int length)
        {
            int offset = 0;
            for (ulong i = 0; i < message.Count && offset < length; i++)
            {
                int n = message.Length(i) < length - offset ? message.Length(i) : length - offset;
                System.Buffer.MemoryCopy(message.Buffer(i), into + offset, n, n);
                offset += n;
            }
        }

        // Linux raises SIGPIPE with a send's EPIPE unless MSG_NOSIGNAL.
        private static long BrokenPipe(long result, int flags)
        {
            if (result != -Errno.EPIPE || (flags & MessageNoSignal) != 0 || Scheduler.Current == null) return result;
            SignalInfo info = default;
            info.Number = SignalNumbers.SIGPIPE;
            info.Field0 = (ulong)ProcessSyscalls.ProcessId;
            SignalState.SendToThread(Scheduler.Current, SignalNumbers.SIGPIPE, &info);
            return result;
        }
    }
}
