using System.CommandLine;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk ps [--name NAME]`: the deployments and their instances, from the state files, each checked against what runs
/// (a guest or an HAProxy that died shows as such): one line per deployment, one per instance under it.
/// </summary>
public static class PsCommand
{
    public static Command Build(UkConsole console)
    {
        var name = new Option<string>("--name", "-n") { Description = "Only this deployment", HelpName = "NAME" };
        var all = new Option<bool>("--all", "-a") { Description = "Also the instances stopped lately (retired, failed)" };
        var stateDir = DeployCommand.StateDirectory();
        var command = new Command("ps", "List deployments and their instances") { name, all, stateDir };
        command.SetAction(parse =>
        {
            var store = DeploymentStore.Default(parse.GetValue(stateDir), Environment.GetEnvironmentVariable);
            var names = parse.GetValue(name) is { } one ? [one] : store.Names().ToList();
            if (names.Count == 0) { console.Error.WriteLine($"uk: no deployments in {store.Root}"); return 0; }
            foreach (string deployment in names)
            {
                DeploymentState? state;
                try { state = store.Load(deployment); }
                catch (InvalidDataException e) { return console.Fail(e.Message, Deployer.Failed); }
                if (state is null) return console.Fail($"no deployment named '{deployment}' in {store.Root}", Deployer.Failed);
                var haproxy = new HaproxyRuntime(store.DirectoryOf(deployment));
                string balancer = state.HaproxyPid is null ? "stopped" : haproxy.IsRunning(state.HaproxyPid) ? $"HAProxy pid {state.HaproxyPid}" : $"HAProxy pid {state.HaproxyPid} NOT RUNNING";
                console.Out.WriteLine($"{state.Name}  {state.BindAddress}:{state.PublicPort}  {balancer}");
                if (state.LastDeploy is { } last)
                    console.Out.WriteLine($"  last deploy: generation {last.Generation} {Path.GetFileName(last.Image)}: {last.Result}" +
                                          (last.SecondsToTraffic is { } t ? $" (traffic after {t:0.00} s)" : "") + (last.Message is { } m ? $": {m}" : ""));
                var rows = state.Instances.Concat(parse.GetValue(all) ? state.Retired : []).ToList();
                if (rows.Count == 0) continue;
                console.Out.WriteLine($"  {"INSTANCE",-24} {"GEN",3} {"IMAGE",-20} {"ADDRESS",-16} {"PID",7}  STATUS");
                foreach (var i in rows)
                {
                    string status = i.Status.ToString().ToLowerInvariant();
                    if (i.Status is InstanceStatus.Serving or InstanceStatus.Starting or InstanceStatus.Draining && !DetachedInstance.IsRunning(i)) status += " (guest gone)";
                    console.Out.WriteLine($"  {i.Id,-24} {i.Generation,3} {Path.GetFileName(i.Image),-20} {"127.0.0.1:" + i.HostPort,-16} {i.Pid,7}  {status}");
                }
            }
            return 0;
        });
        return command;
    }
}
