using System.Buffers.Binary;
using Unikernel.Linker.Model;

namespace Unikernel.Linker.Layout;

/// <summary>One CIE or FDE of an input <c>.eh_frame</c> (or its zero terminator).</summary>
public sealed class EhFrameRecord
{
    public required InputSection Section { get; init; }
    public required int Offset { get; init; }
    public required int Size { get; init; }
    public bool IsCie { get; init; }
    public bool IsTerminator { get; init; }

    /// <summary>FDE: where its CIE pointer field is (and how wide: 4, or 8 in the 64-bit DWARF format).</summary>
    public int CiePointerOffset { get; init; }
    public int CiePointerSize { get; init; }
    public EhFrameRecord? Cie { get; set; }

    /// <summary>FDE: the relocation of its pc_begin field, whose symbol is the function it describes.</summary>
    public int PcBeginRelocation { get; set; } = -1;

    /// <summary>Range of the section's (offset-sorted) relocations that fall inside this record.</summary>
    public int FirstRelocation { get; set; }
    public int RelocationCount { get; set; }

    public int NewOffset { get; set; }
}

/// <summary>
/// The <c>.eh_frame</c> inputs of an executable, split into CIEs and FDEs. An FDE belongs to the code
/// section its pc_begin points at: it must not keep that code alive under --gc-sections, and when the
/// code is dropped (garbage, or a losing COMDAT copy) the FDE is removed too, so that neither the unwinder
/// nor <c>.eh_frame_hdr</c> ever sees a description of code that is not there. CIEs are always kept.
/// </summary>
public sealed class EhFrameSections
{
    public const string SectionName = ".eh_frame";

    private readonly List<(InputFile File, InputSection Section, List<EhFrameRecord> Records)> _sections = [];
    private readonly Dictionary<InputSection, List<EhFrameRecord>> _fdesByTarget = [];

    /// <summary>After <see cref="DropDeadEntries"/>: the FDEs in the output, for the binary-search table.</summary>
    public List<(InputFile File, InputSection Section, EhFrameRecord Fde)> LiveFdes { get; } = [];

    public static EhFrameSections Parse(IReadOnlyList<InputFile> files)
    {
        var result = new EhFrameSections();
        foreach (var file in files)
            foreach (var section in file.Sections)
                if (section is { IsLive: true, Name: SectionName, HasContents: true })
                    result._sections.Add((file, section, result.Split(file, section)));
        return result;
    }

    // Compilers emit them in order: checking is cheaper than a (stable) sort of every .eh_frame's relocations.
    private static bool IsInOffsetOrder(ReadOnlySpan<Relocation> relocations)
    {
        for (int i = 1; i < relocations.Length; i++)
            if (relocations[i].Offset < relocations[i - 1].Offset)
                return false;
        return true;
    }

    private List<EhFrameRecord> Split(InputFile file, InputSection section)
    {
        // Records are matched to relocations by offset, so the relocations must be in offset order.
        if (!IsInOffsetOrder(section.Relocations))
            section.SetRelocations(section.Relocations.ToArray().OrderBy(relocation => relocation.Offset).ToArray());
        var data = section.Contents;
        var records = new List<EhFrameRecord>();
        var ciesByOffset = new Dictionary<int, EhFrameRecord>();
        int offset = 0, nextRelocation = 0;
        while (offset < data.Length)
        {
            LinkerException Corrupt(string problem) =>
                new($"corrupt .eh_frame: {problem}", file: file.Path, section: SectionName, offset: (ulong)offset);
            if (data.Length - offset < 4)
                throw Corrupt("truncated record length");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            EhFrameRecord record;
            if (length == 0)
            {
                record = new EhFrameRecord { Section = section, Offset = offset, Size = 4, IsTerminator = true };
            }
            else
            {
                bool wide = length == 0xffffffff;
                int idOffset = offset + (wide ? 12 : 4);
                int idSize = wide ? 8 : 4;
                if (data.Length - offset < (wide ? 12 : 4) + idSize)
                    throw Corrupt("truncated record header");
                ulong bodyLength = wide ? BinaryPrimitives.ReadUInt64LittleEndian(data[(offset + 4)..]) : length;
                int lengthBytes = wide ? 12 : 4;
                // Compared before adding: a 64-bit length near 2^64 would otherwise wrap to a small record size.
                if (bodyLength > (ulong)(data.Length - offset - lengthBytes))
                    throw Corrupt("record extends past the end of the section");
                if (bodyLength < (ulong)idSize)
                    throw Corrupt("record is shorter than its CIE id or pointer");
                ulong size = bodyLength + (ulong)lengthBytes;
                ulong id = wide ? BinaryPrimitives.ReadUInt64LittleEndian(data[idOffset..])
                    : BinaryPrimitives.ReadUInt32LittleEndian(data[idOffset..]);
                record = new EhFrameRecord
                {
                    Section = section,
                    Offset = offset,
                    Size = (int)size,
                    IsCie = id == 0,
                    CiePointerOffset = idOffset,
                    CiePointerSize = idSize,
                };
                if (!record.IsCie)
                {
                    // The CIE pointer counts backwards from the pointer field itself.
                    long cieOffset = idOffset - (long)id;
                    if (id > (ulong)idOffset || !ciesByOffset.TryGetValue((int)cieOffset, out var cie))
                        throw Corrupt("FDE's CIE pointer does not point at a CIE in the same section");
                    record.Cie = cie;
                }
                else
                {
                    ciesByOffset.Add(offset, record);
                }
            }

            record.FirstRelocation = nextRelocation;
            var relocations = section.Relocations;
            while (nextRelocation < relocations.Length && relocations[nextRelocation].Offset < (ulong)(offset + record.Size))
            {
                if (!record.IsCie && !record.IsTerminator
                    && relocations[nextRelocation].Offset == (ulong)(record.CiePointerOffset + record.CiePointerSize))
                    record.PcBeginRelocation = nextRelocation;
                nextRelocation++;
            }
            record.RelocationCount = nextRelocation - record.FirstRelocation;
            if (record.PcBeginRelocation >= 0
                && TargetOf(file, section, record) is { } target)
            {
                if (!_fdesByTarget.TryGetValue(target, out var list))
                    _fdesByTarget.Add(target, list = []);
                list.Add(record);
            }
            records.Add(record);
            offset += record.Size;
        }
        return records;
    }

    private static InputSection? TargetOf(InputFile file, InputSection section, EhFrameRecord fde)
    {
        var symbol = file.Symbols[section.Relocations[fde.PcBeginRelocation].SymbolIndex];
        return symbol.Kind == SymbolKind.Section ? symbol.Section : null;
    }

    /// <summary>For the garbage collector: the sections an FDE of <paramref name="code"/> (and its CIE)
    /// refer to besides the code itself: its LSDA in .gcc_except_table and the personality routine.</summary>
    public IEnumerable<InputSection> ReferencedAlongWith(InputSection code)
    {
        if (!_fdesByTarget.TryGetValue(code, out var fdes))
            yield break;
        foreach (var fde in fdes)
        {
            var file = fde.Section.File!;
            for (int which = 0; which < 2; which++)
            {
                var record = which == 0 ? fde : fde.Cie!;
                for (int i = record.FirstRelocation; i < record.FirstRelocation + record.RelocationCount; i++)
                {
                    if (i == record.PcBeginRelocation)
                        continue;
                    var symbol = file.Symbols[record.Section.Relocations[i].SymbolIndex];
                    if (symbol.Kind == SymbolKind.Section && symbol.Section is { } target)
                        yield return target;
                }
            }
        }
    }

    /// <summary>After liveness is final: rebuilds each section without the FDEs of dropped code.</summary>
    public void DropDeadEntries()
    {
        foreach (var (file, section, records) in _sections)
        {
            var kept = records.FindAll(record => IsKept(file, section, record));
            var data = section.Contents;
            var newData = new byte[kept.Sum(record => record.Size)];
            var newRelocations = new List<Relocation>();
            int cursor = 0;
            foreach (var record in kept)
            {
                record.NewOffset = cursor;
                data.Slice(record.Offset, record.Size).CopyTo(newData.AsSpan(cursor));
                int shift = cursor - record.Offset;
                if (record.Cie is { } cie)
                {
                    int pointerField = record.CiePointerOffset + shift;
                    ulong distance = (ulong)(pointerField - cie.NewOffset);
                    if (record.CiePointerSize == 8)
                        BinaryPrimitives.WriteUInt64LittleEndian(newData.AsSpan(pointerField), distance);
                    else
                        BinaryPrimitives.WriteUInt32LittleEndian(newData.AsSpan(pointerField), (uint)distance);
                }
                int firstNew = newRelocations.Count;
                for (int i = record.FirstRelocation; i < record.FirstRelocation + record.RelocationCount; i++)
                {
                    var relocation = section.Relocations[i];
                    relocation.Offset = (ulong)((long)relocation.Offset + shift);
                    newRelocations.Add(relocation);
                }
                if (record.PcBeginRelocation >= 0)
                    record.PcBeginRelocation = firstNew + (record.PcBeginRelocation - record.FirstRelocation);
                record.FirstRelocation = firstNew;
                if (!record.IsCie && !record.IsTerminator && record.PcBeginRelocation >= 0)
                    LiveFdes.Add((file, section, record));
                cursor += record.Size;
            }
            section.Data = newData;
            section.Size = (ulong)newData.Length;
            section.SetRelocations(newRelocations.ToArray());
        }
    }

    private static bool IsKept(InputFile file, InputSection section, EhFrameRecord record)
    {
        if (record.IsCie || record.IsTerminator || record.PcBeginRelocation < 0)
            return true;
        var symbol = file.Symbols[section.Relocations[record.PcBeginRelocation].SymbolIndex];
        return symbol.Kind switch
        {
            SymbolKind.Section => symbol.Section is { IsLive: true },
            // A global whose definition lost (COMDAT) or vanished resolves elsewhere: the FDE is a stale copy.
            SymbolKind.Undefined => false,
            _ => true,
        };
    }
}
