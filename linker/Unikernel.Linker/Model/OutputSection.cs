namespace Unikernel.Linker.Model;

/// <summary>Which PT_LOAD segment an output section belongs to, in address order.</summary>
public enum SegmentKind
{
    Text,
    ReadOnly,
    Data,
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

    public bool IsNoBits => Type == ElfConstants.SHT_NOBITS;
    public ulong End => Address + Size;

    public override string ToString() => Name;
}
