using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Unikernel.Linker.Model;

namespace Unikernel.Linker.Input;

/// <summary>One member of a static library: its name and where its bytes are in the archive.</summary>
public sealed record ArchiveMember(string Name, int DataOffset, int Size);

/// <summary>A static library: its members and the symbol index that says which member defines what.</summary>
public sealed class Archive
{
    public Archive(string path, object owner, List<(SymbolName Symbol, ArchiveMember Member)> index)
    {
        Path = path;
        Owner = owner;
        Index = index;
        IndexNames = new SymbolName[index.Count];
        for (int i = 0; i < index.Count; i++)
            IndexNames[i] = index[i].Symbol;
    }

    public string Path { get; }

    /// <summary>The archive's bytes: a byte[] or a <see cref="MappedFile"/>.</summary>
    public object Owner { get; }

    public ReadOnlySpan<byte> Bytes => Owner is MappedFile mapped ? mapped.Span : (byte[])Owner;

    /// <summary>In the archive's own order, so that extraction order (and hence the output) is deterministic.</summary>
    public List<(SymbolName Symbol, ArchiveMember Member)> Index { get; }

    /// <summary><see cref="Index"/>'s names in the form the loader compares them.</summary>
    public SymbolName[] IndexNames { get; }

    public byte[] ContentsOf(ArchiveMember member) => Bytes.Slice(member.DataOffset, member.Size).ToArray();

    /// <summary>How errors and the map name a member: <c>libc.a(printf.o)</c>, as ld does.</summary>
    public string MemberPath(ArchiveMember member) => $"{Path}({member.Name})";
}

/// <summary>
/// Reads <c>ar</c> archives written by GNU ar (<c>/</c> and <c>/SYM64/</c> symbol tables, <c>//</c> long
/// names) and BSD ar (<c>__.SYMDEF</c> symbol table, <c>#1/N</c> inline names). Only the symbol table is
/// parsed up front; members are turned into objects when the loader decides it needs them.
/// </summary>
public static class ArchiveReader
{
    private static readonly byte[] Magic = "!<arch>\n"u8.ToArray();
    private static readonly byte[] ThinMagic = "!<thin>\n"u8.ToArray();
    private const int HeaderSize = 60;

    public static bool IsArchive(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Magic) || bytes.StartsWith(ThinMagic);

    public static Archive Read(string path, byte[] bytes) => Read(path, bytes, bytes);

    /// <summary>Only the headers and the symbol index are touched: members stay in the mapping until extracted.</summary>
    public static Archive Read(string path, MappedFile file) => Read(path, file, file.Span);

    private static Archive Read(string path, object owner, ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Parse(path, owner, bytes);
        }
        catch (LinkerException)
        {
            throw;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Every read below is bounds-checked first; this backstop keeps "a corrupt archive is a linker error" true
            // should a check ever be missing (as the object parser does).
            throw new LinkerException($"corrupt archive: {error.Message}", file: path);
        }
    }

    private static Archive Parse(string path, object owner, ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(ThinMagic))
            throw new LinkerException("thin archives are not supported", file: path);

        var membersByHeader = new Dictionary<int, ArchiveMember>();
        byte[]? gnuSymbols = null, gnuSymbols64 = null, bsdSymbols = null, longNames = null;
        int position = Magic.Length;
        while (position < bytes.Length)
        {
            if (bytes[position] == '\n' && position + 1 == bytes.Length)
                break; // some writers pad the archive with one trailing newline
            if (bytes.Length - position < HeaderSize)
                throw new LinkerException($"truncated archive member header at offset 0x{position:x}", file: path);
            var header = bytes.Slice(position, HeaderSize);
            if (header[58] != '`' || header[59] != '\n')
                throw new LinkerException($"corrupt archive: member header at offset 0x{position:x} does not end with its " +
                    "magic (`\\n)", file: path);
            string rawName = Encoding.ASCII.GetString(header[..16]).TrimEnd(' ');
            int size = ParseDecimal(path, header.Slice(48, 10), position, "size");
            int data = position + HeaderSize;
            if (size > bytes.Length - data)
                throw new LinkerException($"truncated archive: member at offset 0x{position:x} has size {size}, but only " +
                    $"{bytes.Length - data} bytes follow its header", file: path);

            string name = rawName;
            int nameBytes = 0;
            if (rawName.StartsWith("#1/", StringComparison.Ordinal))
            {
                // BSD: the name is stored at the start of the member data.
                nameBytes = ParseDecimal(path, Encoding.ASCII.GetBytes(rawName[3..]), position, "BSD name length");
                if (nameBytes > size)
                    throw new LinkerException($"corrupt archive: member at offset 0x{position:x} has a {nameBytes}-byte name " +
                        $"but is only {size} bytes long", file: path);
                name = Encoding.UTF8.GetString(bytes.Slice(data, nameBytes)).TrimEnd('\0');
            }

            var contents = bytes.Slice(data + nameBytes, size - nameBytes);
            switch (name)
            {
                case "/":
                    gnuSymbols = contents.ToArray();
                    break;
                case "/SYM64/":
                    gnuSymbols64 = contents.ToArray();
                    break;
                case "//":
                    longNames = contents.ToArray();
                    break;
                case "__.SYMDEF" or "__.SYMDEF SORTED":
                    bsdSymbols = contents.ToArray();
                    break;
                default:
                    membersByHeader.Add(position, new ArchiveMember(MemberName(path, name, longNames, position), data + nameBytes,
                        size - nameBytes));
                    break;
            }
            position = data + size + (size & 1);
        }

        List<(SymbolName, ArchiveMember)> index;
        if (gnuSymbols64 is not null)
            index = ReadGnuIndex(path, gnuSymbols64, 8, membersByHeader);
        else if (gnuSymbols is not null)
            index = ReadGnuIndex(path, gnuSymbols, 4, membersByHeader);
        else if (bsdSymbols is not null)
            index = ReadBsdIndex(path, bsdSymbols, membersByHeader);
        else if (membersByHeader.Count == 0)
            index = [];
        else
            throw new LinkerException("archive has no symbol table (run ranlib on it)", file: path);
        return new Archive(path, owner, index);
    }

    private static string MemberName(string path, string name, byte[]? longNames, int headerOffset)
    {
        if (name.Length > 1 && name[0] == '/' && char.IsAsciiDigit(name[1]))
        {
            // GNU: "/123" is an offset into the "//" member; names there end with "/\n".
            int offset = ParseDecimal(path, Encoding.ASCII.GetBytes(name[1..]), headerOffset, "long name offset");
            if (longNames is null || offset >= longNames.Length)
                throw new LinkerException($"corrupt archive: member at offset 0x{headerOffset:x} has long name offset {offset}, " +
                    $"outside the long name table ({longNames?.Length ?? 0} bytes)", file: path);
            int end = Array.IndexOf(longNames, (byte)'\n', offset);
            string longName = Encoding.UTF8.GetString(longNames, offset, (end < 0 ? longNames.Length : end) - offset);
            return longName.TrimEnd('/');
        }
        return name.EndsWith('/') ? name[..^1] : name;
    }

    /// <summary>GNU: big-endian count, that many member header offsets, then NUL-terminated names.</summary>
    private static List<(SymbolName, ArchiveMember)> ReadGnuIndex(string path, byte[] table, int wordSize,
        Dictionary<int, ArchiveMember> members)
    {
        ulong Word(int at) => wordSize == 8
            ? BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(at))
            : BinaryPrimitives.ReadUInt32BigEndian(table.AsSpan(at));

        if (table.Length < wordSize)
            throw new LinkerException($"corrupt archive: symbol table of {table.Length} bytes has no room for its count", file: path);
        ulong count = Word(0);
        if (count > (ulong)(table.Length / wordSize - 1))
            throw new LinkerException($"corrupt archive: symbol table count {count} is more than its {table.Length} bytes hold",
                file: path);
        int names = wordSize * (1 + (int)count);
        var index = new List<(SymbolName, ArchiveMember)>((int)count);
        for (int i = 0; i < (int)count; i++)
        {
            int end = Array.IndexOf(table, (byte)0, names);
            if (end < 0)
                throw new LinkerException($"corrupt archive: symbol table name {i} is not NUL-terminated", file: path);
            // A view of the table (which stays alive with the archive): no string per name, most are never printed.
            var symbol = new SymbolName(table, names, end - names);
            names = end + 1;
            index.Add((symbol, MemberAt(path, Word(wordSize * (1 + i)), members)));
        }
        return index;
    }

    /// <summary>BSD (4.4BSD ranlib, little-endian here): byte size of the ranlib array, (name offset, member
    /// header offset) pairs, byte size of the string table, the strings.</summary>
    private static List<(SymbolName, ArchiveMember)> ReadBsdIndex(string path, byte[] table, Dictionary<int, ArchiveMember> members)
    {
        // The two sizes alone take 8 bytes.
        if (table.Length < 8)
            throw new LinkerException($"corrupt archive: __.SYMDEF of {table.Length} bytes is truncated", file: path);
        uint rangesBytes = BinaryPrimitives.ReadUInt32LittleEndian(table);
        if (rangesBytes % 8 != 0 || rangesBytes > (uint)table.Length - 8)
            throw new LinkerException($"corrupt archive: __.SYMDEF ranlib size {rangesBytes} is not a multiple of 8 that fits " +
                $"its {table.Length} bytes", file: path);
        int strings = 8 + (int)rangesBytes;
        uint stringBytes = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4 + (int)rangesBytes));
        if (stringBytes > (uint)(table.Length - strings))
            throw new LinkerException($"corrupt archive: __.SYMDEF string table size {stringBytes} is more than the " +
                $"{table.Length - strings} bytes left", file: path);
        var index = new List<(SymbolName, ArchiveMember)>();
        for (int at = 4; at < 4 + rangesBytes; at += 8)
        {
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at));
            uint member = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at + 4));
            if (nameOffset >= stringBytes)
                throw new LinkerException($"corrupt archive: __.SYMDEF name offset {nameOffset} is outside its string table " +
                    $"({stringBytes} bytes)", file: path);
            int start = strings + (int)nameOffset;
            int end = Array.IndexOf(table, (byte)0, start, (int)stringBytes - (int)nameOffset);
            var symbol = new SymbolName(table, start, (end < 0 ? strings + (int)stringBytes : end) - start);
            index.Add((symbol, MemberAt(path, member, members)));
        }
        return index;
    }

    private static ArchiveMember MemberAt(string path, ulong headerOffset, Dictionary<int, ArchiveMember> members)
    {
        if (headerOffset > int.MaxValue || !members.TryGetValue((int)headerOffset, out var member))
            throw new LinkerException($"corrupt archive: symbol table points at 0x{headerOffset:x}, not a member", file: path);
        return member;
    }

    private static int ParseDecimal(string path, ReadOnlySpan<byte> text, int headerOffset, string field)
    {
        string digits = Encoding.ASCII.GetString(text).Trim();
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            throw new LinkerException($"corrupt archive: member header at offset 0x{headerOffset:x} has {field} '{digits}', " +
                "not a decimal number below 2^31", file: path);
        return value;
    }
}
