using System.Text;

namespace Unikernel.Linker.Input;

/// <summary>
/// An SHT_STRTAB viewed in place: names are decoded only when asked for, and an offset outside the
/// table or a name without its terminating NUL is a <see cref="LinkerException"/>, not an exception
/// from the runtime.
/// </summary>
internal readonly ref struct ElfStringTable
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly string _path;
    private readonly string _tableName;

    public ElfStringTable(ReadOnlySpan<byte> bytes, string path, string tableName)
    {
        _bytes = bytes;
        _path = path;
        _tableName = tableName;
    }

    /// <summary>A file without the table (e_shstrndx = SHN_UNDEF) names everything "".</summary>
    public static ElfStringTable Empty(string path) => new([], path, "");

    public string Get(uint offset)
    {
        int length = Measure(offset);
        return length == 0 ? "" : Encoding.UTF8.GetString(_bytes.Slice((int)offset, length));
    }

    /// <summary>The length in bytes of the name at <paramref name="offset"/>, after the same checks as <see cref="Get"/>.</summary>
    public int Measure(uint offset)
    {
        int length = TryMeasure(_bytes, offset);
        if (length >= 0)
            return length;
        throw new LinkerException(offset >= (uint)_bytes.Length
                ? $"corrupt ELF file: name offset 0x{offset:x} is outside the string table"
                : $"corrupt ELF file: name at offset 0x{offset:x} is not NUL-terminated",
            file: _path, section: _tableName);
    }

    /// <summary><see cref="Measure"/> on a table's bytes, with -1 for a name it would reject.</summary>
    public static int TryMeasure(ReadOnlySpan<byte> table, uint offset)
    {
        // Offset 0 is the empty name in every well-formed table; accepting it without a table keeps
        // objects that have no names at all (no .shstrtab) readable.
        if (offset == 0 && table.IsEmpty)
            return 0;
        return offset < (uint)table.Length ? table[(int)offset..].IndexOf((byte)0) : -1;
    }
}
