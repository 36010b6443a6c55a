using System.Text;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// Writes the kernel command line in the grammar the kernel parses (runtime/Kernel/Boot/CommandLine.cs):
/// words separated by spaces, double quotes and backslash escapes, uk.* kernel options and KEY=VALUE
/// environment entries before "--", app arguments after it.
/// </summary>
public static class KernelCommandLine
{
    public static string Build(IEnumerable<string> kernelOptions, IEnumerable<string> environment, IEnumerable<string> arguments)
    {
        var words = new List<string>();
        words.AddRange(kernelOptions.Select(Quote));
        foreach (var entry in environment)
        {
            int equals = entry.IndexOf('=');
            if (equals <= 0) throw new ArgumentException($"environment entry '{entry}' is not KEY=VALUE");
            words.Add(Quote(entry));
        }
        var args = arguments.ToList();
        if (args.Count > 0)
        {
            words.Add("--");
            words.AddRange(args.Select(Quote));
        }
        return string.Join(' ', words);
    }

    public static string Quote(string word)
    {
        if (word.Length > 0 && !word.Any(c => c is ' ' or '\t' or '\n' or '"' or '\\')) return word;
        var sb = new StringBuilder("\"");
        foreach (char c in word)
        {
            if (c is '"' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
