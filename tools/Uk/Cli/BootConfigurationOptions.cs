using System.CommandLine;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Cli;

/// <summary>
/// The options that make a boot configuration, shared by `uk image`, `uk config` and `uk export`: -e KEY=VALUE, -k
/// uk.NAME[=VALUE] and the app's arguments after --, turned into the kernel command line by <see cref="KernelCommandLine"/>.
/// </summary>
public sealed class BootConfigurationOptions
{
    public Argument<string[]> Arguments { get; } = new("args") { Description = "Arguments for the app (after --)", Arity = ArgumentArity.ZeroOrMore };
    public Option<string[]> Environment { get; } = new("--env", "-e") { Description = "KEY=VALUE environment entry for the app (repeatable)", AllowMultipleArgumentsPerToken = false, HelpName = "KEY=VALUE" };
    public Option<string[]> KernelOptions { get; } = new("--kernel-option", "-k") { Description = "uk.NAME[=VALUE] option for the kernel (repeatable)", HelpName = "uk.NAME[=VALUE]" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Arguments);
        command.Options.Add(Environment);
        command.Options.Add(KernelOptions);
    }

    /// <summary>True when any of -e, -k or app arguments was given.</summary>
    public bool AnyGiven(ParseResult parse)
        => (parse.GetValue(KernelOptions)?.Length ?? 0) + (parse.GetValue(Environment)?.Length ?? 0) + (parse.GetValue(Arguments)?.Length ?? 0) > 0;

    /// <param name="defaults">uk.NAME=VALUE options that go in unless -k names NAME itself.</param>
    /// <exception cref="ArgumentException">What the kernel cannot take, one line.</exception>
    public string CommandLine(ParseResult parse, params string[] defaults)
    {
        string[] given = parse.GetValue(KernelOptions) ?? [];
        string[] added = defaults.Where(d => !given.Any(g => NameOf(g) == NameOf(d))).ToArray();
        return KernelCommandLine.Build([.. added, .. given], parse.GetValue(Environment) ?? [], parse.GetValue(Arguments) ?? []);
    }

    private static string NameOf(string option) => option.Split('=', 2)[0];
}
