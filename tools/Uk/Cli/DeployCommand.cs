using System.CommandLine;
using System.Globalization;
using Unikernel.Tools.Deploy;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk deploy IMAGE --name NAME --port PORT`: blue/green on one host behind HAProxy (Deployer). The first deploy of a
/// name starts HAProxy on the port and the image's instances; each later one replaces the serving instances with the new
/// image's once these are healthy, or rolls back. Exit status 0 when the image is live, 1 when it was rolled back or
/// refused (the serving version keeps serving), 2 a usage error. A signal (Ctrl-C, SIGTERM, SIGHUP) before traffic moved
/// rolls the deploy back; after, the deploy finishes.
/// </summary>
public static class DeployCommand
{
    public static Option<string> StateDirectory() => new("--state-dir")
    {
        Description = "Where deployments keep their state, HAProxy's files and the instances' consoles (default: $UK_STATE_DIR, else $XDG_STATE_HOME/uk/deployments)",
        HelpName = "DIR",
    };

    public static Command Build(UkConsole console)
    {
        var image = new Argument<FileInfo>("image") { Description = "The bootable image to deploy (PVH ELF), e.g. artifacts/images/http.img" };
        var name = new Option<string>("--name", "-n") { Description = "The deployment's name", Required = true, HelpName = "NAME" };
        var port = new Option<int?>("--port") { Description = "The public port HAProxy listens on (required by a deployment's first deploy)", HelpName = "PORT" };
        var bind = new Option<string>("--bind") { Description = "The address HAProxy listens on", DefaultValueFactory = _ => "127.0.0.1", HelpName = "IP" };
        var guestPort = new Option<int>("--guest-port") { Description = "The port the app listens on in the guest (uk sets ASPNETCORE_URLS=http://0.0.0.0:PORT unless -e sets ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS)", DefaultValueFactory = _ => 8080, HelpName = "PORT" };
        var instances = new Option<int>("--instances") { Description = "How many instances of the image serve", DefaultValueFactory = _ => 1, HelpName = "N" };
        var health = new Option<string>("--health") { Description = "The health check: GET this path on each new instance; 2xx is healthy", DefaultValueFactory = _ => "/health", HelpName = "PATH" };
        var interval = Seconds("--health-interval", "Time between health checks of a new instance", "0.5");
        var healthTimeout = Seconds("--health-timeout", "How long one health check may take", "2");
        var readyTimeout = Seconds("--ready-timeout", "How long a new instance gets to become healthy before the deploy is rolled back", "60");
        var drainTimeout = Seconds("--drain-timeout", "How long the old instances' requests in flight get to finish after traffic moved", "30");
        var stopTimeout = Seconds("--stop-timeout", "How long an old instance gets to shut down (ACPI power button) before QEMU is stopped", RunCommand.DefaultStopTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var memory = new Option<string>("--memory", "-m") { Description = "Guest RAM of each instance (QEMU syntax)", DefaultValueFactory = _ => "256M", HelpName = "SIZE" };
        var cpus = RunCommand.CpusOption();
        var accel = RunCommand.Choice<Accelerator>("--accel", "auto: KVM where it really runs our guests, else TCG", Accelerator.Auto);
        var envFile = new Option<string[]>("--env-file") { Description = "Environment entries for the app from a docker-style env file, through fw_cfg (repeatable)", HelpName = "FILE" };
        var stateDir = StateDirectory();
        // For the deploy-time comparison (benchmarks/deploy/deploy-time.sh): the same flow with a Linux microVM as each instance.
        var linuxInitrd = new Option<FileInfo>("--linux-initrd") { Description = "IMAGE is a Linux kernel and this its initramfs, whose /init runs the app (for comparisons)", HelpName = "FILE", Hidden = true };
        var linuxAppend = new Option<string>("--linux-append") { Description = "The Linux kernel's command line, after the -e entries (with --linux-initrd)", DefaultValueFactory = _ => "", HelpName = "TEXT", Hidden = true };
        var boot = new BootConfigurationOptions();
        port.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is { } p && p is < 1 or > 65535) r.AddError($"--port must be 1-65535 (not {p})"); });
        guestPort.Validators.Add(r => { if (r.GetValueOrDefault<int>() is var p && p is < 1 or > 65535) r.AddError($"--guest-port must be 1-65535 (not {p})"); });
        instances.Validators.Add(r => { if (r.GetValueOrDefault<int>() is var n && n is < 1 or > 16) r.AddError($"--instances must be 1-16 (not {n})"); });
        memory.Validators.Add(r =>
        {
            try { MemorySize.Parse(r.GetValueOrDefault<string>() ?? ""); }
            catch (ArgumentException e) { r.AddError(e.Message); }
        });
        bind.Validators.Add(r =>
        {
            string value = r.GetValueOrDefault<string>() ?? "";
            if (!System.Net.IPAddress.TryParse(value, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || value.Count(c => c == '.') != 3)
                r.AddError($"--bind must be an IPv4 address (not '{value}')");
        });
        health.Validators.Add(r =>
        {
            try { HealthCheck.ValidatePath(r.GetValueOrDefault<string>() ?? ""); }
            catch (ArgumentException e) { r.AddError(e.Message); }
        });

        var command = new Command("deploy", "Deploy an image blue/green behind HAProxy: start its instances, switch traffic once they are healthy, stop the old ones (or roll back)")
        {
            image, name, port, bind, guestPort, instances, health, interval, healthTimeout, readyTimeout, drainTimeout, stopTimeout, memory, cpus, accel, envFile, stateDir, linuxInitrd, linuxAppend,
        };
        boot.AddTo(command);
        command.SetAction(parse =>
        {
            string deployment = parse.GetValue(name)!;
            if (DeploymentStore.NameProblem(deployment) is { } badName) return console.Fail(badName, UkCommandLine.UsageError);
            var file = parse.GetValue(image)!;
            if (!file.Exists) return console.Fail($"image not found: {file.FullName}", Deployer.Failed);
            var initrd = parse.GetValue(linuxInitrd);
            if (initrd is not null && !initrd.Exists) return console.Fail($"initramfs not found: {initrd.FullName}", Deployer.Failed);
            if (initrd is null && BootableImage.Problem(file.FullName, MemorySize.Parse(parse.GetValue(memory)!)) is { } unbootable) return console.Fail($"{file}: {unbootable}", Deployer.Failed);
            var environment = (parse.GetValue(boot.Environment) ?? []).ToList();
            int appPort = parse.GetValue(guestPort);
            if (!environment.Any(e => e.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal) || e.StartsWith("ASPNETCORE_HTTP_PORTS=", StringComparison.Ordinal)))
                environment.Add($"ASPNETCORE_URLS=http://0.0.0.0:{appPort}");
            var kernelOptions = parse.GetValue(boot.KernelOptions) ?? [];
            var envFiles = parse.GetValue(envFile) ?? [];
            var appArguments = parse.GetValue(boot.Arguments) ?? [];
            if (initrd is not null && (kernelOptions.Length > 0 || envFiles.Length > 0 || appArguments.Length > 0))
                return console.Fail("--linux-initrd: -k, --env-file and app arguments are our kernel's; give a Linux guest -e entries and --linux-append", UkCommandLine.UsageError);
            // A Linux guest knows nothing of uk's instance options (id, log collector): its console is its log.
            BootConfiguration Configure(IReadOnlyList<string> instanceOptions) => initrd is not null
                ? new BootConfiguration(LinuxGuest.CommandLine(parse.GetValue(linuxAppend)!, environment), null)
                : BootConfiguration.Prepare([.. instanceOptions, .. kernelOptions], environment, envFiles, appArguments, Environment.GetEnvironmentVariable, outputIsTerminal: false);
            // Checked with options as long as those uk adds, so that a problem is a usage error before anything starts.
            try { Configure(Deployer.InstanceOptions(new string('x', 40), 65535)); }
            catch (ArgumentException e) { return console.Fail(e.Message, UkCommandLine.UsageError); }
            var choice = AcceleratorChooser.Choose(Enum.Parse<Accelerator>(parse.GetValue(accel)!, ignoreCase: true), KvmHost.Default);
            var request = new DeployRequest
            {
                Name = deployment,
                ImagePath = file.FullName,
                PublicPort = parse.GetValue(port),
                BindAddress = parse.GetValue(bind)!,
                GuestPort = appPort,
                Instances = parse.GetValue(instances),
                Health = new HealthCheck(parse.GetValue(health)!, Time(parse.GetValue(interval)!), Time(parse.GetValue(healthTimeout)!), Time(parse.GetValue(readyTimeout)!)),
                DrainTimeout = Time(parse.GetValue(drainTimeout)!),
                StopTimeout = Time(parse.GetValue(stopTimeout)!),
                Machine = new QemuOptions { ImagePath = file.FullName, InitrdPath = initrd?.FullName, Accelerator = choice.Accelerator, Memory = parse.GetValue(memory)!,
                                       Cpus = int.Parse(parse.GetValue(cpus)!, System.Globalization.CultureInfo.InvariantCulture) },
                Configure = Configure,
            };
            var store = DeploymentStore.Default(parse.GetValue(stateDir), Environment.GetEnvironmentVariable);
            // Ctrl-C, SIGTERM or SIGHUP before traffic moved rolls the deploy back; after, it finishes (bounded): never half done.
            using var interrupted = new CancellationTokenSource();
            var registrations = new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM, System.Runtime.InteropServices.PosixSignal.SIGHUP }
                .Select(signal => System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, context => { context.Cancel = true; interrupted.Cancel(); }))
                .ToList();
            (int status, string message) = (0, "");
            try { (status, message) = new Deployer(store, console.Note).DeployAsync(request, interrupted.Token).GetAwaiter().GetResult(); }
            finally { foreach (var registration in registrations) registration.Dispose(); }
            if (status != 0) return console.Fail(message, status);
            console.Out.WriteLine(message);
            return 0;
        });
        return command;
    }

    private static Option<string> Seconds(string name, string description, string defaultValue)
    {
        var option = new Option<string>(name) { Description = $"{description}, in seconds", DefaultValueFactory = _ => defaultValue, HelpName = "SECONDS" };
        option.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) || seconds > 86400)
                r.AddError($"{name} must be a number of seconds from 0 to 86400 (not '{value}')");
        });
        return option;
    }

    private static TimeSpan Time(string seconds) => TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture));
}
