using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>
/// The TLS template (.tdata then .tbss) and the x86-64 "variant II" arithmetic: each thread's block sits
/// right below the thread pointer, so a variable's TP offset is its offset in the block minus the block
/// size rounded up to the block alignment (musl and glibc round the same way, from PT_TLS).
/// </summary>
public sealed class TlsLayout
{
    private TlsLayout(ulong start, ulong fileSize, ulong memorySize, ulong alignment)
    {
        Start = start;
        FileSize = fileSize;
        MemorySize = memorySize;
        Alignment = alignment;
    }

    public ulong Start { get; }
    public ulong FileSize { get; }
    public ulong MemorySize { get; }
    public ulong Alignment { get; }

    /// <summary>Where the thread pointer is, relative to <see cref="Start"/>.</summary>
    public ulong AlignedSize => SectionLayout.AlignUp(MemorySize, Alignment);

    /// <summary>A thread pointer-relative offset (negative) of a TLS address.</summary>
    public long TpOffset(ulong address) => (long)(address - Start) - (long)AlignedSize;

    /// <summary>Before addresses: the block starts at its strictest alignment, so .tdata inherits .tbss's.</summary>
    public static void AlignBlock(SectionLayout layout)
    {
        var sections = TlsSections(layout);
        if (sections.Count == 0)
            return;
        ulong alignment = sections.Max(section => section.Alignment);
        sections[0].Alignment = alignment;
    }

    /// <summary>After addresses; null when the program has no thread-local data.</summary>
    public static TlsLayout? Compute(SectionLayout layout)
    {
        var sections = TlsSections(layout);
        if (sections.Count == 0)
            return null;
        ulong start = sections[0].Address;
        ulong end = sections.Max(section => section.End);
        ulong fileEnd = sections.Where(section => !section.IsNoBits).Select(section => section.End).DefaultIfEmpty(start).Max();
        return new TlsLayout(start, fileEnd - start, end - start, sections.Max(section => section.Alignment));
    }

    private static List<OutputSection> TlsSections(SectionLayout layout) =>
        layout.Sections.FindAll(section => (section.Flags & SHF_TLS) != 0);
}
