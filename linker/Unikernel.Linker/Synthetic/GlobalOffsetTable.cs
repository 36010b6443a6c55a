using System.Buffers.Binary;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// GOT slots for GOT-relative relocations that cannot be relaxed to a direct reference. In a static
/// image every slot is a link-time constant (an address, or for initial-exec TLS a thread-pointer
/// offset), so the table is plain data with no dynamic relocations.
/// </summary>
public sealed class GlobalOffsetTable
{
    public const string SectionName = ".got";
    private const int SlotSize = 8;

    private readonly List<(Symbol Symbol, bool TpOffset)> _slots = [];

    public InputSection Section { get; } =
        new(null, SectionName, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, SlotSize, 0, []);

    public int SlotCount => _slots.Count;

    /// <summary>True when <c>_GLOBAL_OFFSET_TABLE_</c> is referenced: the section stays even without slots.</summary>
    public bool IsReferenced { get; set; }

    public void AddSlotFor(Symbol symbol)
    {
        if (symbol.GotSlot >= 0)
            return;
        symbol.GotSlot = Add(symbol, tpOffset: false);
    }

    public void AddTpOffSlotFor(Symbol symbol)
    {
        if (symbol.TpOffGotSlot >= 0)
            return;
        symbol.TpOffGotSlot = Add(symbol, tpOffset: true);
    }

    private int Add(Symbol symbol, bool tpOffset)
    {
        _slots.Add((symbol, tpOffset));
        Section.Size = (ulong)(_slots.Count * SlotSize);
        return _slots.Count - 1;
    }

    public ulong SlotAddress(Symbol symbol) => Section.Address + (ulong)(symbol.GotSlot * SlotSize);

    public ulong TpOffSlotAddress(Symbol symbol) => Section.Address + (ulong)(symbol.TpOffGotSlot * SlotSize);

    /// <summary>After layout: every slot holds its symbol's final address (or TP offset).</summary>
    public void Fill(TlsLayout? tls = null)
    {
        var data = new byte[_slots.Count * SlotSize];
        for (int i = 0; i < _slots.Count; i++)
        {
            var (symbol, tpOffset) = _slots[i];
            ulong value = tpOffset ? (ulong)tls!.TpOffset(symbol.Address) : symbol.Address;
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i * SlotSize), value);
        }
        Section.Data = data;
    }
}
