using Kernel.Files;
using Kernel.Net.Tcp;

namespace Kernel.Net
{
    // The network limits as /proc/sys files, read-only, one number and a newline as Linux's sysctls print them:
    //   /proc/sys/net/core/somaxconn              the cap on listen()'s backlog (Linux's file, its default 4096)
    //   /proc/sys/net/ipv4/tcp_max_connections    the connection table's size, from RAM (ours: Linux has no such
    //                                             limit; its table grows until memory and tcp_mem stop it)
    internal sealed class NetLimitFile : ContentGenerator
    {
        public const int Somaxconn = 0, TcpMaxConnections = 1;
        private readonly int _which;

        public NetLimitFile(int which) { _which = which; }

        public override void Generate(TextBuilder o)
        {
            o.AppendDecimal(_which == Somaxconn ? (ulong)TcpProtocol.MaximumBacklog : (ulong)TcpProtocol.ConnectionLimit).Append('\n');
        }
    }
}
