using Kernel.LinuxAbi;
using Kernel.Memory;

namespace Kernel.Net.Sockets
{
    // A SOCK_DGRAM socket over a UdpSocket endpoint: datagrams keep their boundaries, a read takes one
    // (the rest of a longer one is discarded, MSG_TRUNC), connect() only fixes the default peer and filters
    // what arrives. Sending never waits (the datagram goes to the card's queue or is dropped, like a full
    // Linux socket buffer with a slow link).
    internal sealed unsafe class UdpSocketFile : SocketFile
    {
        private readonly UdpSocket _socket = new UdpSocket();

        public UdpSocketFile(int family, int flags) : base(family, Datagram, flags) { _socket.Owner = this; }

        public override int Protocol => Ipv4.ProtocolUdp;

        public override long Bind(IpAddress address, ushort port)
        {
            if (!address.IsAny && !Ip.IsOurs(address) && address != (IpAddress)0xFFFF_FFFFu) return -Errno.EADDRNOTAVAIL;
            _socket.Versions = VersionsFor(address);
            return Udp.Bind(_socket, address, port, ReuseAddress || ReusePort);
        }

        public override bool HasLocalPort => _socket.Bound;

        public override long Listen(int backlog) => -Errno.EOPNOTSUPP;

        public override long Accept(int flags, out SocketFile accepted)
        {
            accepted = null;
            return -Errno.EOPNOTSUPP;
        }

        public override long Connect(IpAddress address, ushort port, bool unspecified)
        {
            if (unspecified)
            {
                _socket.RemoteAddress = default;
                _socket.RemotePort = 0;
                return 0;
            }
            if (!Reachable(address)) return -Errno.ENETUNREACH;
            if (!_socket.Bound)
            {
                _socket.Versions = VersionsFor(default);
                long bound = Udp.Bind(_socket, default, 0, false);
                if (bound < 0) return bound;
            }
            _socket.RemoteAddress = address;
            _socket.RemotePort = port;
            return 0;
        }

        public override long Send(byte* data, int length, int flags, bool hasAddress, IpAddress address, ushort port)
        {
            if (!hasAddress)
            {
                if (_socket.RemoteAddress.IsAny) return -Errno.EDESTADDRREQ;
                address = _socket.RemoteAddress;
                port = _socket.RemotePort;
            }
            if (port == 0) return -Errno.EINVAL;
            if (address == (IpAddress)0xFFFF_FFFFu && !Broadcast) return -Errno.EACCES;
            if (!Reachable(address)) return -Errno.ENETUNREACH;
            if (!_socket.Bound) _socket.Versions = VersionsFor(default);   // Udp.Send binds it
            long sent = Udp.Send(_socket, address, port, data, length);
            NetworkStack.Flush();
            return sent;
        }

        public override long Receive(byte* data, int length, int flags, out IpAddress address, out ushort port, out bool truncated)
        {
            address = default;
            port = 0;
            truncated = false;
            Packet datagram = _socket.PeekDatagram;
            if (datagram == null) return NonBlocking(flags) ? -Errno.EAGAIN : Wait(_socket.Waiters, ReceiveTimeout);
            int n = length < datagram.DataLength ? length : datagram.DataLength;
            if (n > 0) NetBytes.Copy(datagram.Buffer + datagram.DataOffset, data, n);
            address = datagram.PeerAddress;
            port = datagram.PeerPort;
            truncated = n < datagram.DataLength;
            int full = datagram.DataLength;
            if ((flags & MessagePeek) == 0) PacketPool.Free(_socket.Dequeue());
            return (flags & MessageTruncate) != 0 ? full : n;
        }

        public override long Shutdown(int how)
        {
            if (how < ShutdownRead || how > ShutdownBoth) return -Errno.EINVAL;
            return _socket.RemoteAddress.IsAny ? -Errno.ENOTCONN : 0;
        }

        public override void LocalName(out IpAddress address, out ushort port)
        {
            address = _socket.LocalAddress;
            port = _socket.LocalPort;
        }

        public override bool PeerName(out IpAddress address, out ushort port)
        {
            address = _socket.RemoteAddress;
            port = _socket.RemotePort;
            return !address.IsAny;
        }

        public override uint Poll() => (_socket.QueuedDatagrams > 0 ? PollBits.Readable : 0) | PollBits.Writable;

        // FIONREAD on a datagram socket: the size of the next datagram.
        public override long BytesReadable() => _socket.PeekDatagram != null ? _socket.PeekDatagram.DataLength : 0;

        protected override void Close()
        {
            _socket.Close();
            KernelMemory.Free(_socket.Waiters);
            KernelMemory.Free(_socket);
        }
    }
}
