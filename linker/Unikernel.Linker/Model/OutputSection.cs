namespace Unikernel.Linker.Model;

/// <summary>Which PT_LOAD segment an output section belongs to, in address order.</summary>
public enum SegmentKind
{
    Text,
    ReadOnly,
    Data,

    /// <summary>A kernel image with an app (--app): <c>uk_ksyms</c> in a read-only segment of its own, placed after
    /// the app's highest segment rather than among the kernel's (<see cref="Layout.SectionLayout.AssignDetachedAddresses"/>),
    /// so that a big app's names do not grow the kernel.</summary>
    Symbols,
}

public sealed class OutputSection
{
    public OutputSection(string name, SegmentKind segment, int rank, int firstSeen)
    {
        Name = name;
        Segment = segment;
        Rank = rank;
        FirstSeen = firstSeen;
    }

    public string Name { get; }
    public SegmentKind Segment { get; }

    /// <summary>Position within its segment (e.g. .text.boot before .text); equal ranks keep input order.</summary>
    public int Rank { get; }
    public int FirstSeen { get; }

    public List<InputSection> Inputs { get; } = [];

    public uint Type { get; set; }
    public ulong Flags { get; set; }
    public ulong Alignment { get; set; } = 1;
    public ulong Address { get; set; }
    public ulong Size { get; set; }
    public ulong FileOffset { get; set; }

    /// <summary>Index in the output section header table.</summary>
    public int HeaderIndex { get; set; }

    /// <summary>After layout: the addresses of <paramref name="unit"/>'s pieces (contiguous, see SectionLayout),
    /// or null when the unit has none here.</summary>
    public (ulong Start, ulong End)? RangeOf(LinkUnit unit)
    {
        int first = Inputs.FindIndex(input => input.File?.Unit == unit);
        if (first < 0)
            return null;
        int last = Inputs.FindLastIndex(input => input.File?.Unit == unit);
        return (Inputs[first].Address, Inputs[last].Address + Inputs[last].Size);
    }

    public bool IsNoBits => Type == ElfConstants.SHT_NOBITS;
    public ulong End => Address + Size;

    public override string ToString() => Name;
}
