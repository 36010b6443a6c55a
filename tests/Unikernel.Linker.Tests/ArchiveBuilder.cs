using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Writes small <c>ar</c> archives in memory (GNU: a <c>/</c> symbol index, a <c>//</c> long-name table; or BSD: a
/// <c>__.SYMDEF</c> index, <c>#1/N</c> names), so archive tests and the mutation fuzzer need no binutils.
/// </summary>
public sealed class ArchiveBuilder
{
    private readonly List<(string Name, byte[] Contents, string[] Symbols)> _members = [];

    public ArchiveBuilder Member(string name, byte[] contents, params string[] definedSymbols)
    {
        _members.Add((name, contents, definedSymbols));
        return this;
    }

    public byte[] BuildGnu()
    {
        // Long names (over 15 bytes) go to "//" as "name/\n" and the header says "/OFFSET".
        var longNames = new MemoryStream();
        var headerNames = new List<string>();
        foreach (var (name, _, _) in _members)
        {
            if (name.Length <= 15)
            {
                headerNames.Add(name + "/");
                continue;
            }
            headerNames.Add("/" + longNames.Length);
            longNames.Write(Encoding.UTF8.GetBytes(name + "/\n"));
        }

        int symbolCount = _members.Sum(member => member.Symbols.Length);
        int namesBytes = _members.Sum(member => member.Symbols.Sum(symbol => Encoding.UTF8.GetByteCount(symbol) + 1));
        int indexSize = 4 + 4 * symbolCount + namesBytes;
        int position = 8 + Header(indexSize) + (longNames.Length > 0 ? Header((int)longNames.Length) : 0);
        var memberOffsets = new List<int>();
        foreach (var (_, contents, _) in _members)
        {
            memberOffsets.Add(position);
            position += Header(contents.Length);
        }

        var index = new byte[indexSize];
        BinaryPrimitives.WriteUInt32BigEndian(index, (uint)symbolCount);
        int slot = 4, names = 4 + 4 * symbolCount;
        for (int m = 0; m < _members.Count; m++)
        {
            foreach (string symbol in _members[m].Symbols)
            {
                BinaryPrimitives.WriteUInt32BigEndian(index.AsSpan(slot), (uint)memberOffsets[m]);
                slot += 4;
                names += Encoding.UTF8.GetBytes(symbol, index.AsSpan(names)) + 1;
            }
        }

        var archive = new MemoryStream();
        archive.Write("!<arch>\n"u8);
        WriteMember(archive, "/", index);
        if (longNames.Length > 0)
            WriteMember(archive, "//", longNames.ToArray());
        for (int m = 0; m < _members.Count; m++)
            WriteMember(archive, headerNames[m], _members[m].Contents);
        return archive.ToArray();
    }

    public byte[] BuildBsd()
    {
        // __.SYMDEF: ranlib array size, (name offset, member header offset) pairs, string table size, strings.
        var strings = new MemoryStream();
        var entries = new List<(int NameOffset, int Member)>();
        int symbolCount = _members.Sum(member => member.Symbols.Length);
        int stringBytes = _members.Sum(member => member.Symbols.Sum(symbol => Encoding.UTF8.GetByteCount(symbol) + 1));
        int indexSize = 8 + 8 * symbolCount + stringBytes;
        int position = 8 + Header(indexSize + 12);
        var memberOffsets = new List<int>();
        foreach (var (name, contents, _) in _members)
        {
            memberOffsets.Add(position);
            position += Header(Encoding.UTF8.GetByteCount(name) + contents.Length);
        }
        var index = new byte[indexSize];
        BinaryPrimitives.WriteUInt32LittleEndian(index, (uint)(8 * symbolCount));
        int at = 4;
        for (int m = 0; m < _members.Count; m++)
        {
            foreach (string symbol in _members[m].Symbols)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(index.AsSpan(at), (uint)strings.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(index.AsSpan(at + 4), (uint)memberOffsets[m]);
                at += 8;
                strings.Write(Encoding.UTF8.GetBytes(symbol));
                strings.WriteByte(0);
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(index.AsSpan(at), (uint)strings.Length);
        strings.ToArray().CopyTo(index.AsSpan(at + 4));

        var archive = new MemoryStream();
        archive.Write("!<arch>\n"u8);
        WriteMember(archive, "#1/12", [.. "__.SYMDEF\0\0\0"u8, .. index]);
        foreach (var (name, contents, _) in _members)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            WriteMember(archive, "#1/" + nameBytes.Length, [.. nameBytes, .. contents]);
        }
        return archive.ToArray();
    }

    /// <summary>Bytes a member takes: its 60-byte header, its data, a pad byte to an even offset.</summary>
    private static int Header(int size) => 60 + size + (size & 1);

    private static void WriteMember(MemoryStream archive, string name, byte[] contents)
    {
        string header = $"{name,-16}{"0",-12}{"0",-6}{"0",-6}{"644",-8}{contents.Length,-10}`\n";
        archive.Write(Encoding.ASCII.GetBytes(header));
        archive.Write(contents);
        if ((contents.Length & 1) != 0)
            archive.WriteByte((byte)'\n');
    }
}
