using System.Buffers.Binary;
using System.Text;
using Unikernel.Linker.Model;
using static Unikernel.Linker.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// The <c>uk_ksyms</c> section (docs/boot-abi.md): every function symbol of every input, sorted by
/// address, so the kernel can print <c>name+offset</c> for a return address without ELF parsing. Names of
/// a named link unit are qualified (<c>kernel:Foo</c>): two units may both have a <c>Foo</c>. The functions
/// of an app embedded with --app come from its own .symtab, at their fixed addresses, named <c>app:Foo</c>.
/// The entry set, and hence the size, is fixed before layout; the bytes are written after it.
/// </summary>
public sealed class KernelSymbolTable
{
    public const string SectionName = "uk_ksyms";
    public const uint Magic = 0x4D59534B; // "KSYM"
    public const int HeaderSize = 16;
    public const int EntrySize = 16;

    private readonly List<Symbol> _functions;
    private readonly List<Entry> _appFunctions;

    /// <summary>One row of the table; the app's rows have their addresses and qualified names already.</summary>
    private readonly record struct Entry(ulong Address, ulong Size, string Name);

    private KernelSymbolTable(List<Symbol> functions, List<Entry> appFunctions, ulong stringBytes)
    {
        _functions = functions;
        _appFunctions = appFunctions;
        Section = new InputSection(null, SectionName, SHT_PROGBITS, SHF_ALLOC, 8,
            (ulong)(HeaderSize + EntrySize * Count) + stringBytes, null);
    }

    public InputSection Section { get; }
    public int Count => _functions.Count + _appFunctions.Count;

    /// <param name="app">The embedded app, whose functions join the table; null without --app.</param>
    public static KernelSymbolTable Collect(IReadOnlyList<InputFile> files, Input.AppExecutable? app = null)
    {
        // Aliases (same section, same offset) would make address lookup ambiguous; keep one per address,
        // preferring a real size, then a global name, then the first seen.
        var bestAtPlace = new Dictionary<(InputSection, ulong), int>();
        var functions = new List<Symbol>();
        foreach (var file in files)
        {
            foreach (var symbol in file.Symbols)
            {
                if (symbol.Type != STT_FUNC || symbol.Kind != SymbolKind.Section || !symbol.Section!.IsLive
                    || symbol.Name.Length == 0)
                    continue;
                // A global appears in every file that mentions it; count it once, at its definition.
                if (!symbol.IsLocal && symbol.DefinedIn != file)
                    continue;
                var place = (symbol.Section, symbol.Value);
                if (bestAtPlace.TryGetValue(place, out int index))
                {
                    if (IsBetter(symbol, functions[index]))
                        functions[index] = symbol;
                    continue;
                }
                bestAtPlace.Add(place, functions.Count);
                functions.Add(symbol);
            }
        }

        var appFunctions = app?.Functions
            .Select(f => new Entry(f.Address, f.Size, Input.AppExecutable.SymbolPrefix + f.Name)).ToList() ?? [];
        var distinctNames = new HashSet<string>(StringComparer.Ordinal);
        ulong stringBytes = 0;
        foreach (string name in functions.Select(f => f.OutputName).Concat(appFunctions.Select(f => f.Name)))
            if (distinctNames.Add(name))
                stringBytes += (ulong)Encoding.UTF8.GetByteCount(name) + 1;
        return new KernelSymbolTable(functions, appFunctions, stringBytes);
    }

    private static bool IsBetter(Symbol candidate, Symbol current)
    {
        if ((candidate.Size != 0) != (current.Size != 0))
            return candidate.Size != 0;
        return current.IsLocal && !candidate.IsLocal;
    }

    /// <summary>After layout, when addresses are final.</summary>
    public void Fill()
    {
        var sorted = _functions.Select(f => new Entry(f.Address, f.Size, f.OutputName))
            .Concat(_appFunctions).ToArray();
        Array.Sort(sorted, static (a, b) =>
        {
            int byAddress = a.Address.CompareTo(b.Address);
            return byAddress != 0 ? byAddress : string.CompareOrdinal(a.Name, b.Name);
        });

        var data = new byte[Section.Size];
        uint stringsOffset = (uint)(HeaderSize + EntrySize * sorted.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(0), Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)sorted.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(8), stringsOffset);

        var nameOffsets = new Dictionary<string, uint>(StringComparer.Ordinal);
        uint stringCursor = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            var function = sorted[i];
            string name = function.Name;
            if (!nameOffsets.TryGetValue(name, out uint nameOffset))
            {
                nameOffset = stringCursor;
                nameOffsets.Add(name, nameOffset);
                int written = Encoding.UTF8.GetBytes(name, data.AsSpan((int)(stringsOffset + stringCursor)));
                stringCursor += (uint)written + 1; // the terminating NUL is already zero
            }
            var entry = data.AsSpan(HeaderSize + EntrySize * i, EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, function.Address);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], (uint)Math.Min(function.Size, uint.MaxValue));
            BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], nameOffset);
        }
        Section.Data = data;
    }
}
