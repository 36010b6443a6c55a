using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// The <c>uk_ksyms</c> section (docs/boot-abi.md): every function symbol of every input, sorted by
/// address, so the kernel can print <c>name+offset</c> for a return address without ELF parsing. Names of
/// a named link unit are qualified (<c>kernel:Foo</c>): two units may both have a <c>Foo</c>. The functions
/// of an app embedded with --app come from its own .symtab, at their fixed addresses, named <c>app:Foo</c>.
/// The entry set, and hence the size, is fixed before layout; the bytes are written after it. With a symbols file
/// (--symbols-file) the table goes there instead (<see cref="Beside"/>) and the section holds an empty table: the
/// boot ABI keeps its uk_ksyms range, the kernel prints bare addresses, and the host names them
/// (formats/Host/KernelSymbolsSideFile.cs).
/// </summary>
public sealed class KernelSymbolTable
{
    public const string SectionName = KernelSymbolsFormat.SectionName;

    private readonly List<Symbol> _functions;
    private readonly List<KernelSymbolsFunction> _appFunctions;

    private readonly bool _beside;

    private KernelSymbolTable(List<Symbol> functions, List<KernelSymbolsFunction> appFunctions, ulong stringBytes, bool beside)
    {
        _functions = functions;
        _appFunctions = appFunctions;
        _beside = beside;
        Section = new InputSection(null, SectionName, SHT_PROGBITS, SHF_ALLOC, 8,
            beside ? KernelSymbolsCodec.Size(0, 0) : KernelSymbolsCodec.Size(Count, stringBytes), null);
    }

    public InputSection Section { get; }
    public int Count => _functions.Count + _appFunctions.Count;

    /// <summary>The whole table for the symbols file, after <see cref="Fill"/>; null when it is in the image.</summary>
    public byte[]? Beside { get; private set; }

    /// <param name="app">The embedded app, whose functions join the table; null without --app.</param>
    /// <param name="beside">The table goes to the symbols file; the image's uk_ksyms is an empty table.</param>
    public static KernelSymbolTable Collect(IReadOnlyList<InputFile> files, Input.AppExecutable? app = null, bool beside = false)
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
            .Select(f => new KernelSymbolsFunction(f.Address, f.Size, Input.AppExecutable.SymbolPrefix + f.Name)).ToList() ?? [];
        ulong stringBytes = KernelSymbolsCodec.StringBytes(functions.Select(f => f.OutputName).Concat(appFunctions.Select(f => f.Name)));
        return new KernelSymbolTable(functions, appFunctions, stringBytes, beside);
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
        var data = KernelSymbolsCodec.Encode(_functions.Select(f => new KernelSymbolsFunction(f.Address, f.Size, f.OutputName))
            .Concat(_appFunctions));
        if (_beside)
        {
            Beside = data;
            data = KernelSymbolsCodec.Encode([]);
        }
        if ((ulong)data.Length != Section.Size)
            throw new InvalidOperationException($"{SectionName} is {data.Length} bytes, not the {Section.Size} laid out");
        Section.Data = data;
    }
}
