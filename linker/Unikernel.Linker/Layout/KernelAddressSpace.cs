using Unikernel.Linker.Model;

namespace Unikernel.Linker.Layout;

/// <summary>
/// Where a kernel image's parts may lie (docs/boot-abi.md, "Address limits of an image"; the kernel's memory map in
/// docs/architecture.md). The kernel's own segments sit in [1 MiB, 4 MiB): below is the firmware's, and from 4 MiB up
/// is the app's window, which the kernel never maps for itself. An app's PT_LOADs, and <c>uk_image_info</c> and
/// <c>uk_ksyms</c> after them, lie in [4 MiB, 2 GiB): the app is small-code-model code (R_X86_64_32S reaches only the
/// low 2 GiB) and the kernel refuses at boot an app outside that range. The linker refuses at link time what could
/// never fit, each with the segment and the limit in the message, instead of an image that panics at boot.
/// </summary>
public static class KernelAddressSpace
{
    /// <summary>The kernel image's lowest address: the first 1 MiB is the firmware's and stays unmapped.</summary>
    public const ulong KernelStart = 0x10_0000;

    /// <summary>The kernel image ends at or below this: the app's window starts here.</summary>
    public const ulong KernelLimit = 0x40_0000;

    /// <summary>An app's lowest address (its PT_LOADs start at or above it; static executables link at 0x400000).</summary>
    public const ulong AppStart = KernelLimit;

    /// <summary>An app's PT_LOADs, and the uk_image_info/uk_ksyms segment placed after them, end at or below this.</summary>
    public const ulong AppLimit = 0x8000_0000;

    /// <summary>After layout: every segment of the kernel's own (not the detached uk_ksyms one) lies in
    /// [<see cref="KernelStart"/>, <see cref="KernelLimit"/>).</summary>
    public static void CheckKernel(SectionLayout layout)
    {
        foreach (var segment in layout.Segments)
        {
            if (segment.Kind == SegmentKind.Symbols)
                continue;
            ulong end = segment.VirtualAddress + segment.MemorySize;
            string what = $"the kernel's {segment.Kind.ToString().ToLowerInvariant()} segment ({segment.FlagsText}, " +
                $"0x{segment.VirtualAddress:x}-0x{end:x}{LargestSection(segment)})";
            if (segment.VirtualAddress < KernelStart)
                throw new LinkerException($"{what} starts below 1 MiB (0x{KernelStart:x}), which is the firmware's: link the " +
                    "kernel at 0x100000 (--base)");
            if (end > KernelLimit)
                throw new LinkerException($"{what} ends above 4 MiB (0x{KernelLimit:x}), where the app's address range " +
                    "begins: the kernel image must fit in [1 MiB, 4 MiB)");
        }
    }

    private static string LargestSection(OutputSegment segment) =>
        segment.Sections.Count == 0 ? "" : segment.Sections.MaxBy(section => section.Size) is { } largest
            ? $", largest section {largest.Name} of 0x{largest.Size:x} bytes"
            : "";
}
