using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>Finds the images `make build` produced and boots them the way `uk run` does.</summary>
public static class KernelImages
{
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(60);

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Kernel => Image("kernel.elf");
    public static string SelfTestKernel => Image("kernel-selftest.elf");
    /// <summary>The same kernel linked with its function table beside it (uk-ld -s --symbols-file: IMAGE.syms).</summary>
    public static string SelfTestKernelWithTableBeside => Image("kernel-selftest-beside.elf");

    private static string Image(string name)
    {
        string path = Path.Combine(RepositoryRoot, "artifacts", "images", name);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: run 'make build' first", path);
        return path;
    }

    public static Task<BootResult> BootAsync(string image, MachineKind machine, string commandLine = "", bool icount = false, string memory = "128M",
                                             string cpu = "max", QemuNetwork? network = null, Action<string>? onOutput = null,
                                             CancellationToken cancellation = default, TimeSpan? timeout = null,
                                             IReadOnlyList<string>? qemuArguments = null, int cpus = 1)
        => QemuRunner.RunAsync(new QemuOptions
        {
            ImagePath = image,
            Machine = machine,
            Accelerator = Accelerator.Tcg,
            CommandLine = commandLine,
            InstructionCounting = icount,
            Memory = memory,
            Cpus = cpus,
            CpuModel = cpu,
            Network = network,
            ExtraArguments = qemuArguments ?? [],
        }, timeout ?? BootTimeout, onOutput, cancellation);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Unikernel.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("cannot find the repository root (Unikernel.sln) above " + AppContext.BaseDirectory);
    }
}
