using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Tools.Inspect;

/// <summary>
/// Reads <c>uk_ksyms</c>, the function table uk-ld embeds in an image (docs/boot-abi.md, "uk_ksyms"):
/// <c>u32 Magic "KSYM", u32 Count, u32 StringsOffset, u32 Reserved; Entry[Count] { u64 Address; u32 Size;
/// u32 NameOffset }; NUL-terminated names</c>. With --app the app's functions are named <c>app:NAME</c>.
/// </summary>
public static class KernelSymbolTable
{
    public const uint Magic = 0x4D59534B;
    public const string AppPrefix = "app:";

    public sealed record Function(ulong Address, uint Size, string Name)
    {
        public bool IsApp => Name.StartsWith(AppPrefix, StringComparison.Ordinal);
        /// <summary>The name without the <c>app:</c> prefix.</summary>
        public string PlainName => IsApp ? Name[AppPrefix.Length..] : Name;
    }

    /// <summary>The table's functions, or null when the bytes are not a uk_ksyms table.</summary>
    public static IReadOnlyList<Function>? Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 16 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic) return null;
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        uint strings = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (strings > bytes.Length || 16 + (ulong)count * 16 > strings) return null;
        var functions = new List<Function>((int)count);
        for (int i = 0; i < count; i++)
        {
            var entry = bytes.Slice(16 + i * 16, 16);
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]);
            long start = (long)strings + nameOffset;
            if (start >= bytes.Length) return null;
            var rest = bytes[(int)start..];
            int end = rest.IndexOf((byte)0);
            if (end < 0) return null;
            functions.Add(new Function(address, size, Encoding.UTF8.GetString(rest[..end])));
        }
        return functions;
    }

    /// <summary>Writes a table (the layout above); for tests and tools that build images by hand.</summary>
    public static byte[] Build(IEnumerable<(ulong Address, uint Size, string Name)> functions)
    {
        var list = functions.OrderBy(f => f.Address).ToList();
        var names = new MemoryStream();
        var offsets = new List<uint>();
        foreach (var f in list)
        {
            offsets.Add((uint)names.Length);
            var b = Encoding.UTF8.GetBytes(f.Name);
            names.Write(b);
            names.WriteByte(0);
        }
        int stringsOffset = 16 + list.Count * 16;
        var bytes = new byte[stringsOffset + names.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)list.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)stringsOffset);
        for (int i = 0; i < list.Count; i++)
        {
            var e = bytes.AsSpan(16 + i * 16);
            BinaryPrimitives.WriteUInt64LittleEndian(e, list[i].Address);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], list[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(e[12..], offsets[i]);
        }
        names.ToArray().CopyTo(bytes, stringsOffset);
        return bytes;
    }
}
