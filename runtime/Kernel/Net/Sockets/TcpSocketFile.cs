using Kernel.LinuxAbi;
using Kernel.Memory;
using Kernel.Net.Tcp;

namespace Kernel.Net.Sockets
{
    // A SOCK_STREAM socket: unbound, bound (an address and port reserved here until listen or connect),
    // listening (a TcpListener) or connected (a TcpConnection, from connect or accept). Reads and writes go
    // through the connection's buffers; blocking calls park on its wait queue. connect() blocks until the
    // handshake ends (or returns EINPROGRESS when non-blocking, the result then in SO_ERROR).
    internal sealed unsafe class TcpSocketFile : SocketFile
    {
        private static TcpSocketFile s_bound;   // bound sockets that neither listen nor connect yet

        private IpAddress _localAddress;
        private ushort _localPort;
        private int _versions;   // IpVersions the bound port takes
        private bool _bound;
        private TcpSocketFile _nextBound;
        private TcpListener _listener;
        private TcpConnection _connection;
        private bool _connecting;
        private bool _readShutdown;
        private bool _errorReported;

        public TcpSocketFile(int family, int flags) : base(family, Stream, flags) { }

        private TcpSocketFile(TcpConnection connection, int family, int flags) : base(family, Stream, flags)
        {
            _connection = connection;
            connection.Owner = this;
        }

        public override int Protocol => Ipv4.ProtocolTcp;

        /// <summary>The options the connection acts on (TCP_NODELAY, SO_KEEPALIVE, TCP_KEEP*), from the socket to its connection.</summary>
        public void ApplyOptions()
        {
            if (_connection == null) return;
            _connection.NoDelay = NoDelay;
            _connection.KeepAlive = KeepAlive;
            _connection.KeepIdle = KeepIdle;
            _connection.KeepInterval = KeepInterval;
            _connection.KeepCount = KeepCount;
            if (NoDelay) _connection.Output();   // Linux: setting TCP_NODELAY pushes what Nagle was holding
        }
        public override bool IsListening => _listener != null;
        public override bool HasLocalPort => _bound || _listener != null || _connection != null;

        public override long Bind(IpAddress address, ushort port)
        {
            if (_bound || _listener != null || _connection != null) return -Errno.EINVAL;
            if (!address.IsAny && !Ip.IsOurs(address)) return -Errno.EADDRNOTAVAIL;
            int versions = VersionsFor(address);
            if (port == 0)
            {
                port = TcpProtocol.EphemeralPort(address, 0, 0);
                if (port == 0) return -Errno.EADDRINUSE;
            }
            else if (PortTaken(port, address, versions)) return -Errno.EADDRINUSE;
            _versions = versions;
            _localAddress = address;
            _localPort = port;
            _bound = true;
            _nextBound = s_bound;
            s_bound = this;
            return 0;
        }

        public override long Listen(int backlog)
        {
            if (_connection != null) return -Errno.EINVAL;
            if (_listener != null)
            {
                _listener.Backlog = backlog;   // Linux: listen() again on a listening socket changes only its backlog
                return 0;
            }
            if (!_bound)
            {
                long bound = Bind(default, 0);
                if (bound < 0) return bound;
            }
            Unreserve();
            long error;
            _listener = TcpProtocol.Listen(_localAddress, _localPort, backlog, out error, _versions);
            if (_listener == null)
            {
                Reserve();
                return error;
            }
            _listener.Owner = this;
            return 0;
        }

        public override long Accept(int flags, out SocketFile accepted)
        {
            accepted = null;
            if (_listener == null) return -Errno.EINVAL;
            TcpConnection c = _listener.Accept();
            if (c == null) return IsNonBlocking ? -Errno.EAGAIN : Wait(_listener.Waiters, ReceiveTimeout);
            var socket = new TcpSocketFile(c, Family, flags);
            // Linux copies the listener's options to the connections it accepts.
            socket.NoDelay = NoDelay;
            socket.KeepAlive = KeepAlive;
            socket.KeepIdle = KeepIdle;
            socket.KeepInterval = KeepInterval;
            socket.KeepCount = KeepCount;
            socket.ApplyOptions();
            accepted = socket;
            return 0;
        }

        public override long Connect(IpAddress address, ushort port, bool unspecified)
        {
            if (_listener != null) return -Errno.EINVAL;
            if (_connection != null)
            {
                if (!_connecting) return -Errno.EISCONN;
                // A connect in progress: the restarted blocking call, or the app asking again.
                TcpState state = _connection.State;
                if (state == TcpState.SynSent || state == TcpState.SynReceived)
                    return IsNonBlocking ? -Errno.EALREADY : Wait(_connection.Waiters, SendTimeout);
                _connecting = false;
                if (state == TcpState.Closed && _connection.Error != 0)
                {
                    long error = _connection.Error;
                    DropConnection();
                    return error;
                }
                return 0;
            }
            if (unspecified) return -Errno.EAFNOSUPPORT;
            if (port == 0 || address.IsAny) return -Errno.ECONNREFUSED;
            if (!Reachable(address)) return -Errno.ENETUNREACH;
            Unreserve();
            long failure;
            TcpConnection c = TcpProtocol.Connect(_bound ? _localAddress : default, _bound ? _localPort : (ushort)0, address, port, out failure);
            if (c == null)
            {
                if (_bound) Reserve();
                return failure;
            }
            _bound = false;
            _connection = c;
            c.Owner = this;
            ApplyOptions();
            _connecting = true;
            NetworkStack.Flush();
            if (_connection.State == TcpState.Established) { _connecting = false; return 0; }   // loopback is quick
            if (IsNonBlocking) return -Errno.EINPROGRESS;
            return Wait(_connection.Waiters, SendTimeout);
        }

        public override long Send(byte* data, int length, int flags, bool hasAddress, IpAddress address, ushort port)
        {
            if (_connection == null) return _listener != null ? -Errno.ENOTCONN : -Errno.EPIPE;
            if (_connecting && (_connection.State == TcpState.SynSent || _connection.State == TcpState.SynReceived))
                return NonBlocking(flags) ? -Errno.EAGAIN : Wait(_connection.Waiters, SendTimeout);
            if (length == 0) return 0;
            long n = _connection.Send(data, length);
            if (n == -Errno.EAGAIN && !NonBlocking(flags)) return Wait(_connection.Waiters, SendTimeout);
            NetworkStack.Flush();
            return n;
        }

        public override long Receive(byte* data, int length, int flags, out IpAddress address, out ushort port, out bool truncated)
        {
            truncated = false;
            address = _connection != null ? _connection.RemoteAddress : default;
            port = _connection != null ? _connection.RemotePort : (ushort)0;
            if (_connection == null) return -Errno.ENOTCONN;
            if (_readShutdown && _connection.ReceiveBuffer.Count == 0) return 0;
            if (length == 0) return 0;
            long n = _connection.Receive(data, length, (flags & MessagePeek) != 0);
            if (n == -Errno.EAGAIN && !NonBlocking(flags)) return Wait(_connection.Waiters, ReceiveTimeout);
            if (n > 0) NetworkStack.Flush();   // a window update to ourselves
            return n;
        }

        public override long Shutdown(int how)
        {
            if (how < ShutdownRead || how > ShutdownBoth) return -Errno.EINVAL;
            if (_connection == null) return -Errno.ENOTCONN;
            if (how != ShutdownWrite) _readShutdown = true;
            if (how != ShutdownRead) _connection.ShutdownSend();
            _connection.Notify();
            NetworkStack.Flush();
            return 0;
        }

        public override void LocalName(out IpAddress address, out ushort port)
        {
            if (_connection != null) { address = _connection.LocalAddress; port = _connection.LocalPort; }
            else if (_listener != null) { address = _listener.LocalAddress; port = _listener.LocalPort; }
            else { address = _localAddress; port = _localPort; }
        }

        public override bool PeerName(out IpAddress address, out ushort port)
        {
            address = default;
            port = 0;
            if (_connection == null || _connection.State == TcpState.SynSent || _connection.State == TcpState.Closed && _connection.Error != 0) return false;
            address = _connection.RemoteAddress;
            port = _connection.RemotePort;
            return true;
        }

        public override int TakePendingError()
        {
            if (_connection == null || _connection.Error == 0 || _errorReported || _connection.State != TcpState.Closed) return 0;
            _errorReported = true;
            _connecting = false;
            return (int)-_connection.Error;
        }

        public override uint Poll()
        {
            if (_listener != null) return _listener.Poll();
            if (_connection != null)
            {
                uint bits = _connection.Poll();
                if (_readShutdown) bits |= PollBits.Readable | PollBits.ReadHangUp;
                return bits;
            }
            return PollBits.Writable | PollBits.HangUp;   // Linux: an unconnected stream socket
        }

        public override long BytesReadable() => _connection != null ? _connection.ReceiveBuffer.Count : 0;

        protected override void Close()
        {
            Unreserve();
            if (_listener != null)
            {
                _listener.Close();
                KernelMemory.Free(_listener.Waiters);
                KernelMemory.Free(_listener);
                _listener = null;
            }
            if (_connection != null)
            {
                if (LingerOnOff != 0 && LingerSeconds == 0) _connection.Abort(0);   // SO_LINGER 0: reset
                _connection.Close();
                _connection = null;
            }
            NetworkStack.Flush();
        }

        private void DropConnection()
        {
            TcpConnection c = _connection;
            _connection = null;
            c.Close();
        }

        // Bound-but-idle ports conflict like Linux's: a listener or another bound socket on the port always,
        // live connections unless SO_REUSEADDR.
        private bool PortTaken(ushort port, IpAddress address, int versions)
        {
            for (TcpSocketFile s = s_bound; s != null; s = s._nextBound)
                if (s._localPort == port && IpVersions.Meet(s._versions, versions)
                    && (s._localAddress.IsAny || address.IsAny || s._localAddress == address)) return true;
            return ReuseAddress ? TcpProtocol.ListenerOn(port, versions) : TcpProtocol.PortInUse(port, versions);
        }

        private void Reserve()
        {
            _nextBound = s_bound;
            s_bound = this;
        }

        private void Unreserve()
        {
            if (s_bound == this) s_bound = _nextBound;
            else
                for (TcpSocketFile s = s_bound; s != null; s = s._nextBound)
                    if (s._nextBound == this) { s._nextBound = _nextBound; break; }
            _nextBound = null;
        }
    }
}
