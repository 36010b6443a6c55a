using Kernel.Files;

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
            int timeWait = Tcp.TimeWaitCount;
            int table = Tcp.TableCount;
            o.Append("sockets: used ").AppendDecimal((ulong)(table + Tcp.ListenerCount)).Append('\n');
            o.Append("TCP: inuse ").AppendDecimal((ulong)(table - timeWait + Tcp.ListenerCount))
             .Append(" orphan ").AppendDecimal((ulong)Tcp.OrphanCount)
             .Append(" tw ").AppendDecimal((ulong)timeWait)
             .Append(" alloc ").AppendDecimal((ulong)table)
             .Append(" mem ").AppendDecimal((ulong)((Tcp.RingMemoryBytes + 4095) / 4096)).Append('\n');
            o.Append("TCP-limit: max ").AppendDecimal((ulong)Tcp.ConnectionLimit)
             .Append(" peak ").AppendDecimal((ulong)Tcp.PeakConnections)
             .Append(" refused ").AppendDecimal(Tcp.RefusedSyns)
             .Append(" ringmem ").AppendDecimal((ulong)Tcp.RingMemoryBytes)
             .Append(" ringmemmax ").AppendDecimal((ulong)Tcp.RingMemoryLimit).Append('\n');
        }
    }
}
