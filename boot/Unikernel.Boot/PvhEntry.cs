using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Boot.BootMemoryLayout;
using static Unikernel.Boot.ControlRegisters;

namespace Unikernel.Boot;

/// <summary>
/// The 32-bit part of the boot path: the PVH entry point, the identity-mapped page tables and the
/// switch to long mode. PVH enters in flat 32-bit protected mode with paging off, interrupts off and
/// no stack; ebx holds the physical address of hvm_start_info.
/// </summary>
public static class PvhEntry
{
    public const string EntrySymbol = "uk_pvh_entry";
    public const string PageTablesSymbol = "uk_boot_build_page_tables";
    public const string EnterLongModeSymbol = "uk_boot_enter_long_mode";

    private const int EntriesPerTable = 512;
    private const uint LargePageSize = 2 * 1024 * 1024;

    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;

        e.Function(EntrySymbol, isGlobal: true, () =>
        {
            // rdtsc comes first so that EntryTsc measures the boot from the very first instruction.
            a.rdtsc();
            a.mov(__dword_ptr[e.BootInfoAddress(BootInfoLayout.EntryTsc)], eax);
            a.mov(__dword_ptr[e.BootInfoAddress(BootInfoLayout.EntryTsc + 4)], edx);
            a.mov(__dword_ptr[e.BootInfoAddress(BootInfoLayout.PvhStartInfo)], ebx);
            a.mov(__dword_ptr[e.BootInfoAddress(BootInfoLayout.PvhStartInfo + 4)], 0);
            a.mov(esp, (uint)e.BssAddress(BootStackTop));
            a.cld();
        });

        e.Function(PageTablesSymbol, isGlobal: false, () =>
        {
            // Every entry is written explicitly: nothing here relies on the loader zeroing .bss.
            a.mov(edi, (uint)e.BssAddress(Pml4));
            a.xor(eax, eax);
            a.mov(ecx, PageTablesSize / 4);
            a.rep.stosd();

            a.mov(__dword_ptr[e.BssAddress(Pml4)], (uint)(e.BssAddress(Pdpt) + PagePresentWritable));
            // The same 4 GiB again at the kernel's direct map (PML4 slot 256, 0xFFFF_8000_0000_0000): the kernel
            // reaches all memory but its own image there, and later replaces the identity half with the app's.
            a.mov(__dword_ptr[e.BssAddress(Pml4) + DirectMapPml4Slot * 8], (uint)(e.BssAddress(Pdpt) + PagePresentWritable));

            var pdptLoop = a.CreateLabel();
            a.mov(edi, (uint)e.BssAddress(Pdpt));
            a.mov(eax, (uint)(e.BssAddress(PageDirectories) + PagePresentWritable));
            a.mov(ecx, PageDirectoryCount);
            a.Label(ref pdptLoop);
            a.mov(__dword_ptr[edi], eax);
            a.add(eax, (int)PageSize);
            a.add(edi, 8);
            a.dec(ecx);
            a.jnz(pdptLoop);

            // 4 directories x 512 entries of 2 MiB = the first 4 GiB, identity mapped.
            var directoryLoop = a.CreateLabel();
            a.mov(edi, (uint)e.BssAddress(PageDirectories));
            a.mov(eax, (uint)LargePagePresentWritable);
            a.mov(ecx, PageDirectoryCount * EntriesPerTable);
            a.Label(ref directoryLoop);
            a.mov(__dword_ptr[edi], eax);
            a.add(eax, unchecked((int)LargePageSize));
            a.add(edi, 8);
            a.dec(ecx);
            a.jnz(directoryLoop);

            // The first 2 MiB go through 4 KiB pages instead, so that page 0 can stay unmapped and a
            // null pointer dereference faults.
            a.mov(__dword_ptr[e.BssAddress(PageDirectories)], (uint)(e.BssAddress(LowPageTable) + PagePresentWritable));
            var lowTableLoop = a.CreateLabel();
            a.mov(edi, (uint)e.BssAddress(LowPageTable + 8));
            a.mov(eax, (uint)(PageSize + PagePresentWritable));
            a.mov(ecx, EntriesPerTable - 1);
            a.Label(ref lowTableLoop);
            a.mov(__dword_ptr[edi], eax);
            a.add(eax, (int)PageSize);
            a.add(edi, 8);
            a.dec(ecx);
            a.jnz(lowTableLoop);
        });

        e.Function(EnterLongModeSymbol, isGlobal: false, () =>
        {
            a.mov(eax, cr4);
            a.or(eax, (int)Cr4Pae);
            a.mov(cr4, eax);
            a.mov(eax, (uint)e.BssAddress(Pml4));
            a.mov(cr3, eax);

            // esi collects the optional EFER bits; cpuid clobbers ebx, which was saved above.
            var noExtendedLeaf = a.CreateLabel();
            a.xor(esi, esi);
            a.mov(eax, 0x8000_0000u);
            a.cpuid();
            a.cmp(eax, 0x8000_0001u);
            a.jb(noExtendedLeaf);
            a.mov(eax, 0x8000_0001u);
            a.cpuid();
            a.bt(edx, CpuidNoExecuteBit);
            a.jnc(noExtendedLeaf);
            a.mov(esi, EferNoExecuteEnable);
            a.Label(ref noExtendedLeaf);
            a.mov(ecx, EferMsr);
            a.rdmsr();
            a.or(eax, (int)EferLongModeEnable);
            a.or(eax, esi);
            a.wrmsr();

            // Paging on with LME set activates long mode (compatibility mode until the far jump).
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)(Cr0Paging | Cr0WriteProtect)));
            a.mov(cr0, eax);

            // In 32-bit mode lgdt reads a 6-byte pointer: the low half of the 8-byte base suffices.
            a.lgdt(__fword_ptr[e.DataAddress(GdtPointer)]);
            a.jmp(DescriptorTables.KernelCodeSelector, (uint)e.EarlierTextSymbol(LongModeInit.EntrySymbol));
        });
    }
}
