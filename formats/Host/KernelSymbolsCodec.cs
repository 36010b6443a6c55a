using System.Runtime.InteropServices;
using System.Text;

namespace Unikernel.Formats
{
    /// <summary>One function of <c>uk_ksyms</c>.</summary>
    internal readonly record struct KernelSymbolsFunction(ulong Address, ulong Size, string Name);

    /// <summary>
    /// The one encoder and decoder of <c>uk_ksyms</c> (<see cref="KernelSymbolsFormat"/>) on the host: the linker writes
    /// the section with it, <c>uk inspect</c> reads it, tests build tables with it. (The kernel reads the same structs
    /// through a pointer, Kernel.Diagnostics.SymbolTable.)
    /// </summary>
    internal static class KernelSymbolsCodec
    {
        /// <summary>Bytes of the names as <see cref="Encode"/> stores them: each distinct name once, NUL-terminated.</summary>
        public static ulong StringBytes(IEnumerable<string> names)
        {
            var distinct = new HashSet<string>(StringComparer.Ordinal);
            ulong bytes = 0;
            foreach (string name in names)
                if (distinct.Add(name))
                    bytes += (ulong)Encoding.UTF8.GetByteCount(name) + 1;
            return bytes;
        }

        public static ulong Size(int count, ulong stringBytes) =>
            (ulong)(KernelSymbolsFormat.HeaderSize + KernelSymbolsFormat.EntrySize * count) + stringBytes;

        /// <summary>The table of <paramref name="functions"/>, sorted here by address, then name (ordinal).</summary>
        public static byte[] Encode(IEnumerable<KernelSymbolsFunction> functions)
        {
            var sorted = functions.ToArray();
            Array.Sort(sorted, static (a, b) =>
            {
                int byAddress = a.Address.CompareTo(b.Address);
                return byAddress != 0 ? byAddress : string.CompareOrdinal(a.Name, b.Name);
            });
            var data = new byte[Size(sorted.Length, StringBytes(sorted.Select(f => f.Name)))];
            uint stringsOffset = (uint)(KernelSymbolsFormat.HeaderSize + KernelSymbolsFormat.EntrySize * sorted.Length);
            var header = new KernelSymbolsHeader
            {
                Magic = KernelSymbolsFormat.Magic,
                Count = (uint)sorted.Length,
                StringsOffset = stringsOffset,
            };
            MemoryMarshal.Write(data, in header);

            var nameOffsets = new Dictionary<string, uint>(StringComparer.Ordinal);
            uint stringCursor = 0;
            for (int i = 0; i < sorted.Length; i++)
            {
                string name = sorted[i].Name;
                if (!nameOffsets.TryGetValue(name, out uint nameOffset))
                {
                    nameOffset = stringCursor;
                    nameOffsets.Add(name, nameOffset);
                    int written = Encoding.UTF8.GetBytes(name, data.AsSpan((int)(stringsOffset + stringCursor)));
                    stringCursor += (uint)written + 1; // the terminating NUL is already zero
                }
                var entry = new KernelSymbolsEntry
                {
                    Address = sorted[i].Address,
                    Size = (uint)Math.Min(sorted[i].Size, uint.MaxValue),
                    NameOffset = nameOffset,
                };
                MemoryMarshal.Write(data.AsSpan(KernelSymbolsFormat.HeaderSize + KernelSymbolsFormat.EntrySize * i), in entry);
            }
            return data;
        }

        /// <summary>The table's functions in table order, or null when the bytes are not a whole uk_ksyms table.</summary>
        public static IReadOnlyList<KernelSymbolsFunction>? Decode(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length < KernelSymbolsFormat.HeaderSize) return null;
            var header = MemoryMarshal.Read<KernelSymbolsHeader>(bytes);
            if (header.Magic != KernelSymbolsFormat.Magic) return null;
            if (header.StringsOffset > bytes.Length
                || KernelSymbolsFormat.HeaderSize + (ulong)header.Count * KernelSymbolsFormat.EntrySize > header.StringsOffset)
                return null;
            var functions = new List<KernelSymbolsFunction>((int)header.Count);
            for (int i = 0; i < header.Count; i++)
            {
                var entry = MemoryMarshal.Read<KernelSymbolsEntry>(bytes[(KernelSymbolsFormat.HeaderSize + i * KernelSymbolsFormat.EntrySize)..]);
                long start = (long)header.StringsOffset + entry.NameOffset;
                if (start >= bytes.Length) return null;
                var rest = bytes[(int)start..];
                int end = rest.IndexOf((byte)0);
                if (end < 0) return null;
                functions.Add(new KernelSymbolsFunction(entry.Address, entry.Size, Encoding.UTF8.GetString(rest[..end])));
            }
            return functions;
        }
    }
}
