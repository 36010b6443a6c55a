using System.Globalization;
using Unikernel.Linker.Model;
using Unikernel.Linker.Synthetic;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>
/// The linker script of a static Linux executable, as code. Three PT_LOADs in address order: R (ELF and
/// program headers, notes, constants, unwind tables), RX (.init, .text, .fini) and RW (TLS template,
/// constructor arrays, GOT, data, bss), the order of GNU ld's default script with -z separate-code.
/// </summary>
public static class ExecutableSectionClassifier
{
    public static readonly SegmentKind[] SegmentOrder = [SegmentKind.ReadOnly, SegmentKind.Text, SegmentKind.Data];

    public const string InitArray = ".init_array";
    public const string FiniArray = ".fini_array";
    public const string PreinitArray = ".preinit_array";

    /// <summary>Null when the section is not part of the image.</summary>
    public static Placement? Classify(InputSection section)
    {
        if (!section.IsLive || (section.Flags & SHF_ALLOC) == 0)
            return null;
        string name = section.Name;

        // ld merges the property notes of all inputs into one (AND of the features); concatenating them
        // would be an invalid note, and without PT_GNU_PROPERTY no loader reads them anyway.
        if (name == ".note.gnu.property")
            return null;

        if (section.IsThreadLocal)
            return section.IsNoBits ? new Placement(".tbss", SegmentKind.Data, 1) : new Placement(".tdata", SegmentKind.Data, 0);

        if (section.IsNoBits)
        {
            return name == CommonSymbolAllocator.SectionName || IsOrHasPrefix(name, ".bss")
                ? new Placement(".bss", SegmentKind.Data, 20)
                : new Placement(name, SegmentKind.Data, 21);
        }

        if ((section.Flags & SHF_EXECINSTR) != 0)
        {
            if (name == ".init")
                return new Placement(name, SegmentKind.Text, 0);
            if (IsOrHasPrefix(name, ".text"))
                return new Placement(".text", SegmentKind.Text, 1);
            if (name == ".fini")
                return new Placement(name, SegmentKind.Text, 3);
            return new Placement(name, SegmentKind.Text, 2);
        }

        if ((section.Flags & SHF_WRITE) == 0)
        {
            if (name == BuildId.SectionName)
                return new Placement(name, SegmentKind.ReadOnly, 0);
            if (section.Type == SHT_NOTE || IsOrHasPrefix(name, ".note"))
                return new Placement(name, SegmentKind.ReadOnly, 1);
            if (IsOrHasPrefix(name, ".rodata"))
                return new Placement(".rodata", SegmentKind.ReadOnly, 2);
            if (name == EhFrameHeader.SectionName)
                return new Placement(name, SegmentKind.ReadOnly, 3);
            if (name == ".eh_frame")
                return new Placement(name, SegmentKind.ReadOnly, 4);
            if (IsOrHasPrefix(name, ".gcc_except_table"))
                return new Placement(".gcc_except_table", SegmentKind.ReadOnly, 5);
            return new Placement(name, SegmentKind.ReadOnly, 6);
        }

        if (section.Type == SHT_PREINIT_ARRAY || IsOrHasPrefix(name, PreinitArray))
            return new Placement(PreinitArray, SegmentKind.Data, 2);
        if (section.Type == SHT_INIT_ARRAY || IsOrHasPrefix(name, InitArray))
            return new Placement(InitArray, SegmentKind.Data, 3);
        if (section.Type == SHT_FINI_ARRAY || IsOrHasPrefix(name, FiniArray))
            return new Placement(FiniArray, SegmentKind.Data, 4);
        if (IsOrHasPrefix(name, ".data.rel.ro"))
            return new Placement(".data.rel.ro", SegmentKind.Data, 5);
        if (name == GlobalOffsetTable.SectionName)
            return new Placement(name, SegmentKind.Data, 6);
        if (IsOrHasPrefix(name, ".data"))
            return new Placement(".data", SegmentKind.Data, 7);
        return new Placement(name, SegmentKind.Data, 8);
    }

    /// <summary>
    /// Constructor arrays run in priority order: <c>.init_array.NNNNN</c> inputs sorted by NNNNN first, then
    /// the unnumbered ones in input order (ld's SORT_BY_INIT_PRIORITY). The sort is stable, so equal
    /// priorities keep command-line order.
    /// </summary>
    public static void OrderByInitPriority(SectionLayout layout)
    {
        foreach (var output in layout.Sections)
        {
            if (output.Name is not (InitArray or FiniArray or PreinitArray))
                continue;
            var ordered = output.Inputs.OrderBy(Priority).ToList();
            output.Inputs.Clear();
            output.Inputs.AddRange(ordered);
        }
    }

    private static long Priority(InputSection section)
    {
        int dot = section.Name.LastIndexOf('.');
        if (dot > 0 && long.TryParse(section.Name.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            && section.Name[..dot] is InitArray or FiniArray or PreinitArray)
            return value;
        return long.MaxValue;
    }

    private static bool IsOrHasPrefix(string name, string prefix) =>
        name == prefix || name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name[prefix.Length] == '.';
}
