using System.CommandLine;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk run IMAGE [options] [-- app args]`: boots the image in QEMU and becomes the app: its stdout and stderr (one serial
/// console) stream to uk's stdout, the kernel's lines (only those carrying this boot's console tag: ConsoleTag) to stderr
/// (hidden by --quiet, and then shown only when the guest fails: a kernel panic, a timeout, no status), and uk exits with
/// the app's status. Exit statuses of uk's own: 2 a usage error (an option's value, a command line the kernel cannot
/// take); 124 the guest ran out of time (--timeout); 125 uk or QEMU failed (no image, an image that cannot boot, QEMU's
/// own error, with its message); 126 the guest stopped without an exit status (a reset or triple fault). Each comes with
/// one line on stderr that says why. Ctrl-C, SIGTERM and SIGHUP ask the guest to shut down (GuestStopper); when the
/// grace period (--stop-timeout) passes first, uk stops QEMU and exits with 128 + the signal's number, as a shell reports
/// a process a signal ended. QEMU never outlives uk (ParentBinding), whatever ends uk.
/// </summary>
public static class RunCommand
{
    /// <summary>uk's own failure, as `docker run` reports its own (the app's statuses keep their meaning).</summary>
    public const int OwnFailure = GuestExit.QemuFailed;
    /// <summary>The kernel's panic status (runtime/Kernel/Arch/Machine.cs: EX_SOFTWARE).</summary>
    public const int KernelPanicStatus = 70;

    public static Command Build(UkConsole console)
    {
        var image = new Argument<FileInfo>("image") { Description = "The bootable image (PVH ELF), e.g. artifacts/images/hello.img, or a disk image from uk image (raw, qcow2, VHD, VMDK)" };
        var appArgs = new Argument<string[]>("args") { Description = "Arguments for the app (after --)", Arity = ArgumentArity.ZeroOrMore };
        var env = new Option<string[]>("--env", "-e") { Description = "KEY=VALUE environment entry for the app (repeatable)", AllowMultipleArgumentsPerToken = false, HelpName = "KEY=VALUE" };
        var envFile = new Option<string[]>("--env-file")
        {
            Description = "Read environment entries from a docker-style env file (NAME=VALUE lines, # comments; a bare NAME takes uk's own value) " +
                          "and hand them to the guest through QEMU's fw_cfg (repeatable; -e entries override them)",
            HelpName = "FILE",
        };
        var stopTimeout = new Option<string>("--stop-timeout")
        {
            Description = "After Ctrl-C, SIGTERM or SIGHUP, how long the guest gets to shut down before uk stops QEMU",
            DefaultValueFactory = _ => DefaultStopTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            HelpName = "SECONDS",
        };
        var kernelOption = new Option<string[]>("--kernel-option", "-k") { Description = "uk.NAME[=VALUE] option for the kernel (repeatable)", HelpName = "uk.NAME[=VALUE]" };
        var memory = new Option<string>("--memory", "-m") { Description = "Guest RAM (QEMU syntax: 64M, 1G)", DefaultValueFactory = _ => "128M", HelpName = "SIZE" };
        var cpus = CpusOption();
        var machine = Choice<MachineKind>("--machine", "QEMU machine model: microvm (no firmware, fastest), pc or q35 (a disk image: pc with BIOS, q35 with UEFI)", MachineKind.Microvm);
        var firmware = Choice<Firmware>("--firmware", "How a disk image boots: bios (SeaBIOS), uefi (OVMF), auto: bios when the disk has our BIOS boot partition", Firmware.Auto);
        var accel = Choice<Accelerator>("--accel",
            "auto: KVM where /dev/kvm opens and a probe guest really runs under it (verdict cached in ~/.cache/uk), else TCG", Accelerator.Auto);
        var icount = new Option<bool>("--icount") { Description = "Count guest time in instructions (-icount shift=0)" };
        var timeout = new Option<string>("--timeout") { Description = "Stop the guest after this many seconds (0: never); status 124 then", DefaultValueFactory = _ => "0", HelpName = "SECONDS" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Hide the kernel's \"uk: \" lines (shown on stderr otherwise; replayed if the guest fails)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the QEMU command and exit" };
        var publish = new Option<string[]>("--publish", "-p")
        {
            Description = "Forward a host port to a guest port through QEMU's user networking (repeatable; the host side is 127.0.0.1 unless IP is given)",
            HelpName = "[IP:]HOST:GUEST[/tcp|/udp]",
        };
        var tap = new Option<string>("--tap")
        {
            Description = "Put the network card on this existing host tap device instead of user networking (give the guest an address: -k uk.net.ip=A.B.C.D/N)",
            HelpName = "NAME",
        };
        var drive = new Option<string[]>("--drive")
        {
            Description = "Attach a disk the guest reads, read-only on virtio-blk: a config drive (cloud-localds's seed with user-data " +
                          "and meta-data, label cidata; an OpenStack config-2 ISO) whose user data sets the app's environment (repeatable)",
            HelpName = "FILE",
        };
        var metadata = new Option<string>("--metadata")
        {
            Description = "Let the guest reach an instance metadata server on the host at 169.254.169.254:80, as on AWS or GCE: the kernel " +
                          "reads the app's environment (user data) and the instance id from it at boot. The server must be listening when QEMU starts " +
                          "(implies --net; the guest's network is then 169.254.169.0/24)",
            HelpName = "[IP:]PORT",
        };
        var userNetwork = new Option<bool>("--net") { Description = "A network card on QEMU's user networking (NAT; outgoing connections only unless -p forwards ports; implied by -p)" };
        // Values are checked here, not by typed options: a bad one is a usage error with one line, never an exception.
        timeout.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, null, out int seconds) || seconds > MaxTimeoutSeconds)
                r.AddError($"--timeout must be a whole number of seconds from 0 to {MaxTimeoutSeconds} (not '{value}')");
        });
        stopTimeout.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, null, out int seconds) || seconds > MaxTimeoutSeconds)
                r.AddError($"--stop-timeout must be a whole number of seconds from 0 to {MaxTimeoutSeconds} (not '{value}')");
        });
        memory.Validators.Add(r =>
        {
            try { MemorySize.Parse(r.GetValueOrDefault<string>() ?? ""); }
            catch (ArgumentException e) { r.AddError(e.Message); }
        });

        var command = new Command("run", "Boot an image in QEMU: the app's output streams to stdout, the kernel's lines to stderr, and uk exits with the app's status")
        {
            image, appArgs, env, envFile, kernelOption, memory, cpus, machine, firmware, accel, icount, timeout, quiet, dryRun, publish, tap, userNetwork, drive, metadata, stopTimeout,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists) return console.Fail($"image not found: {file.FullName}", OwnFailure);
            string? diskFormat;
            try { diskFormat = DiskBoot.Detect(file.FullName); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return console.Fail($"{file}: {e.Message}", OwnFailure); }
            QemuNetwork? network;
            try { network = Network(parse.GetValue(publish) ?? [], parse.GetValue(tap), parse.GetValue(userNetwork), parse.GetValue(metadata)); }
            catch (ArgumentException e) { return console.Fail(e.Message, UkCommandLine.UsageError); }
            bool isQuiet = parse.GetValue(quiet);
            var choice = AcceleratorChooser.Choose(Enum.Parse<Accelerator>(parse.GetValue(accel)!, ignoreCase: true), KvmHost.Default);
            if (choice.Probed && !isQuiet)
                console.Note($"--accel auto: {(choice.Accelerator == Accelerator.Kvm ? "KVM" : "TCG")}: {choice.Reason} (verdict cached in {KvmHost.Default.CachePath})");
            string cmdline;
            BootConfiguration configuration;
            try
            {
                string[] kernelOptions = WithTscRate(CloudOption(parse.GetValue(kernelOption) ?? [], network, parse.GetValue(metadata)), choice.Accelerator, parse.GetValue(icount));
                configuration = BootConfiguration.Prepare(kernelOptions, parse.GetValue(env) ?? [], parse.GetValue(envFile) ?? [],
                                                          parse.GetValue(appArgs) ?? [], Environment.GetEnvironmentVariable, outputIsTerminal: !Console.IsOutputRedirected);
                cmdline = configuration.CommandLine;
            }
            catch (ArgumentException e) { return console.Fail(e.Message, UkCommandLine.UsageError); }
            string memorySize = parse.GetValue(memory)!;
            var drives = new List<QemuDrive>();
            foreach (string path in parse.GetValue(drive) ?? [])
            {
                if (QemuDrive.Problem(path) is { } unusable) return console.Fail(unusable, OwnFailure);
                drives.Add(new QemuDrive(Path.GetFullPath(path)));
            }

            using var runDirectory = configuration.FirmwareEnvironment is null && parse.GetValue(dryRun) ? null : RunDirectory.Create();
            string? firmwareEnvironment = configuration.FirmwareEnvironment is { } block ? runDirectory!.WriteSecret("env", block) : null;
            var options = new QemuOptions
            {
                ImagePath = file.FullName,
                Machine = Enum.Parse<MachineKind>(parse.GetValue(machine)!, ignoreCase: true),
                Accelerator = choice.Accelerator,
                Memory = memorySize,
                Cpus = int.Parse(parse.GetValue(cpus)!, System.Globalization.CultureInfo.InvariantCulture),
                InstructionCounting = parse.GetValue(icount),
                CommandLine = cmdline,
                Network = network,
                Drives = drives,
                FirmwareConfigFiles = firmwareEnvironment is null ? [] : [(BootConfiguration.FirmwareConfigName, firmwareEnvironment)],
            };
            PreparedDisk? prepared = null;
            if (diskFormat is not null)
            {
                var disk = DiskRun.Plan(file.FullName, diskFormat, Enum.Parse<Firmware>(parse.GetValue(firmware)!, ignoreCase: true),
                                        parse.GetResult(machine) is { Implicit: false } ? options.Machine : null,
                                        HasBootConfiguration(parse, kernelOption, env, appArgs) ? cmdline : null);
                if (disk.Problem is { } why) return console.Fail($"{file}: {why}", disk.UsageError ? UkCommandLine.UsageError : OwnFailure);
                options = options with { Machine = disk.Machine, Disk = disk.QemuDisk, CommandLine = disk.CommandLine };
                if (!parse.GetValue(dryRun))
                {
                    options = options with { ConsoleTag = ConsoleTag.New() };
                    try { prepared = DiskBoot.Prepare(file.FullName, diskFormat, disk.ConfigLba, QemuCommand.WithTag(disk.CommandLine, options.ConsoleTag)); }
                    catch (Exception e) when (e is InvalidOperationException or IOException or Unikernel.Disk.Formats.DiskFormatException) { return console.Fail($"{file}: {e.Message}", OwnFailure); }
                    options = options with { Disk = disk.QemuDisk! with { Path = prepared.OverlayPath, Driver = "qcow2" } };
                }
            }
            using var diskOverlay = prepared;
            if (parse.GetValue(dryRun))
            {
                runDirectory?.Keep();   // the printed command reads the environment file from there
                console.Out.WriteLine(QemuCommand.Format(options));
                return 0;
            }
            options = options with { QmpSocketPath = runDirectory!.PathOf("qmp.sock"), BoundToParent = true };
            if (network?.TapDevice is { } tapName && TapDevice.Problem(tapName) is { } problem) return console.Fail(problem, OwnFailure);
            if (parse.GetValue(metadata) is { } server && MetadataForward.Parse(server).Problem() is { } unreachable) return console.Fail(unreachable, OwnFailure);
            if (diskFormat is null && BootableImage.Problem(file.FullName, MemorySize.Parse(memorySize)) is { } unbootable) return console.Fail($"{file}: {unbootable}", OwnFailure);

            int seconds = int.Parse(parse.GetValue(timeout)!);
            var limit = seconds > 0 ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
            var hidden = new Queue<string>();
            void KernelLine(string line)
            {
                if (!isQuiet) { console.Error.WriteLine(line); console.Error.Flush(); return; }
                lock (hidden)
                {
                    hidden.Enqueue(line);
                    while (hidden.Count > KeptKernelLines) hidden.Dequeue();
                }
            }
            void AppOutput(string text) { console.Out.Write(text); console.Out.Flush(); }
            BootResult result;
            using var killQemu = new CancellationTokenSource();
            using var stopper = new GuestStopper(options.QmpSocketPath, TimeSpan.FromSeconds(int.Parse(parse.GetValue(stopTimeout)!)), console.Note, killQemu.Cancel);
            stopper.HandleSignals();
            if (firmwareEnvironment is not null) _ = runDirectory.DeleteOnceQemuReadsAsync(firmwareEnvironment, options.QmpSocketPath);
            try
            {
                result = QemuRunner.RunAsync(options, limit, onOutput: null, killQemu.Token, onQemuError: text => { console.Error.Write(text); console.Error.Flush(); },
                                             onAppOutput: AppOutput, onKernelLine: KernelLine)
                    .GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is InvalidOperationException or FileNotFoundException)
            {
                return console.Fail(e.Message, OwnFailure);
            }
            if (stopper.StoppedQemu) return SignalStatus(stopper.Signal);
            if (stopper.Signal != 0 && result.Problem is not null) { console.Note(result.Problem); return SignalStatus(stopper.Signal); }
            bool guestFailed = result.Problem is not null || result.ExitStatus == KernelPanicStatus;
            if (isQuiet && guestFailed && hidden.Count > 0 && result.ExitStatus != GuestExit.QemuFailed)
            {
                console.Note($"the guest failed (status {result.ExitStatus}); the kernel's last lines, hidden by --quiet:");
                foreach (var line in hidden) console.Error.WriteLine(line);
            }
            if (result.TimedOut) console.Note($"guest stopped after {seconds} s (timeout)");
            else if (result.Problem is { } why) console.Fail(why, result.ExitStatus);
            return result.ExitStatus;
        });
        return command;
    }

    /// <summary>--stop-timeout's default: the kernel's own grace period after SIGTERM (uk.shutdown.grace, 10 s) and 5 s
    /// more, so that an app that ignores SIGTERM ends the kernel's way (status 137 and a reason line) and uk's QMP quit
    /// stays the backstop for a guest that cannot power off.</summary>
    public const int DefaultStopTimeoutSeconds = 15;

    /// <summary>How a shell reports a process a signal ended: 128 + the signal's number (SIGINT 130, SIGTERM 143, SIGHUP 129).</summary>
    public static int SignalStatus(int signal) => 128 + signal;

    private static bool HasBootConfiguration(ParseResult parse, Option<string[]> kernelOptions, Option<string[]> environment, Argument<string[]> arguments)
        => (parse.GetValue(kernelOptions)?.Length ?? 0) + (parse.GetValue(environment)?.Length ?? 0) + (parse.GetValue(arguments)?.Length ?? 0) > 0;

    /// <summary>The longest --timeout a timer takes (about 24 days).</summary>
    public const int MaxTimeoutSeconds = int.MaxValue / 1000;

    /// <summary>How many of the kernel's last lines --quiet keeps for a report when the guest fails.</summary>
    public const int KeptKernelLines = 50;

    /// <summary>The kernel options with uk.tsc.khz added where uk knows the guest's TSC rate (HostTsc) and the user
    /// did not set it: the kernel then starts without its calibration wait.</summary>
    private static string[] WithTscRate(string[] kernelOptions, Accelerator accelerator, bool instructionCounting)
    {
        if (kernelOptions.Any(o => o == HostTsc.Option || o.StartsWith(HostTsc.Option + "=", StringComparison.Ordinal))) return kernelOptions;
        return HostTsc.KernelOption(accelerator, instructionCounting) is { } option ? [option, .. kernelOptions] : kernelOptions;
    }

    /// <summary>
    /// The kernel asks 169.254.169.254 at boot unless told not to (uk.cloud, docs/options.md). Through user networking's
    /// NAT that would be the metadata server of the host uk runs on, when it is a cloud VM: the guest would take the
    /// host's user data and instance id. So a guest with a card asks only with --metadata, or when -k uk.cloud= says so.
    /// </summary>
    private static string[] CloudOption(string[] kernelOptions, QemuNetwork? network, string? metadata)
    {
        if (network == null || metadata != null || kernelOptions.Any(o => o.StartsWith("uk.cloud=", StringComparison.Ordinal))) return kernelOptions;
        return [.. kernelOptions, "uk.cloud=off"];
    }

    /// <summary>The card the options ask for: none (the default: no card, nothing to probe at boot), user networking, or a tap device.</summary>
    private static QemuNetwork? Network(string[] publish, string? tap, bool user, string? metadata)
    {
        if (tap != null && (publish.Length > 0 || user || metadata != null))
            throw new ArgumentException($"-p, --net and --metadata use QEMU's user networking; with --tap {tap} the guest is reached at its own address (drop them)");
        if (tap != null) return new QemuNetwork { TapDevice = tap };
        if (publish.Length == 0 && !user && metadata == null) return null;
        var guestForwards = metadata == null ? new List<string>() : [MetadataForward.Parse(metadata).GuestForward];
        var forwards = publish.Select(PortForward.Parse).ToList();
        var duplicate = forwards.GroupBy(f => (f.Protocol, f.HostAddress, f.HostPort)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"-p: host port {duplicate.Key.HostPort}/{duplicate.Key.Protocol} is forwarded twice");
        return new QemuNetwork
        {
            HostForwards = forwards.Select(f => f.HostForward).ToList(), GuestForwards = guestForwards,
            UserNetworkOptions = metadata == null ? "" : MetadataForward.UserNetwork,
        };
    }

    /// <summary>--cpus N: the guest's virtual CPUs (QEMU -smp; under TCG, multi-threaded TCG), 1 to <see cref="Unikernel.Tools.Export.VmSpec.MaxCpus"/>
    /// as for `uk export`. The kernel starts every one and the app sees them all (Environment.ProcessorCount).</summary>
    internal static Option<string> CpusOption()
    {
        var option = new Option<string>("--cpus") { Description = "Virtual CPUs (QEMU -smp; under TCG each runs on a host thread of its own)", DefaultValueFactory = _ => "1", HelpName = "N" };
        option.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, null, out int n) || n is < 1 or > Unikernel.Tools.Export.VmSpec.MaxCpus)
                r.AddError($"--cpus must be a whole number from 1 to {Unikernel.Tools.Export.VmSpec.MaxCpus} (not '{value}')");
        });
        return option;
    }

    /// <summary>An enum option shown and defaulted in lower case (<c>--machine &lt;microvm|pc&gt;</c>), accepted in any case.</summary>
    internal static Option<string> Choice<T>(string name, string description, T defaultValue) where T : struct, Enum
    {
        var names = Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToArray();
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = string.Join('|', names),
            DefaultValueFactory = _ => defaultValue.ToString().ToLowerInvariant(),
        };
        option.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (value is null || !Enum.TryParse<T>(value, ignoreCase: true, out _) || int.TryParse(value, out _))
                r.AddError($"{name} must be one of: {string.Join(", ", names)} (not '{value}')");
        });
        return option;
    }
}
