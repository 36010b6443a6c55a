using System.CommandLine;

namespace Unikernel.Tools.Cli;

/// <summary>
/// The `uk` command line (System.CommandLine): `uk run`, `uk inspect`, `uk image`, `uk config`, `uk export` and the
/// deployment family (`uk deploy`, `uk ps`, `uk logs`, `uk stop`), each with --help. Exit statuses: 0 success;
/// 2 a usage error (unknown option, missing argument: the error and a pointer to --help go to stderr); `uk inspect` 1
/// when the image cannot be read; `uk run` the guest's own status, or 125 when uk itself fails (as `docker run`).
/// Colour only on a terminal, and never with NO_COLOR set.
/// </summary>
public static class UkCommandLine
{
    public const int UsageError = 2;

    public static RootCommand Build(UkConsole console)
    {
        var root = new RootCommand("uk: run, inspect, convert and export bootable Unikernel images");
        root.Subcommands.Add(RunCommand.Build(console));
        root.Subcommands.Add(InspectCommand.Build(console));
        root.Subcommands.Add(ImageCommand.Build(console));
        root.Subcommands.Add(ConfigCommand.Build(console));
        root.Subcommands.Add(ExportCommand.Build(console));
        root.Subcommands.Add(DeployCommand.Build(console));
        root.Subcommands.Add(PsCommand.Build(console));
        root.Subcommands.Add(LogsCommand.Build(console));
        root.Subcommands.Add(StopCommand.Build(console));
        root.Subcommands.Add(CollectCommand.Build(console));
        root.Subcommands.Add(SymbolizeCommand.Build(console));
        return root;
    }

    public static int Invoke(string[] args, UkConsole? console = null)
    {
        console ??= UkConsole.System;
        var root = Build(console);
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error };
        if (parse.Errors.Count > 0 && !WantsHelp(args))
        {
            foreach (var error in parse.Errors) console.Fail(error.Message, UsageError);
            string command = string.Join(' ', new[] { "uk" }.Concat(CommandPath(parse.CommandResult)));
            console.Error.WriteLine($"Run '{command} --help' for usage.");
            return UsageError;
        }
        return parse.Invoke(configuration);
    }

    private static bool WantsHelp(string[] args)
        => args.TakeWhile(a => a != "--").Any(a => a is "-h" or "--help" or "-?" or "/?" or "/h");

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new Stack<string>();
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            if (r.Command is not RootCommand) names.Push(r.Command.Name);
        return names;
    }
}
