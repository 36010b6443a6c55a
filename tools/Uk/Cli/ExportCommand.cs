using System.CommandLine;
using System.Security.Cryptography;
using Unikernel.Tools.Export;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Cli;

/// <summary>
/// `uk export libvirt|firecracker|kubevirt IMAGE -o DIR [options] [-- app args]`: what the engines users run on when one
/// host is not enough take, generated from an image (docs/deploying.md): a libvirt domain and its qcow2 disk (or the ELF
/// image, booted without firmware), a Firecracker configuration and the ELF image, a KubeVirt VirtualMachine and its
/// containerDisk as an OCI image layout. Environment entries, kernel options and arguments become the kernel command line
/// (on the disk, in the domain's &lt;cmdline&gt; or in boot_args). Every file is written or none (ExportOutput). Exit
/// statuses: 0; 1 the image cannot be read or the output cannot be written; 2 a usage error.
/// </summary>
public static class ExportCommand
{
    public const int CannotExport = 1;

    public static Command Build(UkConsole console)
    {
        var export = new Command("export", "Generate what libvirt, Firecracker or KubeVirt run an image from: a domain definition, a VM configuration, a VirtualMachine with its containerDisk");
        export.Subcommands.Add(Libvirt(console));
        export.Subcommands.Add(Firecracker(console));
        export.Subcommands.Add(KubeVirt(console));
        return export;
    }

    private static Command Libvirt(UkConsole console)
    {
        var common = new CommonOptions();
        var firmware = FirmwareOption(allowNone: true);
        var accel = new Option<string>("--accel") { Description = "The domain type: kvm (host CPU passed through) or tcg (libvirt type 'qemu': emulation, no /dev/kvm needed)", DefaultValueFactory = _ => "kvm", HelpName = "kvm|tcg" };
        accel.Validators.Add(r => { if (r.GetValueOrDefault<string>() is not ("kvm" or "tcg")) r.AddError($"--accel must be kvm or tcg (not '{r.GetValueOrDefault<string>()}')"); });
        var network = new Option<string>("--network") { Description = "The libvirt network for the virtio-net card, 'user' for user-mode networking, or 'none'", DefaultValueFactory = _ => "default", HelpName = "NAME|user|none" };
        var consoleLog = new Option<FileInfo>("--console-log") { Description = "Also write everything the serial console shows to FILE (on the libvirt host)", HelpName = "FILE" };
        var command = new Command("libvirt", "A libvirt domain (NAME.xml) and the disk it boots (NAME.qcow2), or the ELF image (--firmware none): virsh define, virsh start --console")
        {
            firmware, accel, network, consoleLog,
        };
        common.AddTo(command);
        command.SetAction(parse => common.Run(parse, console, (vm, image, output) =>
        {
            var boot = ParseFirmware(parse.GetValue(firmware)!);
            var options = new LibvirtDomain.Options
            {
                Firmware = boot,
                Kvm = parse.GetValue(accel) == "kvm",
                Network = LibvirtNetwork.Parse(parse.GetValue(network)!),
                ConsoleLog = parse.GetValue(consoleLog)?.FullName,
            };
            if (boot == ExportFirmware.None)
            {
                options = options with { KernelPath = output.FinalPath(vm.Name + ".img") };
                output.WriteFile(vm.Name + ".img", image);
            }
            else
            {
                options = options with { DiskPath = output.FinalPath(vm.Name + ".qcow2") };
                output.WriteFile(vm.Name + ".qcow2", ExportDisk.Qcow2(image, vm.CommandLine));
            }
            output.WriteText(vm.Name + ".xml", LibvirtDomain.Build(vm, options));
            return $"virsh define {output.FinalPath(vm.Name + ".xml")} && virsh start --console {vm.Name}";
        }));
        return command;
    }

    private static Command Firecracker(UkConsole console)
    {
        var common = new CommonOptions();
        var tap = new Option<string>("--tap") { Description = "The host tap device of the virtio-net card, or 'none' for no card", DefaultValueFactory = _ => "tap0", HelpName = "NAME|none" };
        var mac = new Option<string>("--mac") { Description = "The card's MAC address (default: derived from the name and image, locally administered)", HelpName = "XX:XX:XX:XX:XX:XX" };
        mac.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (value is null || !System.Text.RegularExpressions.Regex.IsMatch(value, "^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"))
                r.AddError($"--mac must be six hexadecimal bytes separated by ':' (not '{value}')");
        });
        var command = new Command("firecracker", "A Firecracker VM configuration (NAME.json) that boots the ELF image (NAME.img) directly: firecracker --no-api --config-file NAME.json")
        {
            tap, mac,
        };
        common.AddTo(command);
        command.SetAction(parse => common.Run(parse, console, (vm, image, output) =>
        {
            string tapName = parse.GetValue(tap)!;
            var options = new FirecrackerConfig.Options
            {
                KernelPath = output.FinalPath(vm.Name + ".img"),
                TapDevice = tapName == "none" ? null : tapName,
                MacAddress = parse.GetValue(mac)?.ToLowerInvariant(),
            };
            string config = FirecrackerConfig.Build(vm, options);
            output.WriteFile(vm.Name + ".img", image);
            output.WriteText(vm.Name + ".json", config);
            return $"firecracker --no-api --config-file {output.FinalPath(vm.Name + ".json")}";
        }));
        return command;
    }

    private static Command KubeVirt(UkConsole console)
    {
        var common = new CommonOptions();
        var firmware = FirmwareOption(allowNone: false);
        var imageReference = new Option<string>("--image") { Description = "The containerDisk's reference as the cluster pulls it (default: localhost:5000/NAME:latest)", HelpName = "REGISTRY/REPOSITORY:TAG" };
        imageReference.Validators.Add(r => { if (KubeVirtMachine.ImageProblem(r.GetValueOrDefault<string>() ?? "") is { } problem) r.AddError(problem); });
        var command = new Command("kubevirt", "A KubeVirt VirtualMachine (NAME.yaml) and its containerDisk, an OCI image layout holding the disk (NAME-containerdisk/): skopeo copy, kubectl apply")
        {
            firmware, imageReference,
        };
        common.AddTo(command);
        command.SetAction(parse => common.Run(parse, console, (vm, image, output) =>
        {
            string reference = parse.GetValue(imageReference) ?? $"localhost:5000/{vm.Name}:latest";
            var options = new KubeVirtMachine.Options { Firmware = ParseFirmware(parse.GetValue(firmware)!), Image = reference };
            string machine = KubeVirtMachine.Build(vm, options);
            string tag = KubeVirtMachine.Tag(reference);
            var layout = OciImageLayout.Build(vm.Name + ".qcow2", ExportDisk.Qcow2(image, vm.CommandLine), tag, Unikernel.Disk.DiskIdentity.Timestamp);
            string layoutName = vm.Name + "-containerdisk";
            output.WriteTree(layoutName, layout.Files);
            output.WriteText(vm.Name + ".yaml", machine);
            return $"skopeo copy oci:{output.FinalPath(layoutName)}:{tag} docker://{reference} && kubectl apply -f {output.FinalPath(vm.Name + ".yaml")}";
        }));
        return command;
    }

    /// <summary>The options every target takes, and the steps every export goes through.</summary>
    private sealed class CommonOptions
    {
        private readonly Argument<FileInfo> _image = new("image") { Description = "The bootable image (PVH ELF), e.g. artifacts/images/hello.img" };
        private readonly BootConfigurationOptions _boot = new();

        // The kernel asks 169.254.169.254 at boot unless told not to (uk.cloud). From libvirt's NAT, a Firecracker tap
        // or a KubeVirt pod network that address is the metadata server of the host or node the machine runs on, when
        // that is a cloud VM: the guest would take the host's user data and instance id (and could read its credentials).
        // None of the three gives a guest metadata of its own there (Firecracker's MMDS is not configured), so an export
        // says uk.cloud=off unless -k uk.cloud= says otherwise, as `uk run` does for a guest without --metadata.
        private const string NoHostMetadata = "uk.cloud=off";
        private readonly Option<string> _output = new("--output", "-o") { Description = "The directory the files are written to (created if missing)", Required = true, HelpName = "DIR" };
        private readonly Option<string> _name = new("--name") { Description = "The machine's name (default: the image's file name without extension)", HelpName = "NAME" };
        private readonly Option<string> _memory = new("--memory", "-m") { Description = "Guest RAM (64M, 1G; whole MiB)", DefaultValueFactory = _ => "128M", HelpName = "SIZE" };
        private readonly Option<string> _cpus = new("--cpus") { Description = "Virtual CPUs", DefaultValueFactory = _ => "1", HelpName = "N" };

        public CommonOptions()
        {
            _name.Validators.Add(r => { if (VmSpec.NameProblem(r.GetValueOrDefault<string>() ?? "") is { } problem) r.AddError(problem); });
            _memory.Validators.Add(r =>
            {
                try
                {
                    ulong bytes = MemorySize.Parse(r.GetValueOrDefault<string>() ?? "");
                    if (bytes % (1UL << 20) != 0) r.AddError($"--memory {r.GetValueOrDefault<string>()}: the engines take whole MiB");
                }
                catch (ArgumentException e) { r.AddError(e.Message.Replace("-m ", "--memory ")); }
            });
            _cpus.Validators.Add(r =>
            {
                string? value = r.GetValueOrDefault<string>();
                if (!int.TryParse(value, System.Globalization.NumberStyles.None, null, out int n) || n is < 1 or > VmSpec.MaxCpus)
                    r.AddError($"--cpus must be a whole number from 1 to {VmSpec.MaxCpus} (not '{value}')");
            });
        }

        public void AddTo(Command command)
        {
            command.Arguments.Add(_image);
            foreach (var option in new Option[] { _output, _name, _memory, _cpus }) command.Options.Add(option);
            _boot.AddTo(command);
        }

        /// <param name="write">Writes the target's files into the output and returns the command that starts the machine.</param>
        public int Run(ParseResult parse, UkConsole console, Func<VmSpec, byte[], ExportOutput, string> write)
        {
            var file = parse.GetValue(_image)!;
            if (!file.Exists) return console.Fail($"image not found: {file.FullName}", CannotExport);
            ulong memory = MemorySize.Parse(parse.GetValue(_memory)!);
            if (BootableImage.Problem(file.FullName, memory) is { } problem) return console.Fail($"{file}: {problem}", CannotExport);
            string commandLine;
            try
            {
                commandLine = _boot.CommandLine(parse, NoHostMetadata);
            }
            catch (ArgumentException e) { return console.Fail(e.Message, UkCommandLine.UsageError); }
            byte[] image;
            try { image = File.ReadAllBytes(file.FullName); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return console.Fail($"{file}: {e.Message}", CannotExport); }
            var vm = new VmSpec
            {
                Name = parse.GetValue(_name) ?? VmSpec.NameFor(file.Name),
                MemoryBytes = memory,
                Cpus = int.Parse(parse.GetValue(_cpus)!),
                CommandLine = commandLine,
                ImageHash = SHA256.HashData(image),
            };
            string directory = parse.GetValue(_output)!;
            try
            {
                using var output = new ExportOutput(directory);
                string next = write(vm, image, output);
                foreach (string path in output.Commit()) console.Out.WriteLine(path);
                console.Note($"next: {next}");
                return 0;
            }
            catch (ArgumentException e) { return console.Fail(e.Message, UkCommandLine.UsageError); }
            catch (Unikernel.Disk.Formats.DiskFormatException e) { return console.Fail($"{file}: {e.Message}", CannotExport); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return console.Fail($"cannot write {directory}: {e.Message}", CannotExport); }
        }
    }

    private static Option<string> FirmwareOption(bool allowNone)
    {
        string names = allowNone ? "uefi|bios|none" : "uefi|bios";
        var option = new Option<string>("--firmware")
        {
            Description = allowNone
                ? "How the machine boots: uefi (OVMF, q35), bios (SeaBIOS, pc) from the disk, or none (the ELF image loaded by QEMU, pc; no disk)"
                : "How the machine boots the disk: uefi (OVMF, Secure Boot off) or bios (SeaBIOS)",
            DefaultValueFactory = _ => "uefi",
            HelpName = names,
        };
        option.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (value is null || !names.Split('|').Contains(value)) r.AddError($"--firmware must be one of: {names.Replace("|", ", ")} (not '{value}')");
        });
        return option;
    }

    private static ExportFirmware ParseFirmware(string name) => Enum.Parse<ExportFirmware>(name, ignoreCase: true);
}
