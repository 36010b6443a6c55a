using Kernel.Files;

namespace Kernel.Net
{
    // /proc/net/drops: the counters of the exit line (NetCounters) while the app runs, so it (or a test through it)
    // can read them: "received N", "sent N", then one "REASON N" line per drop reason, zeros included. Not a Linux
    // file; Linux spreads such counters over /proc/net/snmp and /proc/net/netstat, by protocol rather than by cause.
    internal sealed class NetDropsFile : ContentGenerator
    {
        public override void Generate(TextBuilder o)
        {
            NetworkDevice device = NetworkStack.Device;
            o.Append("received ").AppendDecimal(device != null ? device.Received : 0).Append('\n');
            o.Append("sent ").AppendDecimal(device != null ? device.Transmitted : 0).Append('\n');
            for (int i = 0; i < (int)DropReason.Count; i++)
                o.Append(NetCounters.Name((DropReason)i)).Append(' ').AppendDecimal(NetCounters.Dropped((DropReason)i)).Append('\n');
            o.Append("receive-ring ").AppendDecimal(device != null ? device.ReceiveDropped : 0).Append('\n');
            o.Append("test ").AppendDecimal(NetworkStack.DroppedByTest).Append('\n');
        }
    }
}
