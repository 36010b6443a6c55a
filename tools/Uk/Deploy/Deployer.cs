using System.Diagnostics;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// Blue/green on one host. A deploy starts the new image's instances (green) next to the serving ones (blue), waits
/// until each passes the health check, adds them to HAProxy's backend, puts blue in drain (no new requests; those in
/// flight finish), waits until blue's sessions are gone (bounded by the drain timeout), takes blue out of the backend
/// and stops it. When a green instance never becomes healthy, green is stopped and blue keeps serving untouched: the
/// deploy is rolled back and fails. Every step is recorded in the state file before it is taken.
/// </summary>
public sealed class Deployer(DeploymentStore store, Action<string> note)
{
    /// <summary>Deploy exit statuses: 0 live; 1 rolled back or refused (another deploy running, bad state).</summary>
    public const int Failed = 1;

    private const int RetiredKept = 12;

    /// <param name="interrupted">Cancelled by a signal to uk: before traffic moved, the deploy is rolled back; after, it finishes (bounded by the drain and stop timeouts).</param>
    public async Task<(int Status, string Message)> DeployAsync(DeployRequest request, CancellationToken interrupted = default)
    {
        var clock = Stopwatch.StartNew();
        string directory = store.DirectoryOf(request.Name);
        using var held = DeploymentLock.TryTake(directory, out string holder);
        if (held is null)
            return (Failed, $"deployment '{request.Name}' is being changed by another uk ({holder}); the running version keeps serving: wait for it to finish");
        DeploymentState? state;
        try { state = store.Load(request.Name); }
        catch (InvalidDataException e) { return (Failed, e.Message); }
        if (state is null)
        {
            if (request.PublicPort is not { } port) return (Failed, $"deployment '{request.Name}' is new: give its public port (--port)");
            state = new DeploymentState { Name = request.Name, BindAddress = request.BindAddress, PublicPort = port, GuestPort = request.GuestPort };
        }
        else if (request.PublicPort is { } port && (port != state.PublicPort || request.BindAddress != state.BindAddress))
            return (Failed, $"deployment '{request.Name}' serves on {state.BindAddress}:{state.PublicPort}, not {request.BindAddress}:{port} (uk stop {request.Name} --remove to start it afresh)");
        state.GuestPort = request.GuestPort;

        var haproxy = new HaproxyRuntime(directory);
        await RecoverAsync(state, haproxy).ConfigureAwait(false);
        if (!haproxy.IsRunning(state.HaproxyPid))
        {
            try { state.HaproxyPid = haproxy.Start(state, state.Instances.Where(i => i.Status == InstanceStatus.Serving)); }
            catch (Exception e) when (e is InvalidOperationException or IOException) { return (Failed, e.Message); }
            note($"HAProxy (pid {state.HaproxyPid}) serves {state.BindAddress}:{state.PublicPort}");
        }
        if (!LogCollector.IsRunning(state.CollectorPid, directory))
        {
            int? previousPort = state.CollectorPort;
            try { (state.CollectorPid, state.CollectorPort) = LogCollector.StartBackground(directory, previousPort); }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception) { return (Failed, e.Message); }
            note($"log collector (uk collect, pid {state.CollectorPid}) on 127.0.0.1:{state.CollectorPort}, syslog over TCP and UDP");
            if (previousPort is { } old && old != state.CollectorPort && state.Instances.Any(i => i.Status == InstanceStatus.Serving))
                note($"port {old}, where the serving instances ship their logs, was taken: their logs are lost until this deploy replaces them");
        }

        var blue = state.Instances.Where(i => i.Status == InstanceStatus.Serving).ToList();
        state.Generation++;
        var outcome = new DeployOutcome { Image = request.ImagePath, Generation = state.Generation, Result = "in-progress", StartedAt = DateTimeOffset.UtcNow };
        state.LastDeploy = outcome;
        var green = new List<InstanceRecord>();
        for (int i = 0; i < request.Instances; i++)
        {
            string id = $"{request.Name}-{state.Generation}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
            green.Add(new InstanceRecord
            {
                Id = id, Image = request.ImagePath, Generation = state.Generation, HostPort = DetachedInstance.FreeLoopbackPort(),
                Directory = Path.Combine(directory, id), ConsoleTag = ConsoleTag.New(), Status = InstanceStatus.Starting, StartedAt = DateTimeOffset.UtcNow,
            });
        }
        state.Instances.AddRange(green);
        store.Save(state);

        string? failure = null;
        foreach (var instance in green)
        {
            if (interrupted.IsCancellationRequested) { failure = "interrupted before the new instances were healthy"; break; }
            try
            {
                instance.Pid = Start(request, instance, state.CollectorPort!.Value);
                store.Save(state);
                note($"started {instance.Id} (QEMU pid {instance.Pid}, 127.0.0.1:{instance.HostPort} -> guest port {state.GuestPort})");
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException)
            {
                failure = $"{instance.Id}: {e.Message}";
                break;
            }
        }
        if (failure is null)
        {
            var checks = green.Select(async i => (i, Problem: await request.Health.WaitUntilHealthyAsync(i.HostPort, () => DetachedInstance.IsRunning(i), interrupted).ConfigureAwait(false))).ToList();
            try
            {
                var results = await Task.WhenAll(checks).ConfigureAwait(false);
                if (results.FirstOrDefault(r => r.Problem is not null) is { Problem: { } problem } bad) failure = $"{bad.i.Id} {problem}";
                else note($"{green.Count} green instance(s) healthy ({request.Health.Path}) after {clock.Elapsed.TotalSeconds:0.00} s");
            }
            catch (OperationCanceledException) { failure = "interrupted before the new instances were healthy"; }
        }
        var added = new List<InstanceRecord>();
        if (failure is null)
        {
            try
            {
                foreach (var instance in green)
                {
                    await haproxy.AddServerAsync(instance).ConfigureAwait(false);
                    added.Add(instance);
                    instance.Status = InstanceStatus.Serving;
                }
                outcome.SecondsToTraffic = clock.Elapsed.TotalSeconds;
                store.Save(state);
                note($"traffic on green after {outcome.SecondsToTraffic:0.00} s");
            }
            catch (IOException e) { failure = e.Message; }
        }
        if (failure is not null)
        {
            foreach (var instance in added)
                try { await haproxy.RemoveServerAsync(instance).ConfigureAwait(false); } catch (IOException) { }
            await RetireAsync(state, green, InstanceStatus.Failed, TimeSpan.Zero).ConfigureAwait(false);
            outcome.Result = "rolled-back";
            outcome.Message = failure;
            outcome.FinishedAt = DateTimeOffset.UtcNow;
            store.Save(state);
            string serving = blue.Count > 0 ? $"generation {blue[0].Generation} ({Path.GetFileName(blue[0].Image)}) keeps serving" : "nothing was serving";
            return (Failed, $"deploy of {Path.GetFileName(request.ImagePath)} to '{request.Name}' rolled back: {failure}; {serving}; the new instances' consoles are in {directory}");
        }

        await DrainAndStopAsync(state, haproxy, blue, request.DrainTimeout, request.StopTimeout).ConfigureAwait(false);
        outcome.Result = "live";
        outcome.FinishedAt = DateTimeOffset.UtcNow;
        store.Save(state);
        return (0, $"{Path.GetFileName(request.ImagePath)} is live on {state.BindAddress}:{state.PublicPort} ({green.Count} instance(s), generation {state.Generation}; traffic after {outcome.SecondsToTraffic:0.00} s, done after {clock.Elapsed.TotalSeconds:0.00} s)");
    }

    /// <summary>
    /// The kernel options uk gives each instance: its id (the HOSTNAME of its shipped lines, as `uk ps` names it) and the
    /// deployment's collector over TCP syslog (docs/logs.md), which the guest reaches as 10.0.2.2 through user networking.
    /// </summary>
    public static IReadOnlyList<string> InstanceOptions(string id, int collectorPort)
        => [$"uk.instance={id}", $"uk.log.syslog=tcp://10.0.2.2:{collectorPort}"];

    private int Start(DeployRequest request, InstanceRecord instance, int collectorPort)
    {
        Directory.CreateDirectory(instance.Directory);
        var configuration = request.Configure(InstanceOptions(instance.Id, collectorPort));
        var options = request.Machine with
        {
            ImagePath = request.ImagePath,
            CommandLine = configuration.CommandLine,
            Network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", instance.HostPort, request.GuestPort)] },
        };
        string? environmentFile = null;
        if (configuration.FirmwareEnvironment is { } block)
        {
            environmentFile = Path.Combine(instance.Directory, "env");
            using (var file = new FileStream(environmentFile, new FileStreamOptions
                   { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
                file.Write(block);
            options = options with { FirmwareConfigFiles = [(BootConfiguration.FirmwareConfigName, environmentFile)] };
        }
        try { return DetachedInstance.Start(options, instance); }
        finally { if (environmentFile is not null) File.Delete(environmentFile); }   // read while QEMU built the machine, before it daemonized
    }

    /// <summary>Blue in drain, then (sessions gone or the drain timeout over) out of the backend and stopped.</summary>
    private async Task DrainAndStopAsync(DeploymentState state, HaproxyRuntime haproxy, List<InstanceRecord> blue, TimeSpan drainTimeout, TimeSpan stopTimeout)
    {
        if (blue.Count == 0) return;
        foreach (var instance in blue)
        {
            try { await haproxy.DrainAsync(instance).ConfigureAwait(false); }
            catch (IOException e) { note(e.Message); }
            instance.Status = InstanceStatus.Draining;
        }
        store.Save(state);
        var clock = Stopwatch.StartNew();
        int open = 0;
        while (true)
        {
            try
            {
                var servers = await haproxy.ServersAsync().ConfigureAwait(false);
                open = blue.Sum(i => servers.TryGetValue(i.Id, out var s) ? s.Sessions : 0);
            }
            catch (IOException e) { note(e.Message); open = 0; }
            if (open == 0 || clock.Elapsed >= drainTimeout) break;
            await Task.Delay(100).ConfigureAwait(false);
        }
        note(open == 0 ? $"blue drained in {clock.Elapsed.TotalSeconds:0.00} s" : $"blue still had {open} session(s) after the drain timeout ({drainTimeout.TotalSeconds:0.#} s): stopping it anyway");
        foreach (var instance in blue)
            try { await haproxy.RemoveServerAsync(instance).ConfigureAwait(false); }
            catch (IOException e) { note(e.Message); }
        await RetireAsync(state, blue, InstanceStatus.Stopped, stopTimeout).ConfigureAwait(false);
    }

    /// <summary>Stops the instances (in parallel) and moves them to the retired list, whose oldest entries (and directories) go.</summary>
    private async Task RetireAsync(DeploymentState state, List<InstanceRecord> instances, InstanceStatus status, TimeSpan grace)
    {
        var endings = await Task.WhenAll(instances.Select(i => DetachedInstance.StopAsync(i, grace))).ConfigureAwait(false);
        for (int i = 0; i < instances.Count; i++)
        {
            note($"{instances[i].Id}: {endings[i]}");
            instances[i].Status = status;
            instances[i].StoppedAt = DateTimeOffset.UtcNow;
            state.Instances.Remove(instances[i]);
            state.Retired.Add(instances[i]);
        }
        while (state.Retired.Count > RetiredKept)
        {
            var oldest = state.Retired[0];
            state.Retired.RemoveAt(0);
            try { Directory.Delete(oldest.Directory, recursive: true); }
            catch (DirectoryNotFoundException) { }
        }
        store.Save(state);
    }

    /// <summary>
    /// What a deploy whose uk ended midway left (instances still Starting or Draining), and guests that died: they go,
    /// so that the state again says exactly what serves.
    /// </summary>
    private async Task RecoverAsync(DeploymentState state, HaproxyRuntime haproxy)
    {
        var leftovers = state.Instances.Where(i => i.Status is InstanceStatus.Starting or InstanceStatus.Draining || !DetachedInstance.IsRunning(i)).ToList();
        if (leftovers.Count == 0) return;
        foreach (var instance in leftovers)
        {
            note($"{instance.Id}: {(DetachedInstance.IsRunning(instance) ? $"left {instance.Status.ToString().ToLowerInvariant()} by an earlier uk" : "its guest has stopped")}: removing it");
            if (haproxy.IsRunning(state.HaproxyPid))
                try { await haproxy.RemoveServerAsync(instance).ConfigureAwait(false); } catch (IOException) { }
        }
        await RetireAsync(state, leftovers, InstanceStatus.Failed, TimeSpan.Zero).ConfigureAwait(false);
        if (state.LastDeploy is { Result: "in-progress" } interrupted)
        {
            interrupted.Result = "rolled-back";
            interrupted.Message = "the uk that ran it ended before it finished";
        }
    }

    /// <summary>`uk stop`: every instance out of the backend and stopped, then HAProxy; the state and logs stay unless removed.</summary>
    public async Task<(int Status, string Message)> StopAsync(string name, TimeSpan stopTimeout, bool remove)
    {
        string directory = store.DirectoryOf(name);
        if (!Directory.Exists(directory)) return (Failed, $"no deployment named '{name}' in {store.Root}");
        using var held = DeploymentLock.TryTake(directory, out string holder);
        if (held is null) return (Failed, $"deployment '{name}' is being changed by another uk ({holder}): wait for it to finish");
        DeploymentState? state;
        try { state = store.Load(name); }
        catch (InvalidDataException e) { return (Failed, e.Message); }
        if (state is null) return (Failed, $"no deployment named '{name}' in {store.Root}");
        var haproxy = new HaproxyRuntime(directory);
        int count = state.Instances.Count;
        if (haproxy.IsRunning(state.HaproxyPid))
            foreach (var instance in state.Instances)
                try { await haproxy.DrainAsync(instance).ConfigureAwait(false); } catch (IOException) { }
        await RetireAsync(state, state.Instances.ToList(), InstanceStatus.Stopped, stopTimeout).ConfigureAwait(false);
        await haproxy.StopAsync(state.HaproxyPid, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        state.HaproxyPid = null;
        if (LogCollector.IsRunning(state.CollectorPid, directory))
            try { System.Diagnostics.Process.GetProcessById(state.CollectorPid!.Value).Kill(); }   // the guests have flushed their logs: they powered off
            catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
        state.CollectorPid = null;
        store.Save(state);
        held.Dispose();
        if (remove) store.Delete(name);
        return (0, $"deployment '{name}' stopped ({count} instance(s), HAProxy and the log collector){(remove ? "; its state and logs removed" : $"; logs kept in {directory}")}");
    }
}
