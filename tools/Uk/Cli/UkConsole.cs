namespace Unikernel.Tools.Cli;

/// <summary>Where a command writes: stdout and stderr, each with its colour style. Tests pass string writers.</summary>
public sealed record UkConsole(TextWriter Out, TextWriter Error, TerminalStyle OutStyle, TerminalStyle ErrorStyle)
{
    public static UkConsole System { get; } = new(Console.Out, Console.Error, TerminalStyle.ForConsole(error: false), TerminalStyle.ForConsole(error: true));

    public static UkConsole Plain(TextWriter output, TextWriter error) => new(output, error, TerminalStyle.Plain, TerminalStyle.Plain);

    /// <summary>Writes "uk: error: MESSAGE" to stderr and returns <paramref name="status"/>.</summary>
    public int Fail(string message, int status)
    {
        Error.WriteLine($"{ErrorStyle.Red("uk: error:")} {message}");
        return status;
    }

    /// <summary>A remark of uk's own on stderr ("uk: ..."), never on stdout.</summary>
    public void Note(string message)
    {
        Error.WriteLine($"{ErrorStyle.Dim("uk:")} {message}");
        Error.Flush();
    }
}
