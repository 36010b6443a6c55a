using Kernel.Files;
using Kernel.Net.Tcp;

namespace Kernel.Net
{
    // /proc/net/sockstat, Linux's layout, with the TCP table's counters of this moment:
    //   TCP: inuse N orphan O tw T alloc A mem M
    // inuse: connections in the table not in TIME_WAIT, plus listeners (Linux counts both, hashed);
    // orphan: connections the app closed that the protocol still finishes; tw: TIME_WAIT; alloc: connections in the
    // table; mem: pages of ring memory. Then the connection table's limit and peak (ours, not in Linux's file).
    internal sealed class SocketStatFile : ContentGenerator
    {
        public override void Generate(TextBuilder o)
        {
            int timeWait = TcpProtocol.TimeWaitCount;
            int table = TcpProtocol.TableCount;
            o.Append("sockets: used ").AppendDecimal((ulong)(table + TcpProtocol.ListenerCount)).Append('\n');
            o.Append("TCP: inuse ").AppendDecimal((ulong)(table - timeWait + TcpProtocol.ListenerCount))
             .Append(" orphan ").AppendDecimal((ulong)TcpProtocol.OrphanCount)
             .Append(" tw ").AppendDecimal((ulong)timeWait)
             .Append(" alloc ").AppendDecimal((ulong)table)
             .Append(" mem ").AppendDecimal((ulong)((TcpProtocol.RingMemoryBytes + 4095) / 4096)).Append('\n');
            o.Append("TCP-limit: max ").AppendDecimal((ulong)TcpProtocol.ConnectionLimit)
             .Append(" peak ").AppendDecimal((ulong)TcpProtocol.PeakConnections)
             .Append(" refused ").AppendDecimal(TcpProtocol.RefusedSyns)
             .Append(" ringmem ").AppendDecimal((ulong)TcpProtocol.RingMemoryBytes)
             .Append(" ringmemmax ").AppendDecimal((ulong)TcpProtocol.RingMemoryLimit).Append('\n');
        }
    }
}
