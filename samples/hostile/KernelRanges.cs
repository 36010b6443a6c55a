namespace Hostile;

/// <summary>
/// Addresses the app must never reach (docs/architecture.md, "The address space"): the kernel image below the user
/// window's base (4 MiB), the upper-half direct map, and values that are not canonical at all. On Linux the
/// low ones are ordinary unmapped user addresses; the rest are kernel or non-canonical there too.
/// </summary>
internal static class KernelRanges
{
    public const long UserBase = 0x40_0000;
    public const long Page0 = 0;
    public const long KernelImage = 0x10_0000;
    public const long KernelImageEnd = 0x3F_F000;                 // the last page below the user window
    public const long UpperHalf = unchecked((long)0xFFFF_8000_0000_0000);
    public const long UpperKernelImage = unchecked((long)0xFFFF_8000_0010_0000);   // the kernel image in the direct map
    public const long UpperLapic = unchecked((long)0xFFFF_8000_FEE0_0000);        // the local APIC in the direct map
    public const long TopPage = unchecked((long)0xFFFF_FFFF_FFFF_F000);
    public const long LapicPhysical = 0xFEE0_0000;               // device addresses: user addresses in our layout
    public const long IoapicPhysical = 0xFEC0_0000;
    public const long NonCanonicalLow = 0x0000_8000_0000_0000;    // just past the user window (128 TiB)
    public const long NonCanonicalHigh = unchecked((long)0x8000_0000_0000_0000);

    /// <summary>The three kinds of kernel address every pointer-taking system call is handed.</summary>
    public static readonly (string Name, long Address)[] PointerTargets =
    [
        ("kernel-image", KernelImage),
        ("upper-half", UpperKernelImage),
        ("non-canonical", NonCanonicalLow),
    ];
}
