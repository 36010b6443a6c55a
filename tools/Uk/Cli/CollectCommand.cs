using System.CommandLine;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Cli;

/// <summary>`uk collect --directory DIR` (hidden): a deployment's syslog receiver (LogCollector), which `uk deploy` starts in the background and `uk stop` ends.</summary>
public static class CollectCommand
{
    public static Command Build(UkConsole console)
    {
        var directory = new Option<DirectoryInfo>("--directory") { Description = "The deployment's directory (collected.log goes into its instances' directories)", Required = true, HelpName = "DIR" };
        var port = new Option<int?>("--port") { Description = "Listen on this port when it is free (the one running instances ship to), else on one the kernel picks", HelpName = "PORT" };
        var command = new Command("collect", "Receive a deployment's shipped logs (started by uk deploy)") { directory, port };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(directory)!;
            if (!dir.Exists) return console.Fail($"no such directory: {dir.FullName}", Deployer.Failed);
            using var stop = new CancellationTokenSource();
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            new LogCollector(dir.FullName).RunAsync(stop.Token, parse.GetValue(port)).GetAwaiter().GetResult();
            return 0;
        });
        return command;
    }
}
