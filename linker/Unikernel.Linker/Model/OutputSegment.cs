namespace Unikernel.Linker.Model;

/// <summary>A PT_LOAD segment: a page-aligned run of output sections with one protection.</summary>
public sealed class OutputSegment
{
    public OutputSegment(SegmentKind kind) => Kind = kind;

    public SegmentKind Kind { get; }
    public List<OutputSection> Sections { get; } = [];
    public ulong VirtualAddress { get; set; }
    public ulong FileOffset { get; set; }
    public ulong FileSize { get; set; }
    public ulong MemorySize { get; set; }

    public uint Flags => Kind switch
    {
        SegmentKind.Text => ElfConstants.PF_R | ElfConstants.PF_X,
        SegmentKind.ReadOnly or SegmentKind.Symbols => ElfConstants.PF_R,
        _ => ElfConstants.PF_R | ElfConstants.PF_W,
    };

    public string FlagsText => Kind switch
    {
        SegmentKind.Text => "R-X",
        SegmentKind.ReadOnly or SegmentKind.Symbols => "R--",
        _ => "RW-",
    };
}
