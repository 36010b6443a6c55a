// `environment` mode: the process's whole environment and whether its standard streams are a terminal, which is what
// configuration (ASP.NET's environment provider) and loggers (colour exactly when stdout is a terminal) read.
using System.Collections;
using System.Text;

namespace Conformance;

public static class EnvironmentAndConsole
{
    /// <summary>
    /// "environment: NAME=VALUE" for every entry, by name in ordinal order, bytes outside printable ASCII as \xHH (of
    /// their UTF-8); then "console: stdin/stdout/stderr redirected: BOOL". Exit 0.
    /// </summary>
    public static int Run()
    {
        var names = new List<string>();
        var entries = Environment.GetEnvironmentVariables();
        foreach (DictionaryEntry entry in entries) names.Add((string)entry.Key);
        names.Sort(StringComparer.Ordinal);
        foreach (string name in names)
            Console.WriteLine($"environment: {Escape(name)}={Escape((string?)entries[name] ?? "")}");
        Console.WriteLine($"console: stdin redirected: {Console.IsInputRedirected}");
        Console.WriteLine($"console: stdout redirected: {Console.IsOutputRedirected}");
        Console.WriteLine($"console: stderr redirected: {Console.IsErrorRedirected}");
        return 0;
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(text))
            sb.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        return sb.ToString();
    }
}
