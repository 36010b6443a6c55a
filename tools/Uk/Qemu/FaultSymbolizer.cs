using System.Text.RegularExpressions;
using Unikernel.Formats;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// Names the bare code addresses in the kernel's fault reports from the function table beside the image
/// (<c>IMAGE.syms</c>, uk-ld --symbols-file; formats/Host/KernelSymbolsSideFile.cs). An image linked that way carries an
/// empty uk_ksyms, so its panics, stack traces and app fault reports show <c>at 0x...</c> and <c>#N 0x...</c> with
/// nothing after the address; this adds <c>name+0xOFFSET</c> exactly as the kernel writes it from an in-image table, so a
/// report reads the same either way. The table is read, and the image hashed to check it belongs, on the first line
/// that needs a name: most boots have none.
/// </summary>
public sealed partial class FaultSymbolizer
{
    // The kernel writes a code location as "0x" and 16 hex digits after "at " or "#N " (Diagnostics/StackTrace.cs,
    // WriteLocation); a name already there (an image with its table inside) is left alone.
    [GeneratedRegex(@"(?<=(?:\bat|#\d+) )0x(?<address>[0-9a-f]{16})(?! [^\s+]+\+0x[0-9a-f]+)")]
    private static partial Regex BareLocation();

    private readonly string _imagePath;
    private readonly string _symbolsPath;
    private readonly Action<string>? _onProblem;
    private KernelSymbolsFunction[]? _functions;
    private bool _loaded;

    private FaultSymbolizer(string imagePath, string symbolsPath, Action<string>? onProblem)
    {
        _imagePath = imagePath;
        _symbolsPath = symbolsPath;
        _onProblem = onProblem;
    }

    /// <summary>The symbolizer of <paramref name="imagePath"/>, or null when no side file lies beside it.</summary>
    /// <param name="onProblem">Told once, in one line, when the side file cannot be used (another build's, damaged).</param>
    public static FaultSymbolizer? ForImage(string imagePath, Action<string>? onProblem = null)
    {
        string symbols = KernelSymbolsSideFile.PathFor(imagePath);
        return File.Exists(symbols) ? new FaultSymbolizer(imagePath, symbols, onProblem) : null;
    }

    /// <summary>The symbolizer of <paramref name="imagePath"/> with the side file at <paramref name="symbolsPath"/>.</summary>
    public static FaultSymbolizer WithSymbolsFile(string imagePath, string symbolsPath, Action<string>? onProblem = null) =>
        new(imagePath, symbolsPath, onProblem);

    /// <summary>Reads the table now; true when it can name addresses (else onProblem has been told why).</summary>
    public bool Load() => Functions() is not null;

    /// <summary>The line with every bare code location named (unchanged when none is, or the table does not know it).</summary>
    public string Symbolize(string line)
    {
        if (!line.Contains("0x", StringComparison.Ordinal)) return line;
        return BareLocation().Replace(line, match =>
        {
            ulong address = Convert.ToUInt64(match.Groups["address"].Value, 16);
            return TryName(address, out string name, out ulong offset) ? $"{match.Value} {name}+0x{offset:x}" : match.Value;
        });
    }

    /// <summary>The function containing <paramref name="address"/>, by the kernel's own rule (Diagnostics/SymbolTable.cs):
    /// the last one starting at or below it, within its size (4 KiB when the size is unknown).</summary>
    public bool TryName(ulong address, out string name, out ulong offset)
    {
        name = ""; offset = 0;
        var functions = Functions();
        if (functions is null || functions.Length == 0) return false;
        int lo = 0, hi = functions.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (functions[mid].Address <= address) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (found < 0) return false;
        var function = functions[found];
        ulong limit = function.Size != 0 ? function.Size : 4096;
        if (address - function.Address >= limit) return false;
        name = function.Name;
        offset = address - function.Address;
        return true;
    }

    private KernelSymbolsFunction[]? Functions()
    {
        lock (this)
        {
            if (_loaded) return _functions;
            _loaded = true;
            try
            {
                byte[] image = File.ReadAllBytes(_imagePath);
                var functions = KernelSymbolsSideFile.Decode(File.ReadAllBytes(_symbolsPath), KernelSymbolsSideFile.HashOf(image), out string? problem);
                if (functions is null)
                {
                    _onProblem?.Invoke($"{_symbolsPath}: {problem}");
                    return null;
                }
                // The linker sorts the table; sort again so that a hand-made one cannot break the search.
                _functions = functions.OrderBy(f => f.Address).ThenBy(f => f.Name, StringComparer.Ordinal).ToArray();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _onProblem?.Invoke($"{_symbolsPath}: {e.Message}");
            }
            return _functions;
        }
    }
}
