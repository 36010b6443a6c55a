using System.Collections.Generic;

namespace Unikernel.Net.Tests;

// A TCP segment as the tests see it on the wire: what the stack sent (parsed from its frame) or what the
// scripted peer sends (built into a frame with valid IPv4 and TCP checksums).
public sealed class WireSegment
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    public ushort SourcePort, DestinationPort;
    public uint Sequence, Acknowledgment;
    public byte Flags;
    public ushort Window;
    public int Mss;                  // 0: absent
    public int WindowScale = -1;     // -1: absent
    public bool SackPermitted;
    public List<(uint Left, uint Right)> Sack = new();
    public byte[] Data = System.Array.Empty<byte>();
    /// <summary>Virtual time the stack sent it (parsed segments).</summary>
    public ulong Time;

    public bool Has(byte flag) => (Flags & flag) != 0;
    public int SequenceLength => Data.Length + (Has(Syn) ? 1 : 0) + (Has(Fin) ? 1 : 0);
    public uint End => Sequence + (uint)SequenceLength;

    public override string ToString()
    {
        var flags = (Has(Syn) ? "S" : "") + (Has(Fin) ? "F" : "") + (Has(Rst) ? "R" : "") + (Has(Psh) ? "P" : "") + (Has(Ack) ? "." : "");
        string sack = Sack.Count == 0 ? "" : " sack " + string.Join(",", Sack.ConvertAll(b => $"{b.Left}-{b.Right}"));
        return $"[{flags}] seq {Sequence} ack {Acknowledgment} win {Window} len {Data.Length}{sack} @{Time / 1_000_000}ms";
    }

    public static WireSegment Parse(byte[] frame)
    {
        if (frame.Length < 14 + 20 + 20 || Read16(frame, 12) != 0x0800 || frame[14 + 9] != 6) return null;
        int ip = 14, ipHeader = (frame[ip] & 0xF) * 4, total = Read16(frame, ip + 2);
        int tcp = ip + ipHeader, length = total - ipHeader;
        int header = (frame[tcp + 12] >> 4) * 4;
        var s = new WireSegment
        {
            SourcePort = Read16(frame, tcp), DestinationPort = Read16(frame, tcp + 2),
            Sequence = Read32(frame, tcp + 4), Acknowledgment = Read32(frame, tcp + 8),
            Flags = frame[tcp + 13], Window = Read16(frame, tcp + 14),
        };
        for (int i = 20; i < header;)
        {
            byte kind = frame[tcp + i];
            if (kind == 0) break;
            if (kind == 1) { i++; continue; }
            int optionLength = frame[tcp + i + 1];
            if (kind == 2) s.Mss = Read16(frame, tcp + i + 2);
            else if (kind == 3) s.WindowScale = frame[tcp + i + 2];
            else if (kind == 4) s.SackPermitted = true;
            else if (kind == 5)
                for (int b = 2; b + 8 <= optionLength; b += 8)
                    s.Sack.Add((Read32(frame, tcp + i + b), Read32(frame, tcp + i + b + 4)));
            i += optionLength;
        }
        s.Data = frame[(tcp + header)..(tcp + length)];
        return s;
    }

    /// <summary>An Ethernet frame carrying this segment from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public byte[] Build(ulong sourceMac, ulong destinationMac, uint source, uint destination)
    {
        var options = new List<byte>();
        if (Mss != 0) options.AddRange(new byte[] { 2, 4, (byte)(Mss >> 8), (byte)Mss });
        if (SackPermitted) options.AddRange(new byte[] { 1, 1, 4, 2 });
        if (WindowScale >= 0) options.AddRange(new byte[] { 1, 3, 3, (byte)WindowScale });
        if (Sack.Count > 0)
        {
            options.AddRange(new byte[] { 1, 1, 5, (byte)(2 + 8 * Sack.Count) });
            foreach (var (left, right) in Sack) { options.AddRange(Bytes32(left)); options.AddRange(Bytes32(right)); }
        }
        int header = 20 + options.Count, tcpLength = header + Data.Length;
        var frame = new byte[14 + 20 + tcpLength];
        WriteMac(frame, 0, destinationMac);
        WriteMac(frame, 6, sourceMac);
        Write16(frame, 12, 0x0800);
        int ip = 14;
        frame[ip] = 0x45;
        Write16(frame, ip + 2, (ushort)(20 + tcpLength));
        Write16(frame, ip + 6, 0x4000);
        frame[ip + 8] = 64;
        frame[ip + 9] = 6;
        Write32(frame, ip + 12, source);
        Write32(frame, ip + 16, destination);
        Write16(frame, ip + 10, Checksum(frame, ip, 20, 0));
        int tcp = ip + 20;
        Write16(frame, tcp, SourcePort);
        Write16(frame, tcp + 2, DestinationPort);
        Write32(frame, tcp + 4, Sequence);
        Write32(frame, tcp + 8, Acknowledgment);
        frame[tcp + 12] = (byte)((header / 4) << 4);
        frame[tcp + 13] = Flags;
        Write16(frame, tcp + 14, Window);
        options.CopyTo(frame, tcp + 20);
        Data.CopyTo(frame, tcp + header);
        ulong pseudo = (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + 6 + (ulong)tcpLength;
        Write16(frame, tcp + 16, Checksum(frame, tcp, tcpLength, pseudo));
        return frame;
    }

    public static ushort Checksum(byte[] data, int offset, int length, ulong sum)
    {
        int i = 0;
        for (; i + 1 < length; i += 2) sum += (ulong)((data[offset + i] << 8) | data[offset + i + 1]);
        if (i < length) sum += (ulong)(data[offset + i] << 8);
        while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    public static ushort Read16(byte[] b, int o) => (ushort)((b[o] << 8) | b[o + 1]);
    public static uint Read32(byte[] b, int o) => ((uint)b[o] << 24) | ((uint)b[o + 1] << 16) | ((uint)b[o + 2] << 8) | b[o + 3];
    public static void Write16(byte[] b, int o, ushort v) { b[o] = (byte)(v >> 8); b[o + 1] = (byte)v; }
    public static void Write32(byte[] b, int o, uint v) { b[o] = (byte)(v >> 24); b[o + 1] = (byte)(v >> 16); b[o + 2] = (byte)(v >> 8); b[o + 3] = (byte)v; }
    private static byte[] Bytes32(uint v) => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v };
    public static void WriteMac(byte[] b, int o, ulong mac) { for (int i = 5; i >= 0; i--) { b[o + i] = (byte)mac; mac >>= 8; } }
}
