namespace Unikernel.Tools.Qemu;

/// <summary>Everything that decides how an image is booted.</summary>
public sealed record QemuOptions
{
    public required string ImagePath { get; init; }
    public MachineKind Machine { get; init; } = MachineKind.Microvm;
    public Accelerator Accelerator { get; init; } = Accelerator.Tcg;
    public string Memory { get; init; } = "128M";
    /// <summary>Virtual CPUs (-smp). More than one under TCG runs each on a host thread of its own (multi-threaded TCG),
    /// except with <see cref="InstructionCounting"/>, which QEMU allows only with one TCG thread for all of them.</summary>
    public int Cpus { get; init; } = 1;
    /// <summary>QEMU's -cpu model. `max` has every feature the accelerator can offer (under TCG: RDRAND, AVX2,
    /// ...); `qemu64` is QEMU's default, a baseline x86-64 without RDRAND.</summary>
    public string CpuModel { get; init; } = "max";
    /// <summary>Count guest time in instructions (-icount shift=0): deterministic boot-cost figures.</summary>
    public bool InstructionCounting { get; init; }
    /// <summary>The kernel command line, already in the kernel's grammar (see KernelCommandLine).</summary>
    public string CommandLine { get; init; } = "";
    public string QemuExecutable { get; init; } = "qemu-system-x86_64";
    /// <summary>
    /// Attach isa-debug-exit, through which the kernel hands QEMU its exit status. Without it the
    /// kernel falls back to a reset (what other VMMs see); the status is then only on the console.
    /// </summary>
    public bool DebugExitDevice { get; init; } = true;
    /// <summary>
    /// This boot's console secret (ConsoleTag), passed to the kernel as uk.console.tag; QemuRunner makes a new one for
    /// each boot. Null: none (`uk run --dry-run` prints the command without it, so that it boots with plain "uk:" lines).
    /// </summary>
    public string? ConsoleTag { get; init; }
    /// <summary>QEMU listens for QMP on this Unix socket (uk's shutdown requests: GuestStopper); null: no QMP socket.</summary>
    public string? QmpSocketPath { get; init; }
    /// <summary>fw_cfg files for the guest: (name, host file) pairs, e.g. opt/uk/env (runtime/Kernel/Boot/BootEnvironment.cs).</summary>
    public IReadOnlyList<(string Name, string HostPath)> FirmwareConfigFiles { get; init; } = [];
    /// <summary>
    /// QEMU dies with the process that starts it, however that one ends (SIGKILL included: QemuRunner starts it through
    /// util-linux's setpriv --pdeathsig KILL), in a session of its own so that a terminal's Ctrl-C reaches uk, not QEMU.
    /// </summary>
    public bool BoundToParent { get; init; }
    /// <summary>Boot this disk through firmware instead of <see cref="ImagePath"/> with -kernel (the command line is then
    /// the disk's own configuration: no -append); null (the default): a -kernel boot.</summary>
    public QemuDisk? Disk { get; init; }
    /// <summary>
    /// An initial RAM disk for a Linux kernel given as <see cref="ImagePath"/> (-initrd): the guest is then not one of our
    /// images, so the command line goes to it as it is, without uk's console tag. Null (the default): our image.
    /// </summary>
    public string? InitrdPath { get; init; }
    /// <summary>Disks the guest reads (config drives: QemuDrive), read-only on virtio-blk; empty (the default): none.</summary>
    public IReadOnlyList<QemuDrive> Drives { get; init; } = [];
    /// <summary>A network card on QEMU's user networking, with host port forwards; null (the default): none.</summary>
    public QemuNetwork? Network { get; init; }
    /// <summary>
    /// Run QEMU as a daemon of its own (-daemonize, its pid written to this file): it outlives uk, which finds it again
    /// through the pid file and its QMP socket (`uk deploy`'s instances). The console then goes to <see cref="ConsoleFile"/>.
    /// Null (the default): QEMU runs in the foreground, its console on stdio.
    /// </summary>
    public string? DetachedPidFile { get; init; }
    /// <summary>With <see cref="DetachedPidFile"/>: the file QEMU appends the serial console to.</summary>
    public string? ConsoleFile { get; init; }
    /// <summary>Name the bare code addresses of the kernel's fault reports from the function table beside the image
    /// (IMAGE.syms, uk-ld --symbols-file; FaultSymbolizer) when there is one. Off: the console exactly as the guest wrote it.</summary>
    public bool NameFaultAddresses { get; init; } = true;
    /// <summary>More QEMU arguments, before the network card's (tests add devices with them: disks, PCIe root ports the card may sit behind).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}
