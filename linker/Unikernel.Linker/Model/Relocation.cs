namespace Unikernel.Linker.Model;

/// <summary>What the relocator does with a GOT-relative relocation; decided before layout because
/// GOT slots take space.</summary>
public enum GotAction : byte
{
    None,
    /// <summary><c>mov reg, [rip+sym@GOT]</c> rewritten to <c>lea reg, [rip+sym]</c>: no GOT slot needed.</summary>
    RelaxToLea,
    UseGotSlot,
}

/// <summary>One RELA entry. The symbol stays an index into the owning file's <see cref="InputFile.Symbols"/>:
/// after resolution that slot holds the winning definition, so no per-relocation lookup by name is needed.</summary>
public struct Relocation
{
    public ulong Offset;
    public long Addend;
    public uint Type;
    public uint SymbolIndex;
    public GotAction GotAction;

    public Relocation(ulong offset, uint type, uint symbolIndex, long addend)
    {
        Offset = offset;
        Type = type;
        SymbolIndex = symbolIndex;
        Addend = addend;
        GotAction = GotAction.None;
    }
}
