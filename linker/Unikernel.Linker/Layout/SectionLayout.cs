using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>
/// The <c>layout</c> pass groups input sections into output sections and orders them; the <c>addresses</c> pass assigns
/// addresses and file offsets. Each segment starts on a fresh page (file offset and address both page aligned) so the
/// loader can map it with its own protection.
/// </summary>
public sealed class SectionLayout
{
    public const ulong PageSize = 0x1000;

    /// <summary>No image can use an address at or above this: it is the top of x86-64's lower half, all a static
    /// executable or our kernel ever maps. Every address the layout computes from input sizes and alignments is checked
    /// against it, which also keeps each sum far below 2^64.</summary>
    public const ulong AddressLimit = 0x0000_8000_0000_0000;

    /// <summary>The image is built in one array before it is written.</summary>
    public const ulong MaxFileBytes = 0x7FFF_FFC7; // Array.MaxLength

    /// <summary>Flags that describe the output section; group/merge/etc. are input-only concepts.</summary>
    private const ulong OutputFlagMask = SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR | SHF_TLS;

    /// <summary>The kernel's segment order (docs/boot-abi.md): code first, then constants, then data.</summary>
    public static readonly SegmentKind[] KernelSegmentOrder = [SegmentKind.Text, SegmentKind.ReadOnly, SegmentKind.Data];

    /// <summary>A kernel image with an app (--app): the same three, and <c>uk_ksyms</c> in a segment of its own that
    /// <see cref="AssignDetachedAddresses"/> places after the app.</summary>
    public static readonly SegmentKind[] KernelWithAppSegmentOrder =
        [SegmentKind.Text, SegmentKind.ReadOnly, SegmentKind.Data, SegmentKind.Symbols];

    private SectionLayout(List<OutputSection> sections, SegmentKind[] segmentOrder)
    {
        Sections = sections;
        SegmentOrder = segmentOrder;
    }

    public SegmentKind[] SegmentOrder { get; }

    public List<OutputSection> Sections { get; }
    public List<OutputSegment> Segments { get; } = [];
    public ulong ImageStart { get; private set; }

    /// <summary>End of the kernel's own segments (page aligned): a detached segment is not part of it.</summary>
    public ulong ImageEnd { get; private set; }

    /// <summary>End of the bytes the segments occupy in the file.</summary>
    public ulong FileEnd { get; private set; }

    public OutputSection? Find(string name) => Sections.Find(section => section.Name == name);

    public static SectionLayout Build(IReadOnlyList<InputFile> files, IReadOnlyList<InputSection> synthetic) =>
        Build(files, synthetic, SectionClassifier.Classify, KernelSegmentOrder);

    public static SectionLayout Build(IReadOnlyList<InputFile> files, IReadOnlyList<InputSection> synthetic,
        Func<InputSection, Placement?> classify, SegmentKind[] segmentOrder)
    {
        var byName = new Dictionary<string, OutputSection>(StringComparer.Ordinal);
        var sections = new List<OutputSection>();

        void Place(InputSection input)
        {
            if (classify(input) is not { } placement)
            {
                input.IsLive = false;
                return;
            }
            if (!byName.TryGetValue(placement.OutputName, out var output))
            {
                output = new OutputSection(placement.OutputName, placement.Segment, placement.Rank, sections.Count)
                {
                    Type = input.Type,
                };
                byName.Add(output.Name, output);
                sections.Add(output);
            }
            else if (output.Type != input.Type)
            {
                // Mixed contents (e.g. NOBITS and PROGBITS under one name) must be file-backed; the
                // NOBITS parts are then written as zeros.
                output.Type = SHT_PROGBITS;
            }
            output.Flags |= input.Flags & OutputFlagMask;
            output.Alignment = Math.Max(output.Alignment, input.Alignment);
            output.Inputs.Add(input);
            input.Output = output;
        }

        foreach (var file in files)
            foreach (var section in file.Sections)
                if (section is not null)
                    Place(section);
        foreach (var section in synthetic)
            Place(section);

        // Each unit's pieces of an output section sit together, unit by unit in command-line order, so that
        // a unit's __start_X/__stop_X can bracket exactly its own X. Files arrive grouped by unit already (the
        // loader reads units in order); the stable sort states it rather than relying on it.
        if (files.Count != 0 && files[0].Unit != files[^1].Unit)
        {
            foreach (var output in sections)
            {
                var ordered = output.Inputs.OrderBy(input => input.File?.Unit.Index ?? int.MaxValue).ToList();
                output.Inputs.Clear();
                output.Inputs.AddRange(ordered);
            }
        }

        sections.Sort((a, b) =>
            a.Segment != b.Segment ? Array.IndexOf(segmentOrder, a.Segment).CompareTo(Array.IndexOf(segmentOrder, b.Segment))
            : a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank)
            : a.FirstSeen.CompareTo(b.FirstSeen));
        return new SectionLayout(sections, segmentOrder);
    }

    /// <summary>Drops a synthetic section that turned out to be unneeded (an empty GOT).</summary>
    public void Remove(InputSection input)
    {
        if (input.Output is not { } output)
            return;
        output.Inputs.Remove(input);
        input.Output = null;
        input.IsLive = false;
        if (output.Inputs.Count == 0)
            Sections.Remove(output);
    }

    /// <summary>
    /// Lays out the segments of <see cref="SegmentOrder"/> one after the other from <paramref name="baseAddress"/>, except
    /// a detached one (<see cref="SegmentKind.Symbols"/>), whose place depends on what follows the image: see
    /// <see cref="AssignDetachedAddresses"/>. <see cref="ImageEnd"/> is the end of these segments only.
    /// </summary>
    /// <param name="mapHeaders">True for executables: the first segment starts at file offset 0 and maps the
    /// ELF and program headers, so that <c>__ehdr_start</c> and the kernel's AT_PHDR point at them.</param>
    public void AssignAddresses(ulong baseAddress, ulong headerBytes, bool mapHeaders = false)
    {
        if (baseAddress >= AddressLimit)
            throw new LinkerException($"--base 0x{baseAddress:x} is at or above the highest address an image can use " +
                $"(0x{AddressLimit:x})");
        ImageStart = baseAddress;
        ulong address = baseAddress;
        ulong fileOffset = mapHeaders ? 0 : AlignUp(headerBytes, PageSize);

        foreach (var kind in SegmentOrder)
        {
            if (IsDetached(kind))
                continue;
            var members = Sections.FindAll(section => section.Segment == kind);
            if (members.Count == 0 && !(mapHeaders && Segments.Count == 0))
                continue;

            bool withHeaders = mapHeaders && Segments.Count == 0;
            var segment = LayOutSegment(kind, members, SegmentStart(address, members), fileOffset, withHeaders ? headerBytes : 0);
            address = segment.VirtualAddress + segment.MemorySize;
            fileOffset = AlignUp(segment.FileOffset + segment.FileSize, PageSize);
        }

        ImageEnd = AlignUp(address, PageSize);
        FileEnd = Segments.Count == 0 ? headerBytes : Segments[^1].FileOffset + Segments[^1].FileSize;
    }

    /// <summary>
    /// After <see cref="AssignAddresses"/>: lays out the detached segment <paramref name="kind"/> at
    /// <paramref name="address"/> and <paramref name="fileOffset"/> (both page aligned, past everything else the caller
    /// puts into the image). It is appended to <see cref="Segments"/> and moves <see cref="FileEnd"/>, not
    /// <see cref="ImageEnd"/>. Null when no section belongs to it.
    /// </summary>
    public OutputSegment? AssignDetachedAddresses(SegmentKind kind, ulong address, ulong fileOffset)
    {
        if (!IsDetached(kind))
            throw new ArgumentException($"{kind} is laid out with the image", nameof(kind));
        if (address % PageSize != 0 || fileOffset % PageSize != 0)
            throw new ArgumentException("a detached segment starts on a page, in memory and in the file");
        var members = Sections.FindAll(section => section.Segment == kind);
        if (members.Count == 0)
            return null;
        ulong start = SegmentStart(address, members);
        var segment = LayOutSegment(kind, members, start, fileOffset + (start - address), 0);
        FileEnd = Math.Max(FileEnd, segment.FileOffset + segment.FileSize);
        return segment;
    }

    private static bool IsDetached(SegmentKind kind) => kind == SegmentKind.Symbols;

    /// <summary>One segment from <paramref name="start"/> (page aligned): its sections in order, after
    /// <paramref name="headerBytes"/> of mapped ELF headers when it holds them.</summary>
    private OutputSegment LayOutSegment(SegmentKind kind, List<OutputSection> members, ulong start, ulong fileOffset,
        ulong headerBytes)
    {
        var segment = new OutputSegment(kind);
        segment.Sections.AddRange(members);
        segment.VirtualAddress = start;
        segment.FileOffset = fileOffset;
        ulong address = start + headerBytes;
        ulong fileBytesEnd = address;

        foreach (var section in members)
        {
            address = Align(address, section);
            section.Address = address;
            section.FileOffset = segment.FileOffset + (address - segment.VirtualAddress);
            ulong end = address;
            foreach (var input in section.Inputs)
            {
                end = Align(end, input.Alignment, input);
                input.OffsetInOutput = end - address;
                end = Grow(end, input.Size, input);
                if (!section.IsNoBits && segment.FileOffset + (end - segment.VirtualAddress) > MaxFileBytes)
                    throw new LinkerException($"section (0x{input.Size:x} bytes, alignment 0x{input.Alignment:x}) would make " +
                        $"the image file larger than uk-ld can write (0x{MaxFileBytes:x} bytes)", file: input.FileName,
                        section: input.Name);
            }
            section.Size = end - address;
            // .tbss is only the template of each thread's zeroed TLS: it takes no room in the image,
            // so what follows it may share its addresses (ld does the same).
            if (section.IsNoBits && (section.Flags & SHF_TLS) != 0)
                continue;
            address = end;
            // NOBITS sections sort last in their segment, so file-backed bytes end at the last PROGBITS.
            if (!section.IsNoBits)
                fileBytesEnd = address;
        }

        segment.FileSize = fileBytesEnd - segment.VirtualAddress;
        segment.MemorySize = address - segment.VirtualAddress;
        Segments.Add(segment);
        return segment;
    }

    /// <summary>Only for values the layout has bounded: below <see cref="AddressLimit"/> (or file offsets below
    /// <see cref="MaxFileBytes"/>), with an alignment a power of two of at most 2^63, the sum cannot wrap.</summary>
    public static ulong AlignUp(ulong value, ulong alignment) =>
        alignment <= 1 ? value : (value + alignment - 1) & ~(alignment - 1);

    /// <summary>A segment starts on a page, or on its first section's alignment when that is stricter.</summary>
    private static ulong SegmentStart(ulong address, List<OutputSection> members)
    {
        if (members.Count == 0)
            return AlignUp(address, PageSize);
        var section = members[0];
        return section.Alignment > PageSize ? Align(address, section) : AlignUp(address, PageSize);
    }

    /// <summary>An output section's start: its alignment is its strictest input's, which an error names.</summary>
    private static ulong Align(ulong address, OutputSection section)
    {
        var strictest = section.Inputs.Count == 0 ? null : section.Inputs.MaxBy(input => input.Alignment);
        return strictest is null ? AlignUp(address, section.Alignment) : Align(address, section.Alignment, strictest);
    }

    /// <summary><paramref name="address"/> (below <see cref="AddressLimit"/>) aligned up for <paramref name="input"/>.</summary>
    private static ulong Align(ulong address, ulong alignment, InputSection input)
    {
        ulong aligned = AlignUp(address, alignment);
        if (aligned >= AddressLimit)
            throw new LinkerException($"section alignment 0x{alignment:x} places it at 0x{aligned:x}, at or above the highest " +
                $"address an image can use (0x{AddressLimit:x})", file: input.FileName, section: input.Name);
        return aligned;
    }

    /// <summary>The end of <paramref name="input"/>'s <paramref name="size"/> bytes from <paramref name="address"/>.</summary>
    private static ulong Grow(ulong address, ulong size, InputSection input)
    {
        if (size > AddressLimit - address)
            throw new LinkerException($"section size 0x{size:x} at 0x{address:x} runs past the highest address an image can " +
                $"use (0x{AddressLimit:x})", file: input.FileName, section: input.Name);
        return address + size;
    }
}
