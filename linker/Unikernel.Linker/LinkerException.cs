using System.Text;

namespace Unikernel.Linker;

/// <summary>
/// A link failure the user can act on. It carries the location pieces separately so that every
/// error renders as the same single line: <c>uk-ld: error: FILE: SECTION+0xOFF: PROBLEM 'SYMBOL' (unit 'UNIT')</c>.
/// </summary>
public sealed class LinkerException : Exception
{
    public LinkerException(string problem, string? file = null, string? section = null, ulong? offset = null,
        string? symbol = null, Exception? inner = null, string? unit = null)
        : base(problem, inner)
    {
        Problem = problem;
        File = file;
        Section = section;
        Offset = offset;
        Symbol = symbol;
        Unit = unit;
    }

    public string Problem { get; }
    public string? File { get; }
    public string? Section { get; }
    public ulong? Offset { get; }
    public string? Symbol { get; }

    /// <summary>The link unit whose namespace the problem is in; null for the implicit unit.</summary>
    public string? Unit { get; }

    /// <summary>The diagnostic line without the <c>uk-ld: error: </c> prefix.</summary>
    public string Describe()
    {
        var line = new StringBuilder();
        if (File is not null)
            line.Append(File).Append(": ");
        if (Section is not null)
        {
            line.Append(Section);
            if (Offset is { } offset)
                line.Append("+0x").Append(offset.ToString("x"));
            line.Append(": ");
        }
        line.Append(Problem);
        // The null symbol (index 0) has no name to show.
        if (!string.IsNullOrEmpty(Symbol))
            line.Append(" '").Append(Symbol).Append('\'');
        if (Unit is not null)
            line.Append(" (unit '").Append(Unit).Append("')");
        // One line, always, and nothing the terminal would act on: a corrupt input may smuggle newlines or escape
        // sequences into names, and library messages may quote them.
        return MessageText.Escape(line.ToString());
    }
}
