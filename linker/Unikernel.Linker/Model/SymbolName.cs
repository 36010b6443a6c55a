using System.Text;

namespace Unikernel.Linker.Model;

/// <summary>
/// A symbol name as UTF-8 bytes, usually a view into its input's string table, with its hash computed once.
/// The resolver and the archive loader compare names only through this: an ILC object has ~100k global
/// symbols with long mangled names (13 MB of .strtab for an ASP.NET Core app), and decoding each to a .NET
/// string just to look it up was most of the read pass. Strings are made only for the names something prints.
/// </summary>
public readonly struct SymbolName : IEquatable<SymbolName>
{
    // The byte[] or the mapped file the name is in.
    private readonly object? _owner;
    private readonly int _offset;
    private readonly int _hash;

    public SymbolName(byte[] bytes, int offset, int length)
    {
        _owner = bytes;
        _offset = offset;
        Length = length;
        _hash = Hash(new ReadOnlySpan<byte>(bytes, offset, length));
    }

    public SymbolName(Input.MappedFile file, int offset, int length)
    {
        _owner = file;
        _offset = offset;
        Length = length;
        _hash = Hash(file.Slice(offset, length));
    }

    /// <summary>A view whose <paramref name="hash"/> (<see cref="Hash"/> of its bytes) the reader computed already.</summary>
    internal SymbolName(byte[] bytes, int offset, int length, int hash)
    {
        _owner = bytes;
        _offset = offset;
        Length = length;
        _hash = hash;
    }

    internal SymbolName(Input.MappedFile file, int offset, int length, int hash)
    {
        _owner = file;
        _offset = offset;
        Length = length;
        _hash = hash;
    }

    public static SymbolName Of(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        return new SymbolName(bytes, 0, bytes.Length);
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Bytes => Input.MappedFile.View(_owner, _offset, Length);

    public bool StartsWith(ReadOnlySpan<byte> prefix) => Bytes.StartsWith(prefix);

    public bool Equals(SymbolName other) => _hash == other._hash && Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is SymbolName other && Equals(other);

    public override int GetHashCode() => _hash;

    public override string ToString() => Length == 0 ? "" : Encoding.UTF8.GetString(Bytes);

    // XXH3 (vectorized; mangled names average ~120 bytes), seed 0: a fixed function, so every run, thread and process
    // hashes alike (only lookups depend on it, never an output order).
    internal static int Hash(ReadOnlySpan<byte> bytes)
    {
        ulong hash = System.IO.Hashing.XxHash3.HashToUInt64(bytes);
        return (int)(hash ^ hash >> 32);
    }
}
