using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Deploy;

/// <summary>What `uk deploy` was asked for: the image, where the deployment serves, its instances and their checks.</summary>
public sealed record DeployRequest
{
    public required string Name { get; init; }
    public required string ImagePath { get; init; }
    /// <summary>The public port; null: the deployment's own (required for its first deploy).</summary>
    public int? PublicPort { get; init; }
    public string BindAddress { get; init; } = "127.0.0.1";
    public int GuestPort { get; init; } = 8080;
    public int Instances { get; init; } = 1;
    public required HealthCheck Health { get; init; }
    /// <summary>How long the blue instances' connections may take to finish after they stop getting new requests.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a blue guest gets to power off after system_powerdown before QEMU is stopped.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(Cli.RunCommand.DefaultStopTimeoutSeconds);
    /// <summary>How each instance boots (machine, accelerator, memory); the image, command line, console and QMP are the instance's.</summary>
    public required QemuOptions Machine { get; init; }
    /// <summary>
    /// The boot configuration (-e, -k, --env-file, the app's arguments) with the kernel options uk adds for one
    /// instance (its id, where its logs go); checked once by the command before anything starts.
    /// </summary>
    public required Func<IReadOnlyList<string>, BootConfiguration> Configure { get; init; }
}
