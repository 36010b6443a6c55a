namespace Unikernel.Tools.Qemu;

/// <summary>Everything that decides how an image is booted.</summary>
public sealed record QemuOptions
{
    public required string ImagePath { get; init; }
    public MachineKind Machine { get; init; } = MachineKind.Microvm;
    public Accelerator Accelerator { get; init; } = Accelerator.Tcg;
    public string Memory { get; init; } = "128M";
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
    /// <summary>Boot this disk through firmware instead of <see cref="ImagePath"/> with -kernel (the command line is then
    /// the disk's own configuration: no -append); null (the default): a -kernel boot.</summary>
    public QemuDisk? Disk { get; init; }
    /// <summary>A network card on QEMU's user networking, with host port forwards; null (the default): none.</summary>
    public QemuNetwork? Network { get; init; }
}
