using Kernel.LinuxAbi;
using Kernel.Net.Tcp;

namespace Kernel.Net.Sockets
{
    // setsockopt/getsockopt for int-valued options (the timeval and linger ones are in SocketSyscalls):
    // SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP. What .NET and ASP.NET's Kestrel set (SO_REUSEADDR, TCP_NODELAY,
    // SO_KEEPALIVE and the TCP_KEEP* trio, buffer sizes) is accepted and reported back -- and TCP_NODELAY and
    // keep-alive act on the connection (TcpSocketFile.ApplyOptions); SO_TYPE, SO_ERROR,
    // SO_ACCEPTCONN, SO_DOMAIN, SO_PROTOCOL and TCP_MAXSEG are answered from the socket. IPPROTO_IPV6 is an
    // AF_INET6 socket's only: IPV6_V6ONLY (fixed once the socket has a port, as on Linux), hop limit and
    // traffic class; anything unknown fails with ENOPROTOOPT.
    internal static class SocketOptions
    {
        public const int LevelSocket = 1, LevelIp = 0, LevelTcp = 6, LevelIpv6 = 41;

        // SOL_SOCKET
        public const int ReuseAddress = 2, Type = 3, Error = 4, DontRoute = 5, Broadcast = 6, SendBuffer = 7, ReceiveBuffer = 8;
        public const int KeepAlive = 9, OutOfBandInline = 10, Priority = 12, Linger = 13, ReusePort = 15;
        public const int ReceiveLowWater = 18, SendLowWater = 19, ReceiveTimeout = 20, SendTimeout = 21, AcceptConnections = 30;
        public const int Protocol = 38, Domain = 39;
        // IPPROTO_TCP
        public const int TcpNoDelay = 1, TcpMaximumSegment = 2, TcpKeepIdle = 4, TcpKeepInterval = 5, TcpKeepCount = 6;
        public const int TcpQuickAck = 12, TcpUserTimeout = 18, TcpFastOpen = 23;
        // IPPROTO_IP
        public const int IpTypeOfService = 1, IpTimeToLive = 2;
        // IPPROTO_IPV6
        public const int Ipv6UnicastHops = 16, Ipv6V6Only = 26, Ipv6TrafficClass = 67;

        public static long Set(SocketFile socket, int level, int name, int value)
        {
            if (level == LevelSocket)
            {
                switch (name)
                {
                    case ReuseAddress: socket.ReuseAddress = value != 0; return 0;
                    case ReusePort: socket.ReusePort = value != 0; return 0;
                    case KeepAlive: socket.KeepAlive = value != 0; return Applied(socket);
                    case Broadcast: socket.Broadcast = value != 0; return 0;
                    // Linux doubles the value for bookkeeping and reports the doubled value.
                    case SendBuffer: socket.SendBufferSize = Clamp(value) * 2; return 0;
                    case ReceiveBuffer: socket.ReceiveBufferSize = Clamp(value) * 2; return 0;
                    case DontRoute:
                    case OutOfBandInline:
                    case Priority:
                    case ReceiveLowWater:
                        return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            if (level == LevelTcp)
            {
                if (socket.Type != SocketFile.Stream) return -Errno.ENOPROTOOPT;
                switch (name)
                {
                    // Linux's limits: MAX_TCP_KEEPIDLE and MAX_TCP_KEEPINTVL 32767 s, MAX_TCP_KEEPCNT 127.
                    case TcpNoDelay: socket.NoDelay = value != 0; return Applied(socket);
                    case TcpKeepIdle: if (value < 1 || value > 32767) return -Errno.EINVAL; socket.KeepIdle = value; return Applied(socket);
                    case TcpKeepInterval: if (value < 1 || value > 32767) return -Errno.EINVAL; socket.KeepInterval = value; return Applied(socket);
                    case TcpKeepCount: if (value < 1 || value > 127) return -Errno.EINVAL; socket.KeepCount = value; return Applied(socket);
                    case TcpMaximumSegment:
                    case TcpQuickAck:
                    case TcpUserTimeout:
                    case TcpFastOpen:
                        return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            if (level == LevelIp)
            {
                switch (name)
                {
                    case IpTypeOfService: socket.TypeOfService = value & 0xFF; return 0;
                    case IpTimeToLive: if (value < -1 || value == 0 || value > 255) return -Errno.EINVAL; socket.TimeToLive = value == -1 ? 64 : value; return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            if (level == LevelIpv6 && socket.Family == SocketAddress.FamilyInet6)
            {
                switch (name)
                {
                    case Ipv6V6Only: if (socket.HasLocalPort) return -Errno.EINVAL; socket.V6Only = value != 0; return 0;
                    case Ipv6UnicastHops: if (value < -1 || value > 255) return -Errno.EINVAL; socket.HopLimit = value == -1 ? 64 : value; return 0;
                    case Ipv6TrafficClass: if (value < -1 || value > 255) return -Errno.EINVAL; socket.TrafficClass = value == -1 ? 0 : value; return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            return -Errno.ENOPROTOOPT;
        }

        public static long Get(SocketFile socket, int level, int name, out int value)
        {
            value = 0;
            if (level == LevelSocket)
            {
                switch (name)
                {
                    case ReuseAddress: value = socket.ReuseAddress ? 1 : 0; return 0;
                    case ReusePort: value = socket.ReusePort ? 1 : 0; return 0;
                    case KeepAlive: value = socket.KeepAlive ? 1 : 0; return 0;
                    case Broadcast: value = socket.Broadcast ? 1 : 0; return 0;
                    case SendBuffer: value = socket.SendBufferSize; return 0;
                    case ReceiveBuffer: value = socket.ReceiveBufferSize; return 0;
                    case Type: value = socket.Type; return 0;
                    case Error: value = socket.TakePendingError(); return 0;
                    case AcceptConnections: value = socket.IsListening ? 1 : 0; return 0;
                    case Domain: value = socket.Family; return 0;
                    case Protocol: value = socket.Protocol; return 0;
                    case ReceiveLowWater:
                    case SendLowWater: value = 1; return 0;
                    case DontRoute:
                    case OutOfBandInline:
                    case Priority: return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            if (level == LevelTcp)
            {
                if (socket.Type != SocketFile.Stream) return -Errno.ENOPROTOOPT;
                switch (name)
                {
                    case TcpNoDelay: value = socket.NoDelay ? 1 : 0; return 0;
                    case TcpMaximumSegment: value = TcpConnection.OurMss; return 0;
                    case TcpKeepIdle: value = socket.KeepIdle; return 0;
                    case TcpKeepInterval: value = socket.KeepInterval; return 0;
                    case TcpKeepCount: value = socket.KeepCount; return 0;
                    case TcpQuickAck: value = 1; return 0;
                    case TcpUserTimeout:
                    case TcpFastOpen: return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            if (level == LevelIp)
            {
                switch (name)
                {
                    case IpTypeOfService: value = socket.TypeOfService; return 0;
                    case IpTimeToLive: value = socket.TimeToLive; return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            if (level == LevelIpv6 && socket.Family == SocketAddress.FamilyInet6)
            {
                switch (name)
                {
                    case Ipv6V6Only: value = socket.V6Only ? 1 : 0; return 0;
                    case Ipv6UnicastHops: value = socket.HopLimit; return 0;
                    case Ipv6TrafficClass: value = socket.TrafficClass; return 0;
                    default: return -Errno.ENOPROTOOPT;
                }
            }
            return -Errno.ENOPROTOOPT;
        }

        // A connected TCP socket's connection acts on the new value at once.
        private static long Applied(SocketFile socket)
        {
            if (socket is TcpSocketFile tcp) tcp.ApplyOptions();
            return 0;
        }

        private static int Clamp(int value) => value < 1152 ? 1152 : value > 0x3FFF_FFFF ? 0x3FFF_FFFF : value;
    }
}
