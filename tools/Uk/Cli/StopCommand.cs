using System.CommandLine;
using System.Globalization;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Cli;

/// <summary>`uk stop NAME`: the deployment's instances (ACPI power button, then QMP quit) and its HAProxy; --remove also deletes its state and logs.</summary>
public static class StopCommand
{
    public static Command Build(UkConsole console)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var stopTimeout = new Option<string>("--stop-timeout") { Description = "How long each guest gets to shut down before QEMU is stopped, in seconds", DefaultValueFactory = _ => RunCommand.DefaultStopTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), HelpName = "SECONDS" };
        var remove = new Option<bool>("--remove", "--rm") { Description = "Also delete the deployment's state, HAProxy files and console logs" };
        var stateDir = DeployCommand.StateDirectory();
        stopTimeout.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) || s > 86400)
                r.AddError($"--stop-timeout must be a number of seconds from 0 to 86400 (not '{value}')");
        });
        var command = new Command("stop", "Stop a deployment: its instances and its HAProxy") { name, stopTimeout, remove, stateDir };
        command.SetAction(parse =>
        {
            var store = DeploymentStore.Default(parse.GetValue(stateDir), Environment.GetEnvironmentVariable);
            string deployment = parse.GetValue(name)!;
            if (DeploymentStore.NameProblem(deployment) is { } bad) return console.Fail(bad, UkCommandLine.UsageError);
            var grace = TimeSpan.FromSeconds(double.Parse(parse.GetValue(stopTimeout)!, CultureInfo.InvariantCulture));
            var (status, message) = new Deployer(store, console.Note).StopAsync(deployment, grace, parse.GetValue(remove)).GetAwaiter().GetResult();
            if (status != 0) return console.Fail(message, status);
            console.Out.WriteLine(message);
            return 0;
        });
        return command;
    }
}
