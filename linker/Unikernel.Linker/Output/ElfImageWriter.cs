using System.Runtime.InteropServices;
using System.Text;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Resolution;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Output;

/// <summary>
/// The <c>write image</c> pass: serialises the laid-out image as an ET_EXEC file. Written by hand rather than through
/// LibObjectFile so that the file layout is exactly the one <see cref="SectionLayout"/> computed. Besides the loadable
/// segments it carries section headers and a symbol table for gdb/objdump.
/// </summary>
/// <summary>One program header: an executable's extras beyond the PT_LOADs and PT_NOTEs (PT_TLS, PT_GNU_EH_FRAME,
/// PT_GNU_STACK), and the PT_LOADs themselves while they are sorted.</summary>
public sealed record ProgramHeader(uint Type, uint Flags, ulong Offset, ulong Address, ulong FileSize, ulong MemorySize,
    ulong Alignment);

/// <summary>What an executable adds to the kernel image's format.</summary>
public sealed record ExecutableImageParts(IReadOnlyList<ProgramHeader> ExtraHeaders, TlsLayout? Tls);

public static class ElfImageWriter
{
    /// <summary>Known before addresses are assigned, so the header size can be reserved.</summary>
    public static int ProgramHeaderCount(SectionLayout layout, int extraHeaders = 0) =>
        LoadAndNoteHeaderCount(layout) + extraHeaders;

    private static int LoadAndNoteHeaderCount(SectionLayout layout)
    {
        var segmentKinds = new HashSet<SegmentKind>();
        int notes = 0;
        foreach (var section in layout.Sections)
        {
            segmentKinds.Add(section.Segment);
            if (section.Type == SHT_NOTE)
                notes++;
        }
        return segmentKinds.Count + notes;
    }

    public static ulong HeaderBytes(SectionLayout layout, int extraHeaders = 0) =>
        (ulong)(ElfHeaderSize + ProgramHeaderSize * ProgramHeaderCount(layout, extraHeaders));

    /// <param name="stripSymbols">Leave the symbol table empty (-s): the image stays readable by tools,
    /// and the link map still says where everything is.</param>
    /// <param name="app">An app to carry as extra PT_LOADs (--app), its output offsets assigned: its bytes go
    /// after the kernel's segments, before the uk_ksyms segment (laid out after it) and the symbol tables.</param>
    public static byte[] Write(SectionLayout layout, IReadOnlyList<InputFile> files, SymbolTable globals, ulong entry,
        ExecutableImageParts? executable = null, bool stripSymbols = false, Input.AppExecutable? app = null)
    {
        // Section header names, in header order; the indices are needed by the symbol table.
        var sectionNames = new StringTableBuilder();
        for (int i = 0; i < layout.Sections.Count; i++)
        {
            layout.Sections[i].HeaderIndex = i + 1;
            sectionNames.Add(layout.Sections[i].Name);
        }
        var symbolNames = new StringTableBuilder();
        int firstGlobal = 1;
        byte[] symbolTable = stripSymbols
            ? new byte[SymbolSize]
            : BuildSymbolTable(files, globals, symbolNames, executable?.Tls, out firstGlobal);
        byte[] symbolStrings = symbolNames.ToArray();

        uint symtabName = sectionNames.Add(".symtab");
        uint strtabName = sectionNames.Add(".strtab");
        uint shstrtabName = sectionNames.Add(".shstrtab");
        byte[] sectionNameBytes = sectionNames.ToArray();

        // With an app, its bytes follow the kernel's segments, and the detached uk_ksyms segment (if any) follows them.
        ulong symtabOffset = SectionLayout.AlignUp(Math.Max(app?.OutputEnd ?? 0, layout.FileEnd), 8);
        ulong strtabOffset = symtabOffset + (ulong)symbolTable.Length;
        ulong shstrtabOffset = strtabOffset + (ulong)symbolStrings.Length;
        ulong sectionHeadersOffset = SectionLayout.AlignUp(shstrtabOffset + (ulong)sectionNameBytes.Length, 8);
        int sectionCount = layout.Sections.Count + 4; // null + outputs + .symtab .strtab .shstrtab
        ulong fileSize = sectionHeadersOffset + (ulong)(sectionCount * SectionHeaderSize);

        // The layout bounded each segment; the app's bytes and the symbol tables come on top.
        if (fileSize > SectionLayout.MaxFileBytes)
            throw new LinkerException($"the image would be 0x{fileSize:x} bytes (segments to 0x{layout.FileEnd:x}" +
                (app is null ? "" : $", the app's to 0x{app.OutputEnd:x}") + $", symbol tables 0x{symbolTable.Length + symbolStrings.Length:x}), " +
                $"more than uk-ld can write (0x{SectionLayout.MaxFileBytes:x})", file: app?.Path);
        var image = new byte[(int)fileSize];
        var extraHeaders = executable?.ExtraHeaders ?? [];
        int programHeaderCount = ProgramHeaderCount(layout, extraHeaders.Count + (app?.Segments.Count ?? 0));
        if (programHeaderCount >= 0xffff)
            throw new LinkerException($"{programHeaderCount} program headers do not fit in e_phnum", file: app?.Path);
        WriteElfHeader(image, entry, programHeaderCount, sectionHeadersOffset, sectionCount);
        WriteProgramHeaders(image.AsSpan(ElfHeaderSize), layout, extraHeaders, app);

        foreach (var section in layout.Sections)
        {
            if (section.IsNoBits)
                continue;
            // In an executable, .init and .fini are stitched together from crti/crtn pieces and fall through
            // the alignment gaps between them: those gaps must be nops, not zero bytes.
            if (executable is not null && (section.Flags & SHF_EXECINSTR) != 0)
                image.AsSpan(checked((int)section.FileOffset), checked((int)section.Size)).Fill(0x90);
            foreach (var input in section.Inputs)
                input.Contents.CopyTo(image.AsSpan(checked((int)(section.FileOffset + input.OffsetInOutput))));
        }
        if (app is not null)
            foreach (var segment in app.Segments)
                app.Contents(segment).CopyTo(image.AsSpan(checked((int)segment.OutputOffset)));
        symbolTable.CopyTo(image.AsSpan((int)symtabOffset));
        symbolStrings.CopyTo(image.AsSpan((int)strtabOffset));
        sectionNameBytes.CopyTo(image.AsSpan((int)shstrtabOffset));

        var headers = image.AsSpan((int)sectionHeadersOffset);
        int nameIndex = 0;
        var nameOffsets = sectionNames.Offsets;
        foreach (var section in layout.Sections)
        {
            WriteSectionHeader(headers[(section.HeaderIndex * SectionHeaderSize)..], nameOffsets[nameIndex++],
                section.Type, section.Flags, section.Address, section.FileOffset, section.Size, 0, 0, section.Alignment, 0);
        }
        int symtabIndex = layout.Sections.Count + 1;
        WriteSectionHeader(headers[(symtabIndex * SectionHeaderSize)..], symtabName, SHT_SYMTAB, 0, 0, symtabOffset,
            (ulong)symbolTable.Length, (uint)symtabIndex + 1, (uint)firstGlobal, 8, SymbolSize);
        WriteSectionHeader(headers[((symtabIndex + 1) * SectionHeaderSize)..], strtabName, SHT_STRTAB, 0, 0,
            strtabOffset, (ulong)symbolStrings.Length, 0, 0, 1, 0);
        WriteSectionHeader(headers[((symtabIndex + 2) * SectionHeaderSize)..], shstrtabName, SHT_STRTAB, 0, 0,
            shstrtabOffset, (ulong)sectionNameBytes.Length, 0, 0, 1, 0);
        return image;
    }

    private static void WriteElfHeader(Span<byte> image, ulong entry, int programHeaderCount, ulong sectionHeadersOffset,
        int sectionCount)
    {
        // .shstrtab is the last section.
        var header = Elf64Header.Executable(entry, (ushort)programHeaderCount, sectionHeadersOffset, (ushort)sectionCount,
            (ushort)(sectionCount - 1));
        MemoryMarshal.Write(image, in header);
    }

    private static void WriteProgramHeaders(Span<byte> headers, SectionLayout layout, IReadOnlyList<ProgramHeader> extra,
        Input.AppExecutable? app)
    {
        int index = 0;
        // gABI: PT_LOAD entries are sorted by p_vaddr, so the app's segments (copied unchanged, same flags and
        // sizes; p_align one page, which their placement in the file honours) merge in by address.
        var loads = layout.Segments.Select(segment => new ProgramHeader(PT_LOAD, segment.Flags, segment.FileOffset,
            segment.VirtualAddress, segment.FileSize, segment.MemorySize, SectionLayout.PageSize)).ToList();
        if (app is not null)
        {
            loads.AddRange(app.Segments.Select(segment => new ProgramHeader(PT_LOAD, segment.Flags, segment.OutputOffset,
                segment.VirtualAddress, segment.FileSize, segment.MemorySize, SectionLayout.PageSize)));
            loads.Sort((a, b) => a.Address.CompareTo(b.Address));
        }
        foreach (var load in loads)
        {
            WriteProgramHeader(headers[(index++ * ProgramHeaderSize)..], load.Type, load.Flags, load.Offset,
                load.Address, load.FileSize, load.MemorySize, load.Alignment);
        }
        // One PT_NOTE per note section: QEMU's PVH loader walks them looking for XEN_ELFNOTE_PHYS32_ENTRY.
        foreach (var section in layout.Sections)
        {
            if (section.Type != SHT_NOTE)
                continue;
            WriteProgramHeader(headers[(index++ * ProgramHeaderSize)..], PT_NOTE, PF_R, section.FileOffset,
                section.Address, section.Size, section.Size, section.Alignment);
        }
        foreach (var header in extra)
        {
            WriteProgramHeader(headers[(index++ * ProgramHeaderSize)..], header.Type, header.Flags, header.Offset,
                header.Address, header.FileSize, header.MemorySize, header.Alignment);
        }
    }

    private static void WriteProgramHeader(Span<byte> header, uint type, uint flags, ulong offset, ulong address,
        ulong fileSize, ulong memorySize, ulong alignment)
    {
        var record = new Elf64ProgramHeader
        {
            Type = type,
            Flags = flags,
            Offset = offset,
            VirtualAddress = address,
            PhysicalAddress = address, // identity mapped: p_paddr == p_vaddr
            FileSize = fileSize,
            MemorySize = memorySize,
            Alignment = alignment,
        };
        MemoryMarshal.Write(header, in record);
    }

    private static void WriteSectionHeader(Span<byte> header, uint name, uint type, ulong flags, ulong address,
        ulong offset, ulong size, uint link, uint info, ulong alignment, ulong entrySize)
    {
        var record = new Elf64SectionHeader
        {
            NameOffset = name,
            Type = type,
            Flags = flags,
            Address = address,
            Offset = offset,
            Size = size,
            Link = link,
            Info = info,
            Alignment = alignment,
            EntrySize = entrySize,
        };
        MemoryMarshal.Write(header, in record);
    }

    /// <summary>Locals (file order) first, then globals (first-seen order), as the gABI requires.</summary>
    private static byte[] BuildSymbolTable(IReadOnlyList<InputFile> files, SymbolTable globals,
        StringTableBuilder names, TlsLayout? tls, out int firstGlobal)
    {
        var output = new List<Symbol>();
        foreach (var file in files)
        {
            foreach (var symbol in file.Symbols)
            {
                if (symbol.IsLocal && symbol.Name.Length != 0 && symbol.Type is not (STT_SECTION or STT_FILE)
                    && IsInImage(symbol))
                    output.Add(symbol);
            }
        }
        firstGlobal = output.Count + 1;
        // An image-wide linker name (Unit null) may stand in several units' namespaces: list it once.
        var imageWide = new HashSet<string>(StringComparer.Ordinal);
        foreach (var symbol in globals.Symbols)
            if (IsInImage(symbol) && (symbol.Unit is not null || imageWide.Add(symbol.Name)))
                output.Add(symbol);

        var table = new byte[(output.Count + 1) * SymbolSize];
        for (int i = 0; i < output.Count; i++)
        {
            var symbol = output[i];
            var entry = new Elf64Symbol
            {
                NameOffset = names.Add(symbol.OutputName),
                Info = (byte)((symbol.Binding << 4) | (symbol.Type & 0xf)),
                Other = 0, // STV_DEFAULT
                SectionIndex = symbol.Kind == SymbolKind.Section ? (ushort)symbol.Section!.Output!.HeaderIndex : SHN_ABS,
                // gABI: in an executable, a TLS symbol's value is its offset in the TLS template.
                Value = symbol.Type == STT_TLS && tls is not null ? symbol.Address - tls.Start : symbol.Address,
                Size = symbol.Size,
            };
            MemoryMarshal.Write(table.AsSpan((i + 1) * SymbolSize), in entry);
        }
        return table;
    }

    private static bool IsInImage(Symbol symbol) => symbol.Kind switch
    {
        SymbolKind.Section => symbol.Section is { IsLive: true, Output: not null },
        SymbolKind.Absolute or SymbolKind.LinkerDefined => true,
        _ => false,
    };

    /// <summary>An ELF string table with identical strings stored once.</summary>
    private sealed class StringTableBuilder
    {
        private readonly MemoryStream _bytes = new();
        private readonly Dictionary<string, uint> _offsets = new(StringComparer.Ordinal);

        public StringTableBuilder() => _bytes.WriteByte(0);

        /// <summary>Offsets in the order strings were added, duplicates included.</summary>
        public List<uint> Offsets { get; } = [];

        public uint Add(string text)
        {
            if (!_offsets.TryGetValue(text, out uint offset))
            {
                offset = text.Length == 0 ? 0 : (uint)_bytes.Length;
                if (text.Length != 0)
                {
                    _bytes.Write(Encoding.UTF8.GetBytes(text));
                    _bytes.WriteByte(0);
                }
                _offsets.Add(text, offset);
            }
            Offsets.Add(offset);
            return offset;
        }

        public byte[] ToArray() => _bytes.ToArray();
    }
}
