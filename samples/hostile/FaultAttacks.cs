namespace Hostile;

/// <summary>Ring 3 touching kernel memory directly, and instructions ring 3 may not execute.</summary>
internal static class FaultAttacks
{
    private static readonly (string Name, long Address)[] Targets =
    [
        ("page0", KernelRanges.Page0),
        ("kernel-image", KernelRanges.KernelImage),
        ("kernel-image-end", KernelRanges.KernelImageEnd),
        ("upper-half", KernelRanges.UpperHalf),
        ("upper-kernel-image", KernelRanges.UpperKernelImage),
        ("upper-lapic", KernelRanges.UpperLapic),
        ("lapic-physical", KernelRanges.LapicPhysical),
        ("ioapic-physical", KernelRanges.IoapicPhysical),
        ("non-canonical-low", KernelRanges.NonCanonicalLow),
        ("non-canonical-high", KernelRanges.NonCanonicalHigh),
        ("top-page", KernelRanges.TopPage),
    ];

    private static readonly string[] Instructions =
    [
        "hlt", "cli", "sti", "in-keyboard", "out-post-code", "in-debug-exit", "out-debug-exit", "lgdt", "lidt", "lldt",
        "ltr", "rdmsr-efer", "wrmsr-tsc-aux", "read-cr0", "read-cr3", "write-cr3", "write-cr4", "invlpg", "wbinvd", "clts",
        "swapgs", "int-page-fault-vector", "int-0x81", "sgdt", "sidt", "sldt", "str", "smsw", "int3", "ud2",
    ];

    public static void Run(AttackRun run)
    {
        foreach (var (name, address) in Targets)
        {
            run.Attack($"load-{name}", () => run.Catcher.Probe("load", address).Describe());
            run.Attack($"store-{name}", () => run.Catcher.Probe("store", address).Describe());
        }
        foreach (var (name, address) in new[] { ("kernel-image", KernelRanges.KernelImage), ("upper-kernel-image", KernelRanges.UpperKernelImage), ("non-canonical-low", KernelRanges.NonCanonicalLow) })
            run.Attack($"call-{name}", () => run.Catcher.Probe("call", address).Describe());
        foreach (string instruction in Instructions)
            run.Attack(instruction, () => run.Catcher.Probe(instruction, KernelRanges.KernelImage).Describe());
    }
}
