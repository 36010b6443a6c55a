using LibObjectFile.Elf;
using static Unikernel.Boot.BootMemoryLayout;

namespace Unikernel.Boot.Tests;

public class ElfStructureTests
{
    private static BootObjectFile Boot => BootObjectFile.Instance;

    [Fact]
    public void ReadsBackWithoutDiagnosticErrors()
    {
        Assert.False(Boot.ReadDiagnostics.HasErrors, Boot.ReadDiagnostics.ToString());
        var verify = Boot.Elf.Verify();
        Assert.False(verify.HasErrors, verify.ToString());
    }

    [Fact]
    public void GenerationIsDeterministic()
    {
        var first = ElfObjectWriter.Write(BootStub.Build());
        var second = ElfObjectWriter.Write(BootStub.Build());
        Assert.Equal(first, second);
        Assert.Equal(Boot.FileBytes, first);
    }

    [Fact]
    public void IsAnElf64X86_64RelocatableWithoutProgramHeaders()
    {
        Assert.Equal(ElfFileClass.Is64, Boot.Elf.FileClass);
        Assert.Equal(ElfEncoding.Lsb, Boot.Elf.Encoding);
        Assert.Equal(ElfArch.X86_64, Boot.Elf.Arch.Value);
        Assert.Equal(ElfFileType.Relocatable, Boot.Elf.FileType);
        Assert.Empty(Boot.Elf.Segments);
        Assert.Equal(0, BitConverter.ToUInt16(Boot.FileBytes, 0x38)); // e_phnum
    }

    [Fact]
    public void HasExactlyTheContractSectionsPlusElfPlumbing()
    {
        var expected = new[]
        {
            NoteSection, TextSection, DataSection, BssSection, GnuStackSection,
            ".rela" + NoteSection, ".rela" + TextSection, ".rela" + DataSection,
            ".symtab", ".strtab", ".shstrtab",
        };
        Assert.Equal(expected.OrderBy(n => n), Boot.Sections.Keys.OrderBy(n => n));
    }

    [Theory]
    [InlineData(NoteSection, ElfSectionType.Note, ElfSectionFlags.Alloc, 4UL)]
    [InlineData(TextSection, ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Executable, 16UL)]
    [InlineData(DataSection, ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, 16UL)]
    [InlineData(BssSection, ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, 4096UL)]
    public void AllocatedSectionsHaveContractTypeFlagsAndAlignment(string name, ElfSectionType type, ElfSectionFlags flags, ulong alignment)
    {
        var section = Boot.Sections[name];
        Assert.Equal(type, section.Type);
        Assert.Equal(flags, section.Flags);
        Assert.Equal(alignment, section.Alignment);
    }

    [Fact]
    public void GnuStackNoteIsEmptyAndNotExecutable()
    {
        var section = Boot.Sections[GnuStackSection];
        Assert.Equal(0UL, section.Size);
        Assert.Equal(ElfSectionFlags.None, section.Flags);
    }

    [Fact]
    public void BssHoldsPageTablesIdtAndStacks()
    {
        Assert.Equal((ulong)MachineCheckStackTop, Boot.Sections[BssSection].Size);
        Assert.Equal(0, Pml4 % 4096);
        Assert.Equal(0, BootStackTop % 16);
        Assert.Equal(16 * 1024, DoubleFaultStackTop - BootStackTop);
        Assert.Equal(16 * 1024, NmiStackTop - DoubleFaultStackTop);
        Assert.Equal(16 * 1024, MachineCheckStackTop - NmiStackTop);
    }

    public static TheoryData<string, ElfSymbolType, string> ContractSymbols()
    {
        var data = new TheoryData<string, ElfSymbolType, string>
        {
            { "uk_pvh_entry", ElfSymbolType.Function, TextSection },
            { "uk_isr_stubs", ElfSymbolType.Function, TextSection },
            { "uk_isr_common", ElfSymbolType.Function, TextSection },
            { "uk_boot_info", ElfSymbolType.Object, DataSection },
            { "__security_cookie", ElfSymbolType.Object, DataSection },
            { "RhpTrapThreads", ElfSymbolType.Object, DataSection },
        };
        foreach (var name in new[]
                 {
                     "RhpGcPoll", "RhpPInvoke", "RhpPInvokeReturn", "RhpReversePInvoke", "RhpReversePInvokeReturn",
                     "RhpAssignRef", "RhpCheckedAssignRef", "RhpByRefAssignRef", "RhpCheckedLockCmpXchg",
                     "RhpCheckedXchg", "RhpThrowEx", "RhpFallbackFailFast", "RhpInitialDynamicInterfaceDispatch",
                     "uk_outb", "uk_outw", "uk_outl", "uk_inb", "uk_inw", "uk_inl", "uk_rdtsc", "uk_rdmsr", "uk_wrmsr",
                     "uk_read_cr0", "uk_read_cr2", "uk_read_cr3", "uk_read_cr4", "uk_write_cr3", "uk_write_cr4", "uk_invlpg", "uk_stac", "uk_clac",
                     "uk_read_rbp", "uk_read_rsp", "uk_cpuid", "uk_halt_forever", "uk_wait_for_interrupt",
                     "uk_interrupts_enable", "uk_interrupts_disable", "uk_pause", "uk_memory_fence", "uk_lidt", "uk_breakpoint", "uk_trigger_invalid_opcode",
                     "uk_syscall_entry", "uk_enter_user_mode", "uk_set_kernel_stack", "uk_rdrand", "uk_rdseed",
                 })
            data.Add(name, ElfSymbolType.Function, TextSection);
        return data;
    }

    [Theory]
    [MemberData(nameof(ContractSymbols))]
    public void ContractSymbolIsDefinedGlobalWithTypeAndSize(string name, ElfSymbolType type, string section)
    {
        var symbol = Boot.Symbol(name);
        Assert.Equal(ElfSymbolBind.Global, symbol.Bind);
        Assert.Equal(type, symbol.Type);
        Assert.Equal(section, symbol.Section);
        Assert.True(symbol.Size > 0, $"{name} has no size");
        Assert.True(symbol.Value + symbol.Size <= Boot.Sections[section].Size);
    }

    [Theory]
    [InlineData("uk_boot_info", 176UL)]
    [InlineData("__security_cookie", 8UL)]
    [InlineData("RhpTrapThreads", 4UL)]
    [InlineData("uk_isr_stubs", 4096UL)]
    public void SymbolSizesMatchContract(string name, ulong size) => Assert.Equal(size, Boot.Symbol(name).Size);

    [Theory]
    [InlineData("uk_boot_long_mode_entry")]
    [InlineData("uk_boot_enable_sse")]
    [InlineData("uk_boot_load_tss")]
    [InlineData("uk_boot_load_idt")]
    [InlineData("uk_boot_call_kernel")]
    [InlineData("uk_boot_build_page_tables")]
    [InlineData("uk_boot_enter_long_mode")]
    public void InternalRoutinesHaveLocalFunctionSymbols(string name)
    {
        var symbol = Boot.Symbol(name);
        Assert.Equal(ElfSymbolBind.Local, symbol.Bind);
        Assert.Equal(ElfSymbolType.Function, symbol.Type);
        Assert.True(symbol.Size > 0);
    }

    [Fact]
    public void FunctionSymbolsDoNotOverlap()
    {
        var functions = Boot.Symbols.Where(s => s.Type == ElfSymbolType.Function).OrderBy(s => s.Value).ToList();
        for (int i = 1; i < functions.Count; i++)
            Assert.True(functions[i - 1].Value + functions[i - 1].Size <= functions[i].Value,
                $"{functions[i - 1].Name} overlaps {functions[i].Name}");
    }

    [Fact]
    public void LocalSymbolsPrecedeGlobalOnes()
    {
        int firstGlobal = Boot.Symbols.FindIndex(s => s.Bind == ElfSymbolBind.Global);
        Assert.True(firstGlobal > 0);
        Assert.All(Boot.Symbols.Skip(firstGlobal), s => Assert.Equal(ElfSymbolBind.Global, s.Bind));
        var symtab = Boot.Elf.Sections.OfType<ElfSymbolTable>().Single();
        Assert.Equal(firstGlobal, symtab.Info.SpecialIndex);
    }

    [Fact]
    public void ExternalSymbolsAreUndefinedGlobalNoType()
    {
        var expected = new[]
        {
            "uk_kernel_main", "uk_interrupt", "uk_kernel_throw", "uk_kernel_failfast", "uk_interface_dispatch", "uk_ap_main",
            "__image_start", "__image_end", "__start___modules", "__stop___modules",
            "__start_uk_ksyms", "__stop_uk_ksyms", "__start_uk_files", "__stop_uk_files", "__text_start", "__text_end",
            "__uk_app_entry", "__uk_app_phdr", "__uk_app_phnum", "__uk_app_start", "__uk_app_end", "__uk_payload_start",
        };
        var undefined = Boot.Symbols.Skip(1).Where(s => s.Section is null).ToList();
        Assert.Equal(expected.OrderBy(n => n, StringComparer.Ordinal), undefined.Select(s => s.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.All(undefined, s =>
        {
            Assert.Equal(ElfSymbolBind.Global, s.Bind);
            Assert.Equal(ElfSymbolType.NoType, s.Type);
        });
    }

    [Theory]
    [InlineData("uk_isr_save", "uk_interrupt", 0xE8)]
    [InlineData("uk_boot_call_kernel", "uk_kernel_main", 0xE8)]
    [InlineData("RhpThrowEx", "uk_kernel_throw", 0xE9)]
    [InlineData("RhpFallbackFailFast", "uk_kernel_failfast", 0xE9)]
    [InlineData("RhpInitialDynamicInterfaceDispatch", "uk_interface_dispatch", 0xE8)]
    public void ExternalBranchesArePlt32Relocations(string function, string target, byte opcode)
    {
        var symbol = Boot.Symbol(function);
        var relocation = Assert.Single(Boot.RelocationsOf(TextSection),
            r => r.Target == target && r.Offset >= symbol.Value && r.Offset < symbol.Value + symbol.Size);
        Assert.Equal(BootObjectFile.R_X86_64_PLT32, relocation.Type);
        Assert.Equal(-4, relocation.Addend);
        Assert.Equal(opcode, Boot.Text[relocation.Offset - 1]);
    }

    [Fact]
    public void RelocatedFieldsAreLeftZero()
    {
        foreach (var (section, relocations) in Boot.Relocations)
        {
            var bytes = Boot.Sections[section].Bytes;
            foreach (var r in relocations)
            {
                int size = r.Type == BootObjectFile.R_X86_64_64 ? 8 : 4;
                Assert.True(bytes.AsSpan((int)r.Offset, size).IndexOfAnyExcept((byte)0) < 0,
                    $"{section}+0x{r.Offset:X} is not zero");
            }
        }
    }

    [Fact]
    public void EveryTextRelocationSitsOnAnInstructionField()
    {
        // Decoding each fragment shows that relocations hit displacement/immediate/branch fields,
        // never opcode bytes.
        var fields = new HashSet<int>();
        var pvh = Boot.Symbol("uk_pvh_entry");
        int pvhEnd = (int)(Boot.Symbol("uk_boot_enter_long_mode").Value + Boot.Symbol("uk_boot_enter_long_mode").Size);
        // The AP trampoline's image inside the 64-bit fragment is data (ApTrampoline): not decoded, and it has no relocations.
        var image = Boot.Symbol(ApTrampoline.ImageSymbol);
        int imageEnd = (int)(image.Value + image.Size);
        Assert.DoesNotContain(Boot.RelocationsOf(TextSection), r => r.Offset >= image.Value && (int)r.Offset < imageEnd);
        foreach (var (start, length, bitness) in new[]
                 {
                     (0, (int)image.Value, 64), (imageEnd, (int)pvh.Value - imageEnd, 64),
                     ((int)pvh.Value, pvhEnd - (int)pvh.Value, 32),
                 })
        {
            foreach (var ins in Boot.DecodeRange(start, length, bitness).Where(i => i.Mnemonic != Iced.Intel.Mnemonic.Int3))
            {
                if (ins.Offsets.HasDisplacement) fields.Add(ins.DisplacementOffset);
                if (ins.Offsets.HasImmediate) fields.Add(ins.ImmediateOffset);
                if (ins.Instruction.IsCallNear || ins.Instruction.IsJmpNear) fields.Add(ins.BranchFieldOffset);
            }
        }
        Assert.All(Boot.RelocationsOf(TextSection), r => Assert.Contains((int)r.Offset, fields));
    }
}
