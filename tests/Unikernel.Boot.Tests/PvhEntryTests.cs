using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using static Unikernel.Boot.BootMemoryLayout;

namespace Unikernel.Boot.Tests;

public class PvhEntryTests
{
    private static BootObjectFile Boot => BootObjectFile.Instance;
    private static readonly LinkedBootImage Linked = new(BootObjectFile.Instance);

    /// <summary>The whole 32-bit path, from uk_pvh_entry to the far jump.</summary>
    private static List<DecodedInstruction> EntryPath()
    {
        int start = (int)Boot.Symbol("uk_pvh_entry").Value;
        var last = Boot.Symbol("uk_boot_enter_long_mode");
        return Boot.DecodeRange(start, (int)(last.Value + last.Size) - start, 32);
    }

    [Fact]
    public void XenNoteNamesThePvhEntry()
    {
        var note = Boot.Sections[NoteSection].Bytes;
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(note.AsSpan(0)));   // namesz
        uint descsz = BinaryPrimitives.ReadUInt32LittleEndian(note.AsSpan(4));
        Assert.Equal(18u, BinaryPrimitives.ReadUInt32LittleEndian(note.AsSpan(8)));  // XEN_ELFNOTE_PHYS32_ENTRY
        Assert.Equal("Xen\0", Encoding.ASCII.GetString(note, 12, 4));
        Assert.Equal(16 + (int)descsz, note.Length);

        var relocation = Assert.Single(Boot.RelocationsOf(NoteSection));
        Assert.Equal(16UL, relocation.Offset);
        Assert.Equal(BootObjectFile.R_X86_64_32, relocation.Type);
        Assert.Equal("uk_pvh_entry", relocation.Target);
        Assert.False(relocation.TargetIsSection);
        Assert.Equal(0, relocation.Addend);
        // Whatever follows the 32-bit address inside the descriptor must be zero.
        Assert.All(note.Skip(16), b => Assert.Equal(0, b));
    }

    [Fact]
    public void FirstInstructionReadsTheTsc()
    {
        Assert.Equal(Mnemonic.Rdtsc, EntryPath()[0].Mnemonic);
    }

    [Fact]
    public void EntryStoresTscAndStartInfoIntoBootInfo()
    {
        var path = EntryPath();
        ulong bootInfo = Linked.AddressOf("uk_boot_info");
        var linked = Linked.Decode("uk_pvh_entry", 32);

        ulong StoreTarget(Register source) =>
            linked.Single(i => i.Mnemonic == Mnemonic.Mov && i.Op0Kind == OpKind.Memory && i.Op1Kind == OpKind.Register && i.Op1Register == source).MemoryDisplacement64;

        Assert.Equal(bootInfo + BootInfoLayout.EntryTsc, StoreTarget(Register.EAX));
        Assert.Equal(bootInfo + BootInfoLayout.EntryTsc + 4, StoreTarget(Register.EDX));
        Assert.Equal(bootInfo + BootInfoLayout.PvhStartInfo, StoreTarget(Register.EBX));
        var highHalf = linked.Single(i => i.Op0Kind == OpKind.Memory && i.Op1Kind == OpKind.Immediate32);
        Assert.Equal(bootInfo + BootInfoLayout.PvhStartInfo + 4, highHalf.MemoryDisplacement64);
        Assert.Equal(0u, highHalf.Immediate32);

        var setStack = linked.Single(i => i.Code == Code.Mov_r32_imm32 && i.Op0Register == Register.ESP);
        Assert.Equal(Linked.BssAddress + BootStackTop, setStack.Immediate32);
        // No instruction before esp is loaded touches the stack.
        Assert.DoesNotContain(path.TakeWhile(i => i.Instruction.Op0Register != Register.ESP), i => i.Instruction.StackPointerIncrement != 0);
    }

    [Fact]
    public void LongModeSwitchHappensInArchitecturalOrder()
    {
        var path = EntryPath().Select(i => i.Instruction).ToList();

        int Index(Func<Instruction, bool> match, string what)
        {
            int index = path.FindIndex(i => match(i));
            Assert.True(index >= 0, what + " not found");
            return index;
        }

        int setPae = Index(i => i.Mnemonic == Mnemonic.Or && i.Op0Register == Register.EAX && i.Immediate32 == ControlRegisters.Cr4Pae, "or eax, CR4.PAE");
        int writeCr4 = Index(i => i.Code == Code.Mov_cr_r32 && i.Op0Register == Register.CR4, "mov cr4, eax");
        int writeCr3 = Index(i => i.Code == Code.Mov_cr_r32 && i.Op0Register == Register.CR3, "mov cr3, eax");
        int eferNumber = Index(i => i.Code == Code.Mov_r32_imm32 && i.Op0Register == Register.ECX && i.Immediate32 == 0xC000_0080, "mov ecx, EFER");
        int readEfer = Index(i => i.Mnemonic == Mnemonic.Rdmsr, "rdmsr");
        int setLme = Index(i => i.Mnemonic == Mnemonic.Or && i.Op1Kind != OpKind.Register && i.Immediate32 == ControlRegisters.EferLongModeEnable, "or eax, EFER.LME");
        int writeEfer = Index(i => i.Mnemonic == Mnemonic.Wrmsr, "wrmsr");
        int setPaging = Index(i => i.Mnemonic == Mnemonic.Or && i.Op1Kind != OpKind.Register && (i.Immediate32 & ControlRegisters.Cr0Paging) != 0, "or eax, CR0.PG");
        int writeCr0 = Index(i => i.Code == Code.Mov_cr_r32 && i.Op0Register == Register.CR0, "mov cr0, eax");
        int loadGdt = Index(i => i.Mnemonic == Mnemonic.Lgdt, "lgdt");
        int farJump = Index(i => i.Code == Code.Jmp_ptr1632, "jmp far");

        Assert.True(setPae < writeCr4 && writeCr4 < writeCr3 && writeCr3 < eferNumber && eferNumber < readEfer
                    && readEfer < setLme && setLme < writeEfer && writeEfer < setPaging && setPaging < writeCr0
                    && writeCr0 < loadGdt && loadGdt < farJump);
        Assert.Equal(farJump, path.Count - 1);
        Assert.Equal(ControlRegisters.Cr0Paging | ControlRegisters.Cr0WriteProtect, path[setPaging].Immediate32);

        // The wrmsr also carries NXE when CPUID says so: esi holds it and is or-ed in.
        Assert.Contains(path, i => i.Code == Code.Mov_r32_imm32 && i.Op0Register == Register.ESI && i.Immediate32 == ControlRegisters.EferNoExecuteEnable);
        Assert.Contains(path.Skip(readEfer).Take(writeEfer - readEfer), i => i.Mnemonic == Mnemonic.Or && i.Op1Register == Register.ESI);
        Assert.Contains(path, i => i.Mnemonic == Mnemonic.Bt && i.Op0Register == Register.EDX && i.Immediate8 == ControlRegisters.CpuidNoExecuteBit);
    }

    [Fact]
    public void Cr3AndGdtAndFarJumpAreRelocatedToTheRightPlaces()
    {
        var linked = Linked.Decode("uk_boot_enter_long_mode", 32);
        var cr3Source = linked[linked.FindIndex(i => i.Code == Code.Mov_cr_r32 && i.Op0Register == Register.CR3) - 1];
        Assert.Equal(Code.Mov_r32_imm32, cr3Source.Code);
        Assert.Equal(Linked.BssAddress + Pml4, cr3Source.Immediate32);

        var lgdt = linked.Single(i => i.Mnemonic == Mnemonic.Lgdt);
        Assert.Equal(Code.Lgdt_m1632, lgdt.Code);
        Assert.Equal(Linked.DataAddress + GdtPointer, lgdt.MemoryDisplacement64);

        var farJump = linked.Last();
        Assert.Equal(Code.Jmp_ptr1632, farJump.Code);
        Assert.Equal(0x08, farJump.FarBranchSelector);
        Assert.Equal(Linked.AddressOf("uk_boot_long_mode_entry"), farJump.FarBranch32);
    }

    [Fact]
    public void PageTablesMapFourGiBTwiceWithUnmappedNullPage()
    {
        var cpu = new TinyX86();
        // Garbage in the tables must not survive: the code has to clear what it does not fill.
        for (ulong a = Linked.BssAddress; a < Linked.BssAddress + PageTablesSize; a += 64)
            cpu.Memory[a + 40] = 0xAA;
        cpu.Run(Linked.Decode("uk_boot_build_page_tables", 32), 32);

        ulong bss = Linked.BssAddress;
        ulong Entry(int table, int index) => cpu.ReadMemory(bss + (ulong)table + (ulong)index * 8, 8);

        Assert.Equal(bss + Pdpt + 3, Entry(Pml4, 0));
        Assert.Equal(bss + Pdpt + 3, Entry(Pml4, DirectMapPml4Slot));
        for (int i = 1; i < 512; i++)
            if (i != DirectMapPml4Slot) Assert.Equal(0UL, Entry(Pml4, i));
        for (int i = 0; i < 4; i++)
            Assert.Equal(bss + PageDirectories + (ulong)i * 0x1000 + 3, Entry(Pdpt, i));
        for (int i = 4; i < 512; i++)
            Assert.Equal(0UL, Entry(Pdpt, i));

        Assert.Equal(bss + LowPageTable + 3, Entry(PageDirectories, 0));
        for (int i = 1; i < 4 * 512; i++)
            Assert.Equal(((ulong)i << 21) | 0x83, Entry(PageDirectories, i));

        Assert.Equal(0UL, Entry(LowPageTable, 0));
        for (int i = 1; i < 512; i++)
            Assert.Equal(((ulong)i << 12) | 0x3, Entry(LowPageTable, i));

        // Nothing outside the page tables was written.
        Assert.All(cpu.Memory.Keys, a => Assert.InRange(a, bss, bss + PageTablesSize - 1));
    }
}
