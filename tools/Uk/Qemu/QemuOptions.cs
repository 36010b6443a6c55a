namespace Unikernel.Tools.Qemu;

/// <summary>Everything that decides how an image is booted.</summary>
public sealed record QemuOptions
{
    public required string ImagePath { get; init; }
    public MachineKind Machine { get; init; } = MachineKind.Microvm;
    public Accelerator Accelerator { get; init; } = Accelerator.Tcg;
    public string Memory { get; init; } = "128M";
    /// <summary>Count guest time in instructions (-icount shift=0): deterministic boot-cost figures.</summary>
    public bool InstructionCounting { get; init; }
    /// <summary>The kernel command line, already in the kernel's grammar (see KernelCommandLine).</summary>
    public string CommandLine { get; init; } = "";
    public string QemuExecutable { get; init; } = "qemu-system-x86_64";
}
