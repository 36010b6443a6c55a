namespace Unikernel.Tools.Cli;

/// <summary>
/// ANSI colour for one output stream, only where a person reads it: the stream is a terminal, NO_COLOR is unset or
/// empty (https://no-color.org) and TERM is not "dumb". Redirected output, pipes and files get plain text.
/// </summary>
public sealed class TerminalStyle(bool enabled)
{
    public static TerminalStyle Plain { get; } = new(false);

    public bool Enabled => enabled;

    public static bool ShouldColor(bool isTerminal, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(environment("NO_COLOR"))) return false;
        if (environment("TERM") == "dumb") return false;
        return isTerminal;
    }

    /// <summary>The style for the process's stdout or stderr.</summary>
    public static TerminalStyle ForConsole(bool error)
        => new(ShouldColor(error ? !Console.IsErrorRedirected : !Console.IsOutputRedirected, Environment.GetEnvironmentVariable));

    public string Bold(string s) => Wrap(s, "1");
    public string Dim(string s) => Wrap(s, "2");
    public string Red(string s) => Wrap(s, "31");
    public string Green(string s) => Wrap(s, "32");
    public string Yellow(string s) => Wrap(s, "33");
    public string Cyan(string s) => Wrap(s, "36");

    private string Wrap(string s, string code) => enabled && s.Length > 0 ? $"\u001b[{code}m{s}\u001b[0m" : s;
}
