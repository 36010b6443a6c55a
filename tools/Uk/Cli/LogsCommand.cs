using System.CommandLine;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk logs NAME [-f]`: what the deployment's instances wrote (the app's output and the kernel's lines), each line after
/// its instance's id, instance by instance in the order they started; -f then follows them and those later deploys
/// start, until Ctrl-C. By default the lines are the instances' consoles (kept by uk, complete from the first boot line);
/// --shipped shows instead what they shipped to the deployment's collector (LogCollector), with each line's time and stream.
/// </summary>
public static class LogsCommand
{
    public static Command Build(UkConsole console)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines, also of instances started later" };
        var shipped = new Option<bool>("--shipped") { Description = "The lines the instances shipped to the deployment's syslog collector (time, stream, line) instead of their consoles" };
        var stateDir = DeployCommand.StateDirectory();
        var command = new Command("logs", "Print a deployment's logs: its instances' consoles") { name, follow, shipped, stateDir };
        command.SetAction(parse =>
        {
            var store = DeploymentStore.Default(parse.GetValue(stateDir), Environment.GetEnvironmentVariable);
            string deployment = parse.GetValue(name)!;
            if (DeploymentStore.NameProblem(deployment) is { } bad) return console.Fail(bad, UkCommandLine.UsageError);
            var readers = new Dictionary<string, InstanceLogReader>(StringComparer.Ordinal);
            bool First()
            {
                DeploymentState? state;
                try { state = store.Load(deployment); }
                catch (InvalidDataException e) { console.Fail(e.Message, Deployer.Failed); return false; }
                if (state is null) { console.Fail($"no deployment named '{deployment}' in {store.Root}", Deployer.Failed); return false; }
                foreach (var instance in state.Retired.Concat(state.Instances).OrderBy(i => i.StartedAt))
                    if (!readers.ContainsKey(instance.Id)) readers[instance.Id] = new InstanceLogReader(instance, parse.GetValue(shipped));
                return true;
            }
            if (!First()) return Deployer.Failed;
            void Print()
            {
                foreach (var reader in readers.Values)
                    foreach (string line in reader.ReadNewLines()) console.Out.WriteLine($"{reader.Instance.Id} | {line}");
                console.Out.Flush();
            }
            Print();
            if (!parse.GetValue(follow)) return 0;
            while (true)
            {
                Thread.Sleep(250);
                if (!First()) return Deployer.Failed;
                Print();
            }
        });
        return command;
    }
}
