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
        // Offset 0 is the empty name in every well-formed table; accepting it without a table keeps
        // objects that have no names at all (no .shstrtab) readable.
        if (offset == 0 && _bytes.IsEmpty)
            return 0;
        if (offset >= (uint)_bytes.Length)
            throw new LinkerException($"corrupt ELF file: name offset 0x{offset:x} is outside the string table",
                file: _path, section: _tableName);
        var rest = _bytes[(int)offset..];
        int length = rest.IndexOf((byte)0);
        if (length < 0)
            throw new LinkerException($"corrupt ELF file: name at offset 0x{offset:x} is not NUL-terminated",
                file: _path, section: _tableName);
        return length;
    }
}
