using Unikernel.Linker.Model;
using Unikernel.Linker.Synthetic;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>Where an input section goes: its output section name, segment, and rank within the segment.</summary>
public readonly record struct Placement(string OutputName, SegmentKind Segment, int Rank);

/// <summary>
/// The linker script, as code. The order inside each segment is part of the boot contract: the PVH
/// note and boot code come first, generated tables after the compiler's data.
/// </summary>
public static class SectionClassifier
{
    public const string TlsNotSupported = "thread-local storage is not supported in the kernel unit";

    /// <summary>Null when the section is not part of the image.</summary>
    public static Placement? Classify(InputSection section)
    {
        if (!section.IsLive || (section.Flags & SHF_ALLOC) == 0)
            return null;

        // The kernel sets up no thread pointer. ILC always emits a small .tdata for inlined thread statics
        // even when nothing uses it, so TLS sections are dropped here and the relocation scanner rejects
        // any actual use of a thread-local symbol.
        if (section.IsThreadLocal)
            return null;

        string name = section.Name;
        if (section.IsNoBits)
        {
            return name == CommonSymbolAllocator.SectionName || IsOrHasPrefix(name, ".bss")
                ? new Placement(".bss", SegmentKind.Data, 10)
                : new Placement(name, SegmentKind.Data, 11);
        }

        if ((section.Flags & SHF_EXECINSTR) != 0)
        {
            if (name == ".text.boot")
                return new Placement(".text.boot", SegmentKind.Text, 0);
            if (IsOrHasPrefix(name, ".text"))
                return new Placement(".text", SegmentKind.Text, 1);
            if (name == "__managedcode")
                return new Placement(name, SegmentKind.Text, 2);
            return new Placement(name, SegmentKind.Text, 3);
        }

        if ((section.Flags & SHF_WRITE) == 0)
        {
            if (section.Type == SHT_NOTE || IsOrHasPrefix(name, ".note"))
                return new Placement(name, SegmentKind.ReadOnly, 0);
            if (IsOrHasPrefix(name, ".rodata"))
                return new Placement(".rodata", SegmentKind.ReadOnly, 1);
            if (name == ".eh_frame")
                return new Placement(name, SegmentKind.ReadOnly, 2);
            if (name == KernelSymbolTable.SectionName)
                return new Placement(name, SegmentKind.ReadOnly, 4);
            return new Placement(name, SegmentKind.ReadOnly, 5);
        }

        if (IsOrHasPrefix(name, ".data.rel.ro"))
            return new Placement(".data.rel.ro", SegmentKind.Data, 1);
        if (IsOrHasPrefix(name, ".data"))
            return new Placement(".data", SegmentKind.Data, 0);
        if (name == "__modules")
            return new Placement(name, SegmentKind.Data, 2);
        if (name == GlobalOffsetTable.SectionName)
            return new Placement(name, SegmentKind.Data, 4);
        return new Placement(name, SegmentKind.Data, 3);
    }

    /// <summary>
    /// A kernel image with an app (--app): as <see cref="Classify"/>, but <c>uk_ksyms</c> goes to a read-only segment
    /// of its own after the app (<see cref="SegmentKind.Symbols"/>). With the app's function names it grows with
    /// the app (1.5 MB for samples/conformance); among the kernel's segments it would push the kernel's data, boot
    /// stack included, up towards the app.
    /// </summary>
    public static Placement? ClassifyWithApp(InputSection section)
    {
        // uk_image_info opens that segment, at AppEnd, where the kernel looks for it (docs/boot-abi.md).
        if (section.File is null && section.Name == ImageInfo.SectionName)
            return new Placement(section.Name, SegmentKind.Symbols, 0);
        // uk_files closes it, after uk_ksyms: the kernel keeps the pages from KsymsStart to FilesEnd.
        if (section.File is null && section.Name == ImageFiles.SectionName)
            return new Placement(section.Name, SegmentKind.Symbols, 6);
        var placement = Classify(section);
        return placement is { Segment: SegmentKind.ReadOnly, OutputName: KernelSymbolTable.SectionName }
            ? placement.Value with { Segment = SegmentKind.Symbols }
            : placement;
    }

    /// <summary><c>.text</c> matches <c>.text</c> and <c>.text.foo</c>, but not <c>.textual</c>.</summary>
    private static bool IsOrHasPrefix(string name, string prefix) => name == prefix || HasPrefix(name, prefix);

    private static bool HasPrefix(string name, string prefix) =>
        name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name[prefix.Length] == '.';
}
