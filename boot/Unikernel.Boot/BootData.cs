using System.Buffers.Binary;
using static Unikernel.Boot.BootMemoryLayout;

namespace Unikernel.Boot;

/// <summary>The contents, symbols and relocations of .data.boot, .bss.boot and .note.Xen.</summary>
public static class BootData
{
    public const string BootInfoSymbol = "uk_boot_info";
    public const string SecurityCookieSymbol = "__security_cookie";
    public const string TrapThreadsSymbol = "RhpTrapThreads";

    public const uint XenElfNotePhys32Entry = 18;
    public const string XenNoteName = "Xen";
    /// <summary>
    /// The entry address is stored as 8 bytes (low half relocated with R_X86_64_32, high half zero).
    /// Xen accepts 4 or 8, but QEMU's PVH loader reads a full 64-bit word for ELF64 images, so a
    /// 4-byte descriptor would pick up whatever follows it.
    /// </summary>
    public const int XenNoteDescriptorSize = 8;
    /// <summary>Offset of the descriptor in the note: 12-byte header + "Xen\0".</summary>
    public const int XenNoteDescriptorOffset = 16;

    public static SectionImage BuildDataSection()
    {
        var bytes = new byte[DataSize];
        var section = new SectionImage
        {
            Name = DataSection, Flavor = SectionFlavor.Data, Alignment = DataAlignment, Bytes = bytes,
        };

        for (int i = 0; i < DescriptorTables.InitialGdt.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(Gdt + 8 * i), DescriptorTables.InitialGdt[i]);

        // Descriptor-table pointers: 2-byte limit, then the base, which the linker fills in.
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(GdtPointer), DescriptorTables.GdtSize - 1);
        section.Relocations.Add(new Relocation(GdtPointer + 2, RelocationType.Abs64, RelocationTarget.Section(DataSection), Gdt));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(IdtPointer), DescriptorTables.IdtSize - 1);
        section.Relocations.Add(new Relocation(IdtPointer + 2, RelocationType.Abs64, RelocationTarget.Section(BssSection), Idt));

        // An I/O map base at the TSS limit means "no I/O permission bitmap": user code gets no ports.
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(Tss + DescriptorTables.TssIoMapBase), DescriptorTables.TssSize);

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(BootInfo + BootInfoLayout.Magic), BootInfoLayout.MagicValue);
        foreach (var (field, symbol) in BootInfoLayout.LinkerFilledFields)
            section.Relocations.Add(new Relocation((ulong)(BootInfo + field), RelocationType.Abs64, RelocationTarget.Symbol(symbol), 0));
        section.Relocations.Add(new Relocation(BootInfo + BootInfoLayout.BootStackBottom, RelocationType.Abs64,
            RelocationTarget.Section(BssSection), BootMemoryLayout.BootStackBottom));
        section.Relocations.Add(new Relocation(BootInfo + BootInfoLayout.BootStackTop, RelocationType.Abs64,
            RelocationTarget.Section(BssSection), BootMemoryLayout.BootStackTop));

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(SecurityCookie), InitialSecurityCookie);

        section.Relocations.Sort((x, y) => x.Offset.CompareTo(y.Offset));
        return section;
    }

    public static IEnumerable<DefinedSymbol> DataSymbols()
    {
        yield return Local("uk_boot_gdt", Gdt, DescriptorTables.GdtSize);
        yield return Local("uk_boot_gdt_pointer", GdtPointer, 10);
        yield return Local("uk_boot_idt_pointer", IdtPointer, 10);
        yield return Local("uk_boot_tss", Tss, DescriptorTables.TssSize);
        yield return new DefinedSymbol(BootInfoSymbol, DataSection, BootInfo, BootInfoLayout.Size, SymbolKind.Object, true);
        yield return new DefinedSymbol(SecurityCookieSymbol, DataSection, SecurityCookie, 8, SymbolKind.Object, true);
        yield return new DefinedSymbol(TrapThreadsSymbol, DataSection, TrapThreads, 4, SymbolKind.Object, true);
        yield return Local("uk_kernel_lock", KernelLockWord, 4);

        static DefinedSymbol Local(string name, int offset, int size) =>
            new(name, DataSection, (ulong)offset, (ulong)size, SymbolKind.Object, false);
    }

    public static SectionImage BuildBssSection() => new()
    {
        Name = BssSection, Flavor = SectionFlavor.ZeroFilled, Alignment = PageSize, NoBitsSize = BssSize,
    };

    public static IEnumerable<DefinedSymbol> BssSymbols()
    {
        yield return Local("uk_boot_pml4", Pml4, 0x1000);
        yield return Local("uk_boot_pdpt", Pdpt, 0x1000);
        yield return Local("uk_boot_page_directories", PageDirectories, PageDirectoryCount * 0x1000);
        yield return Local("uk_boot_low_page_table", LowPageTable, 0x1000);
        yield return Local("uk_boot_idt", Idt, DescriptorTables.IdtSize);
        yield return Local("uk_boot_stack", BootStackBottom, BootStackSize);
        yield return Local("uk_boot_double_fault_stack", DoubleFaultStackTop - IstStackSize, IstStackSize);
        yield return Local("uk_boot_nmi_stack", NmiStackTop - IstStackSize, IstStackSize);
        yield return Local("uk_boot_machine_check_stack", MachineCheckStackTop - IstStackSize, IstStackSize);

        static DefinedSymbol Local(string name, int offset, int size) =>
            new(name, BssSection, (ulong)offset, (ulong)size, SymbolKind.Object, false);
    }

    /// <summary>The PVH note: Xen's XEN_ELFNOTE_PHYS32_ENTRY, naming the 32-bit entry point.</summary>
    public static SectionImage BuildXenNote(string entrySymbol = PvhEntry.EntrySymbol)
    {
        var bytes = new byte[XenNoteDescriptorOffset + XenNoteDescriptorSize];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0), (uint)XenNoteName.Length + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), XenNoteDescriptorSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), XenElfNotePhys32Entry);
        "Xen\0"u8.CopyTo(bytes.AsSpan(12));
        var section = new SectionImage { Name = NoteSection, Flavor = SectionFlavor.Note, Alignment = 4, Bytes = bytes };
        section.Relocations.Add(new Relocation(XenNoteDescriptorOffset, RelocationType.Abs32,
            RelocationTarget.Symbol(entrySymbol), 0));
        return section;
    }
}
