using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;
using Unikernel.Tools.Cli;

namespace Unikernel.Tools.Tests;

/// <summary>
/// docs/options.md is kept beside the code rather than generated from it, so this test is what keeps it complete: every
/// option the kernel, `uk` and `uk-ld` parse must appear there, in its own section. The options are found where each
/// program declares them: the kernel asks for its options by name ("uk.NAME" literals under runtime/Kernel), `uk`
/// declares System.CommandLine options (read from the command tree itself, so options made by helpers count too), and
/// uk-ld matches its arguments in one switch (the string literals of CommandLine.cs's case labels and prefixes).
/// </summary>
public partial class OptionsReferenceTests
{
    private static string Root => Artifacts.RepositoryRoot ?? throw new InvalidOperationException(
        $"no Unikernel.sln above {AppContext.BaseDirectory}: the test runs from the repository's build output");

    private static string OptionsPage => File.ReadAllText(Path.Combine(Root, "docs", "options.md"));

    [Fact]
    public void EveryKernelOptionTheKernelReadsIsDocumented()
    {
        var names = Directory.EnumerateFiles(Path.Combine(Root, "runtime", "Kernel"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => KernelOptionLiteral().Matches(File.ReadAllText(file)))
            .Select(match => match.Groups[1].Value.TrimEnd('.', '-'))
            .ToHashSet();
        Assert.True(names.Count >= 10, $"the scan found only {names.Count} kernel options: {string.Join(", ", names)}");

        string section = Section(OptionsPage, "## Kernel command line");
        // Written as code, followed by the end of the code span, a value or an optional part: `uk.net.ip=...`, `uk.strace`.
        var missing = names.Where(name => !Regex.IsMatch(section, "`" + Regex.Escape(name) + @"(?=[`=\[])")).Order().ToList();
        Assert.True(missing.Count == 0, $"docs/options.md, \"Kernel command line\", lacks: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryUkOptionIsDocumentedUnderItsCommand()
    {
        var root = UkCommandLine.Build(UkConsole.Plain(new StringWriter(), new StringWriter()));
        Assert.NotEmpty(root.Subcommands);
        // A command with subcommands (uk export libvirt) is documented per subcommand: "### `uk export libvirt ...".
        var commands = root.Subcommands.SelectMany(c => c.Subcommands.Count > 0 ? c.Subcommands.Select(s => (Name: $"{c.Name} {s.Name}", Command: s)) : [(c.Name, c)]);
        foreach (var (name, command) in commands)
        {
            var tokens = command.Options
                .Where(option => option is not HelpOption and not VersionOption)
                .SelectMany(option => option.Aliases.Prepend(option.Name))
                .ToList();
            Assert.NotEmpty(tokens);
            string section = Section(OptionsPage, $"### `uk {name} ");
            var missing = tokens.Where(token => !ContainsOption(section, token)).ToList();
            Assert.True(missing.Count == 0, $"docs/options.md, \"uk {name}\", lacks: {string.Join(", ", missing)}");
        }
    }

    [Fact]
    public void EveryUkLdOptionIsDocumented()
    {
        string source = File.ReadAllText(Path.Combine(Root, "linker", "Unikernel.Linker", "CommandLine.cs"));
        var tokens = source.Split('\n')
            .Where(line => line.TrimStart().StartsWith("case ", StringComparison.Ordinal))
            .SelectMany(line => OptionLiteral().Matches(line).Select(match => match.Groups[1].Value))
            .Concat(PrefixLiteral().Matches(source).Select(match => match.Groups[1].Value))
            .ToHashSet();
        Assert.True(tokens.Count >= 20, $"the scan found only {tokens.Count} uk-ld options: {string.Join(", ", tokens)}");

        string section = Section(OptionsPage, "## `uk-ld`");
        var missing = tokens.Where(token => !ContainsOption(section, token)).Order().ToList();
        Assert.True(missing.Count == 0, $"docs/options.md, \"uk-ld\", lacks: {string.Join(", ", missing)}");
    }

    /// <summary>The text from the heading that starts with <paramref name="heading"/> to the next heading of its level or above.</summary>
    private static string Section(string page, string heading)
    {
        int start = page.IndexOf("\n" + heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/options.md has no heading starting with {heading}");
        int level = heading.IndexOf(' ');
        var next = new Regex(@"\n#{1," + level + "} ").Match(page, start + 1 + heading.Length);
        return next.Success ? page[start..next.Index] : page[start..];
    }

    /// <summary>The option as a word of its own: `-e` is not found inside `--entry`, nor `--map` inside `--app-map`.</summary>
    private static bool ContainsOption(string text, string token)
    {
        string after = char.IsLetterOrDigit(token[^1]) || token[^1] == '-' ? @"(?![\w-])" : "";
        return Regex.IsMatch(text, @"(?<![\w-])" + Regex.Escape(token) + after);
    }

    [GeneratedRegex(@"""(uk\.[a-z0-9][a-z0-9.\-]*)")]
    private static partial Regex KernelOptionLiteral();

    [GeneratedRegex(@"""(-[^""\s]*)""")]
    private static partial Regex OptionLiteral();

    [GeneratedRegex(@"StartsWith\(""(-[^""]+)""")]
    private static partial Regex PrefixLiteral();
}
