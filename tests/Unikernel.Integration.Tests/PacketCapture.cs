using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Integration.Tests;

/// <summary>
/// What crossed the guest's card, for a failure message: QEMU records it (<c>-object filter-dump</c>, a classic pcap
/// file of Ethernet frames), and <see cref="DescribeTcp"/> tells each TCP connection's story in a few lines -- its
/// handshake, resets and FINs in order, and the data each way -- so that a connection reset in CI says which side
/// gave up, and when, without a packet tool on the machine.
/// </summary>
internal sealed class PacketCapture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("uk-pcap-").FullName;

    public string Path => System.IO.Path.Combine(_directory, "net0.pcap");

    /// <summary>QEMU's arguments that record the frames of the netdev <paramref name="netdev"/> into <see cref="Path"/>.</summary>
    public IReadOnlyList<string> QemuArguments(string netdev = "net0") => ["-object", $"filter-dump,id=dump-{netdev},netdev={netdev},file={Path}"];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>One block per TCP connection (by the guest's and the other side's address and port), in order of first segment.</summary>
    public string DescribeTcp()
    {
        byte[] file;
        try { file = File.ReadAllBytes(Path); }
        catch (IOException e) { return $"(no capture: {e.Message})"; }
        if (file.Length < 24 || BinaryPrimitives.ReadUInt32LittleEndian(file) != 0xa1b2c3d4) return "(no capture: not a little-endian pcap file)";

        var connections = new Dictionary<string, Story>();
        double? start = null;
        for (int offset = 24; offset + 16 <= file.Length;)
        {
            double time = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset)) + BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 4)) / 1e6;
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            offset += 16;
            if (offset + length > file.Length) break;
            var frame = file.AsSpan(offset, length);
            offset += length;
            start ??= time;
            if (frame.Length < 34 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800 || frame[23] != 6) continue;
            int ipHeader = (frame[14] & 0xf) * 4, ipLength = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
            var tcp = frame[(14 + ipHeader)..];
            if (tcp.Length < 20) continue;
            string source = $"{frame[26]}.{frame[27]}.{frame[28]}.{frame[29]}:{BinaryPrimitives.ReadUInt16BigEndian(tcp)}";
            string destination = $"{frame[30]}.{frame[31]}.{frame[32]}.{frame[33]}:{BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])}";
            byte flags = tcp[13];
            int data = ipLength - ipHeader - (tcp[12] >> 4) * 4;
            // The side whose SYN came first (or, failing that, the first sender) names the connection.
            string key = $"{source} > {destination}", reverse = $"{destination} > {source}";
            bool forward = connections.ContainsKey(key) || !connections.ContainsKey(reverse);
            if (!connections.TryGetValue(forward ? key : reverse, out var story))
                connections[key] = story = new Story();
            story.Add(time - start.Value, forward, flags, BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
                      BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]), data);
        }
        var text = new StringBuilder($"tcp segments on the guest's card ({connections.Count} connections; > from the opener, < to it):\n");
        foreach (var (key, story) in connections) text.Append("  ").Append(key).Append('\n').Append(story.Text);
        return text.ToString();
    }

    private sealed class Story
    {
        private readonly StringBuilder _events = new();
        private long _dataForward, _dataBack, _segments;
        private int _eventLines;
        private bool _finForward, _finBack;
        public string Text => _events + $"    {_segments} segments, {_dataForward} bytes >, {_dataBack} bytes <\n";

        public void Add(double time, bool forward, byte flags, uint sequence, uint acknowledgment, ushort window, int data)
        {
            _segments++;
            if (forward) _dataForward += data; else _dataBack += data;
            // SYN, RST and each side's first FIN are the story (slirp, like BSD, sets FIN again on every later segment);
            // plain data and ACKs are counted, and a zero window is worth a line.
            bool firstFin = (flags & 0x01) != 0 && !(forward ? _finForward : _finBack);
            if (forward) _finForward |= firstFin; else _finBack |= firstFin;
            if ((flags & 0x06) == 0 && !firstFin && window != 0) return;
            if (++_eventLines > 40) return;
            string names = string.Concat(new[] { (0x02, "S"), (0x10, "."), (0x01, "F"), (0x04, "R"), (0x08, "P") }.Where(f => (flags & f.Item1) != 0).Select(f => f.Item2));
            _events.Append($"    {time,9:F4} s {(forward ? '>' : '<')} [{names}] seq {sequence} ack {acknowledgment} win {window} len {data}\n");
        }
    }
}
