using System.Buffers.Binary;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// <c>.eh_frame_hdr</c> (LSB "Exception Frames"): a pointer to <c>.eh_frame</c> and a table of
/// (function start, FDE address) pairs sorted by function start, which libgcc's and the .NET runtime's
/// unwinders binary-search instead of walking every FDE. Found through PT_GNU_EH_FRAME.
/// </summary>
public sealed class EhFrameHeader
{
    public const string SectionName = ".eh_frame_hdr";
    private const int HeaderSize = 12;
    private const int EntrySize = 8;

    private const byte Version = 1;
    private const byte PcRelSData4 = 0x1b;   // DW_EH_PE_pcrel | DW_EH_PE_sdata4
    private const byte UData4 = 0x03;        // DW_EH_PE_udata4
    private const byte DataRelSData4 = 0x3b; // DW_EH_PE_datarel | DW_EH_PE_sdata4 (relative to this section)

    private readonly EhFrameSections _frames;

    public EhFrameHeader(EhFrameSections frames)
    {
        _frames = frames;
        Section = new InputSection(null, SectionName, SHT_PROGBITS, SHF_ALLOC, 4,
            (ulong)(HeaderSize + EntrySize * frames.LiveFdes.Count), null);
    }

    public InputSection Section { get; }

    /// <summary>After layout: the table needs the final addresses of the functions and of the FDEs.</summary>
    public void Fill(SectionLayout layout)
    {
        ulong self = Section.Address;
        var data = new byte[Section.Size];
        data[0] = Version;
        data[1] = PcRelSData4;
        data[2] = UData4;
        data[3] = DataRelSData4;
        ulong ehFrame = layout.Find(EhFrameSections.SectionName)?.Address ?? self;
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), Narrow((long)(ehFrame - (self + 4))));
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(8), (uint)_frames.LiveFdes.Count);

        var entries = new List<(ulong Function, ulong Fde)>(_frames.LiveFdes.Count);
        foreach (var (file, section, fde) in _frames.LiveFdes)
        {
            var pcBegin = section.Relocations[fde.PcBeginRelocation];
            ulong function = file.Symbols[pcBegin.SymbolIndex].Address + (ulong)pcBegin.Addend;
            entries.Add((function, section.Address + (ulong)fde.NewOffset));
        }
        entries.Sort();
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = data.AsSpan(HeaderSize + EntrySize * i);
            BinaryPrimitives.WriteInt32LittleEndian(entry, Narrow((long)(entries[i].Function - self)));
            BinaryPrimitives.WriteInt32LittleEndian(entry[4..], Narrow((long)(entries[i].Fde - self)));
        }
        Section.Data = data;
    }

    private static int Narrow(long value) => value is < int.MinValue or > int.MaxValue
        ? throw new LinkerException($".eh_frame_hdr entry out of range (0x{value:x})", section: SectionName)
        : (int)value;
}
