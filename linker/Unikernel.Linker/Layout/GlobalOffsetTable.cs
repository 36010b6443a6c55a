using System.Buffers.Binary;
using Unikernel.Linker.Model;
using static Unikernel.Linker.ElfConstants;

namespace Unikernel.Linker.Layout;

/// <summary>
/// GOT slots for GOT-relative relocations that cannot be relaxed to a direct reference. In a static
/// image every slot is a link-time constant, so the table is plain data with no dynamic relocations.
/// </summary>
public sealed class GlobalOffsetTable
{
    public const string SectionName = ".got";
    private const int SlotSize = 8;

    private readonly List<Symbol> _slots = [];

    public InputSection Section { get; } =
        new(null, SectionName, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, SlotSize, 0, []);

    public int SlotCount => _slots.Count;

    public void AddSlotFor(Symbol symbol)
    {
        if (symbol.GotSlot >= 0)
            return;
        symbol.GotSlot = _slots.Count;
        _slots.Add(symbol);
        Section.Size = (ulong)(_slots.Count * SlotSize);
    }

    public ulong SlotAddress(Symbol symbol) => Section.Address + (ulong)(symbol.GotSlot * SlotSize);

    /// <summary>After layout: every slot holds its symbol's final address.</summary>
    public void Fill()
    {
        var data = new byte[_slots.Count * SlotSize];
        for (int i = 0; i < _slots.Count; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i * SlotSize), _slots[i].Address);
        Section.Data = data;
    }
}
