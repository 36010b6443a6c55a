using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// How an application processor (AP) gets from the real mode its start-up IPI leaves it in to the kernel's long
/// mode (Intel SDM vol. 3, 8.4.4 and 9.8-9.9; docs/boot-abi.md, "Application processors"). Two parts:
/// <list type="bullet">
/// <item>The trampoline: a position-independent image the kernel copies to a free page below 1 MiB, whose page
/// number is the start-up IPI's vector. Real-mode code at offset 0 finds its own address (CS &lt;&lt; 4), points a
/// small GDT and a far pointer at it, enters protected mode, then (32-bit, <see cref="Code32Offset"/>) turns on PAE,
/// loads the BSP's CR3, EFER (LME, NXE, SCE) and CR0 (PG, WP, ...), which activates long mode, and far-returns
/// into <see cref="LongModeSymbol"/> through the GDT's 64-bit code segment. The parameters block
/// (<see cref="DataOffset"/>) holds what the kernel wrote for this AP.</item>
/// <item><see cref="LongModeSymbol"/>, in .text.boot (identity mapped, so a 32-bit far pointer reaches it), with ebx
/// still the trampoline's address: the AP's own GDT (and TSS), the shared IDT, the BSP's CR4 and XCR0, its stack,
/// then <c>uk_ap_main(argument)</c>, which never returns.</item>
/// </list>
/// The image is embedded in .text.boot (not decoded for relocations: it has none) and found through
/// <see cref="InfoSymbol"/>.
/// </summary>
public static class ApTrampoline
{
    public const string InfoSymbol = "uk_ap_trampoline";
    public const string LongModeSymbol = "uk_ap_long_mode";
    public const string KernelEntrySymbol = "uk_ap_main";
    public const string ImageSymbol = "uk_ap_trampoline_image";
    public const string StoreIdtPointerSymbol = "uk_store_idt_pointer";

    public const int Code32Offset = 0x080;
    public const int DataOffset = 0x100;

    // The parameters block, from DataOffset. The first four are the trampoline's own (filled by its real-mode
    // code or constant); the kernel writes the rest before each start-up IPI.
    public const int Gdt = 0x00;                 // null, 32-bit code 0x08, data 0x10, 64-bit code 0x18
    public const int GdtPointer = 0x20;          // u16 limit, u32 base (computed)
    public const int FarPointer = 0x28;          // u32 offset of the 32-bit code (computed), u16 selector 0x08
    public const int Cr3 = 0x30;                 // u64: the BSP's CR3 (below 4 GiB: loaded in 32-bit mode)
    public const int Cr4 = 0x38;                 // u64: the BSP's CR4, loaded once in long mode
    public const int Cr0 = 0x40;                 // u64: the BSP's CR0 (PG and PE included)
    public const int Efer = 0x48;                // u64: the BSP's EFER without LMA
    public const int Xcr0 = 0x50;                // u64: 0 without XSAVE
    public const int FinalGdtPointer = 0x58;     // u16 limit, u64 base: the AP's own GDT
    public const int FinalIdtPointer = 0x68;     // u16 limit, u64 base: the shared IDT
    public const int StackTop = 0x78;            // u64
    public const int LongModeEntry = 0x80;       // u64: uk_ap_long_mode (below 4 GiB)
    public const int Argument = 0x88;            // u64: uk_ap_main's argument
    public const int ParametersSize = 0x90;
    public const int ImageSize = DataOffset + ParametersSize;

    private const ushort Code32Selector = 0x08, Data32Selector = 0x10, Code64Selector = 0x18;
    private static readonly ulong[] TrampolineGdt =
    {
        0,
        0x00CF_9A00_0000_FFFF,   // 32-bit code, base 0, 4 GiB
        0x00CF_9200_0000_FFFF,   // data, base 0, 4 GiB
        0x00AF_9A00_0000_FFFF,   // 64-bit code
    };

    /// <summary>The trampoline image: ImageSize bytes, the kernel's fields zero.</summary>
    public static byte[] BuildImage()
    {
        var image = new byte[ImageSize];
        Array.Fill(image, (byte)0xCC, 0, DataOffset);
        Place(image, 0, RealMode(), Code32Offset);
        Place(image, Code32Offset, ProtectedMode(), DataOffset);
        var data = image.AsSpan(DataOffset);
        for (int i = 0; i < TrampolineGdt.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(data[(Gdt + 8 * i)..], TrampolineGdt[i]);
        BinaryPrimitives.WriteUInt16LittleEndian(data[GdtPointer..], (ushort)(TrampolineGdt.Length * 8 - 1));
        BinaryPrimitives.WriteUInt16LittleEndian(data[(FarPointer + 4)..], Code32Selector);
        return image;
    }

    private static void Place(byte[] image, int offset, byte[] code, int limit)
    {
        if (offset + code.Length > limit)
            throw new InvalidOperationException($"AP trampoline: code at 0x{offset:X} is {code.Length} bytes, more than fits before 0x{limit:X}");
        code.CopyTo(image, offset);
    }

    // CS = the page's segment, IP = 0, interrupts off (INIT left IF clear; cli anyway). Real-mode offsets are page
    // offsets, so the data block is addressed by its offset with DS = CS; ebx keeps the page's linear address.
    private static byte[] RealMode()
    {
        var a = new Assembler(16);
        a.cli();
        a.cld();
        a.mov(ax, cs);
        a.mov(ds, ax);
        a.movzx(ebx, ax);
        a.shl(ebx, 4);
        a.lea(eax, __dword_ptr[ebx + DataOffset + Gdt]);
        a.mov(__dword_ptr[DataOffset + GdtPointer + 2], eax);
        a.lea(eax, __dword_ptr[ebx + Code32Offset]);
        a.mov(__dword_ptr[DataOffset + FarPointer], eax);
        a.AddInstruction(Instruction.Create(Code.Lgdt_m1632, new MemoryOperand(Register.None, Register.None, 1, DataOffset + GdtPointer, 2)));
        a.mov(eax, cr0);
        a.or(eax, 1);                          // PE
        a.mov(cr0, eax);
        a.AddInstruction(Instruction.Create(Code.Jmp_m1632, new MemoryOperand(Register.None, Register.None, 1, DataOffset + FarPointer, 2)));
        return Assemble(a, 0);
    }

    // Flat 32-bit protected mode, paging off; ebx = the trampoline's address. The stack is the page's top (for the
    // far return only). Long mode activates when CR0.PG is set with EFER.LME and CR4.PAE.
    private static byte[] ProtectedMode()
    {
        var a = new Assembler(32);
        a.mov(ax, Data32Selector);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.lea(esp, __dword_ptr[ebx + 0x1000]);
        a.mov(eax, ControlRegisters.Cr4Pae);
        a.mov(cr4, eax);
        a.mov(eax, __dword_ptr[ebx + DataOffset + Cr3]);
        a.mov(cr3, eax);
        a.mov(ecx, ControlRegisters.EferMsr);
        a.mov(eax, __dword_ptr[ebx + DataOffset + Efer]);
        a.mov(edx, __dword_ptr[ebx + DataOffset + Efer + 4]);
        a.wrmsr();
        a.mov(eax, __dword_ptr[ebx + DataOffset + Cr0]);
        a.mov(cr0, eax);
        a.push((int)Code64Selector);
        a.push(__dword_ptr[ebx + DataOffset + LongModeEntry]);
        a.retf();
        return Assemble(a, 0);
    }

    private static byte[] Assemble(Assembler a, ulong address)
    {
        var writer = new ByteCodeWriter();
        a.Assemble(writer, address);
        return writer.Bytes.ToArray();
    }

    /// <summary>Emits <see cref="InfoSymbol"/>, <see cref="LongModeSymbol"/> and the image (64-bit fragment).</summary>
    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;
        var image = e.LabelOf(ImageSymbol);
        // uk_ap_trampoline(ulong* out): out[0] = the image's address, out[1] = its size, out[2] = uk_ap_long_mode.
        e.Function(InfoSymbol, isGlobal: true, () =>
        {
            a.lea(rax, __[image]);
            a.mov(__qword_ptr[rdi], rax);
            a.mov(__qword_ptr[rdi + 8], ImageSize);
            a.lea(rax, __[e.LabelOf(LongModeSymbol)]);
            a.mov(__qword_ptr[rdi + 16], rax);
            a.ret();
        });
        // Entered by the far return with CS = the trampoline's 64-bit selector and ebx = the trampoline's address.
        e.Function(LongModeSymbol, isGlobal: false, () =>
        {
            var reloadCs = a.CreateLabel();
            var noXsave = a.CreateLabel();
            var halt = a.CreateLabel();
            a.mov(ebx, ebx);    // zero-extends: the upper half is undefined after the mode switch
            a.lgdt(__[rbx + DataOffset + FinalGdtPointer]);
            a.mov(ax, DescriptorTables.KernelDataSelector);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.xor(eax, eax);
            a.mov(fs, ax);
            a.mov(gs, ax);
            a.push((int)DescriptorTables.KernelCodeSelector);
            a.lea(rax, __[reloadCs]);
            a.push(rax);
            a.AddInstruction(Instruction.Create(Code.Retfq));
            a.Label(ref reloadCs);
            a.mov(ax, DescriptorTables.TssSelector);
            a.ltr(ax);
            a.lidt(__[rbx + DataOffset + FinalIdtPointer]);
            a.mov(rax, __qword_ptr[rbx + DataOffset + Cr4]);
            a.mov(cr4, rax);
            a.mov(rax, __qword_ptr[rbx + DataOffset + Xcr0]);
            a.test(rax, rax);
            a.jz(noXsave);
            a.mov(rdx, rax);
            a.shr(rdx, 32);
            a.xor(ecx, ecx);
            a.xsetbv();
            a.Label(ref noXsave);
            a.fninit();
            a.mov(rsp, __qword_ptr[rbx + DataOffset + StackTop]);
            a.mov(rdi, __qword_ptr[rbx + DataOffset + Argument]);
            a.xor(ebp, ebp);    // the end of the frame-pointer chain for stack traces
            e.CallExternal(KernelEntrySymbol);
            a.Label(ref halt);
            a.cli();
            a.hlt();
            a.jmp(halt);
        });
        // uk_store_idt_pointer(void* out): sidt, the 10-byte IDT pointer every AP loads too.
        e.Function(StoreIdtPointerSymbol, isGlobal: true, () =>
        {
            a.sidt(__[rdi]);
            a.ret();
        });
        e.Function(ImageSymbol, isGlobal: false, () => e.EmbeddedData(BuildImage()));
    }
}
