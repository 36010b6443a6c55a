using System.Text.Json.Serialization;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// Everything uk knows about one deployment, kept in <c>state.json</c> in the deployment's directory
/// (<see cref="DeploymentStore"/>): what it serves on, the load balancer's process, every instance uk started that may
/// still run, and the outcome of the last deploy. Each command reads it afresh, so a restarted uk finds its guests.
/// </summary>
public sealed class DeploymentState
{
    public required string Name { get; set; }
    /// <summary>The address HAProxy listens on for the deployment's clients.</summary>
    public required string BindAddress { get; set; }
    public required int PublicPort { get; set; }
    /// <summary>The port the app listens on inside each guest.</summary>
    public required int GuestPort { get; set; }
    public int? HaproxyPid { get; set; }
    /// <summary>The deployment's syslog receiver (`uk collect`: LogCollector) and its port on 127.0.0.1.</summary>
    public int? CollectorPid { get; set; }
    public int? CollectorPort { get; set; }
    /// <summary>Instances that serve, or may still run: those being started, serving or draining.</summary>
    public List<InstanceRecord> Instances { get; set; } = [];
    /// <summary>Instances stopped lately, newest last, kept for `uk logs` (their directories are removed with them).</summary>
    public List<InstanceRecord> Retired { get; set; } = [];
    /// <summary>Counts deploys: the generation of the instances each one starts.</summary>
    public int Generation { get; set; }
    public DeployOutcome? LastDeploy { get; set; }
}

/// <summary>One guest: a detached QEMU, reached on a forwarded loopback port, stopped through its QMP socket.</summary>
public sealed class InstanceRecord
{
    public required string Id { get; set; }
    public required string Image { get; set; }
    public required int Generation { get; set; }
    /// <summary>The loopback port forwarded to the guest's app port (HAProxy's server address).</summary>
    public required int HostPort { get; set; }
    public int Pid { get; set; }
    public required string Directory { get; set; }
    /// <summary>The console secret of this boot, which tells the kernel's lines in its console log from the app's.</summary>
    public required string ConsoleTag { get; set; }
    public InstanceStatus Status { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? StoppedAt { get; set; }

    [JsonIgnore] public string QmpSocket => Path.Combine(Directory, "qmp.sock");
    [JsonIgnore] public string PidFile => Path.Combine(Directory, "qemu.pid");
    [JsonIgnore] public string ConsoleLog => Path.Combine(Directory, "console.log");
    /// <summary>The lines the guest shipped to the deployment's collector (LogCollector).</summary>
    [JsonIgnore] public string CollectedLog => Path.Combine(Directory, LogCollector.FileName);
}

[JsonConverter(typeof(JsonStringEnumConverter<InstanceStatus>))]
public enum InstanceStatus { Starting, Serving, Draining, Stopped, Failed }

/// <summary>What the last `uk deploy` did: which image, whether it went live or was rolled back, and why.</summary>
public sealed class DeployOutcome
{
    public required string Image { get; set; }
    public required int Generation { get; set; }
    /// <summary>"live", "rolled-back" or "in-progress" (a deploy whose uk ended before it finished).</summary>
    public required string Result { get; set; }
    public string? Message { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>From the deploy command until HAProxy sent the green instances traffic (null when they never got any).</summary>
    public double? SecondsToTraffic { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
                             DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeploymentState))]
internal sealed partial class DeploymentJsonContext : JsonSerializerContext { }
