using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Bios.LowMemory;

namespace Unikernel.Loaders.Bios;

/// <summary>What stage 2 asks the firmware for: the E820 memory map, A20, the RSDP.</summary>
internal sealed partial class Stage2Program
{
    private const uint Smap = 0x534D4150;   // "SMAP"
    private const int E820Type = 16, E820Attributes = 20;

    /// <summary>
    /// INT 15h AX=E820h into <see cref="LowMemory.MemoryMap"/>. hvm_memmap_table_entry has E820's layout (base, length,
    /// type) with a reserved dword where ACPI 3.0 put extended attributes: an entry whose attributes say "ignore me" is
    /// left out, as are empty ones, and the dword is zeroed.
    /// </summary>
    private void ReadMemoryMap()
    {
        var next = a.CreateLabel();
        var skip = a.CreateLabel();
        var done = a.CreateLabel();

        a.xor(ebx, ebx);
        a.mov(di, MemoryMap);
        a.xor(bp, bp);
        Here(ref next);
        a.mov(__dword_ptr[di + E820Attributes], 1u);   // a 20-byte answer leaves it "valid"
        a.mov(eax, 0xE820u);
        a.mov(edx, Smap);
        a.mov(ecx, (uint)MemoryMapEntryBytes);
        a.@int(0x15);
        a.jc(done);                                      // carry after the first entry: the end of the list
        a.cmp(eax, Smap);
        a.jne(done);
        a.test(__byte_ptr[di + E820Attributes], 1);
        a.jz(skip);
        a.mov(eax, __dword_ptr[di + 8]);
        a.or(eax, __dword_ptr[di + 12]);
        a.jz(skip);
        a.mov(__dword_ptr[di + E820Attributes], 0u);
        a.add(di, MemoryMapEntryBytes);
        a.inc(bp);
        a.cmp(bp, MaxMemoryMapEntries);
        FailIf(a.ja, $"ukboot: the E820 memory map has more than {MaxMemoryMapEntries} entries");
        Here(ref skip);
        a.test(ebx, ebx);
        a.jnz(next);
        Here(ref done);
        a.test(bp, bp);
        FailIf(a.jz, "ukboot: the BIOS gave no memory map (INT 15h E820h)");
        a.movzx(eax, bp);
        a.mov(__dword_ptr[Variable.MemoryMapEntries], eax);
    }

    /// <summary>
    /// The A20 gate: without it every odd MiB aliases the one below, and the kernel's segments would land on top of each
    /// other. Already on (QEMU, most modern firmware), else INT 15h AX=2401h, else the "fast A20" bit of port 0x92;
    /// each checked by writing through the alias.
    /// </summary>
    private void EnableA20()
    {
        var check = a.CreateLabel();
        var on = a.CreateLabel();
        var alreadyOn = a.CreateLabel();
        var skipPort = a.CreateLabel();

        a.call(check);
        a.jnc(on);
        a.mov(ax, 0x2401);
        a.@int(0x15);
        a.call(check);
        a.jnc(on);
        a.@in(al, 0x92);
        a.test(al, 2);
        a.jnz(skipPort);
        a.or(al, 2);
        a.and(al, 0xFE);          // bit 0 would reset the machine
        a.@out(0x92, al);
        Here(ref skipPort);
        a.call(check);
        FailIf(a.jc, "ukboot: cannot enable the A20 gate (tried INT 15h AX=2401h and port 0x92)");
        a.jmp(on);

        // CF set when A20 is off: 0xFFFF:(probe + 0x10) is the probe's address + 1 MiB, which wraps onto the probe itself.
        Here(ref check);
        a.push(es);
        a.mov(ax, 0xFFFF);
        a.mov(es, ax);
        a.mov(__word_ptr[Variable.A20Probe], 0x1234);
        a.mov(__word_ptr.es[Variable.A20Probe + 0x10], 0xA55A);
        a.cmp(__word_ptr[Variable.A20Probe], 0x1234);
        a.pop(es);
        a.je(alreadyOn);          // CF is clear after an equal compare
        a.stc();
        Here(ref alreadyOn);
        a.ret();

        Here(ref on);
    }

    /// <summary>
    /// The RSDP, where ACPI 5.2.5.1 says a BIOS leaves it: on a 16-byte boundary in the EBDA's first KiB or in
    /// 0xE0000..0xFFFFF, with the signature "RSD PTR ", a zero checksum over its first 20 bytes and, from revision 2,
    /// over its whole length. Not found: rsdp_paddr stays 0 and the kernel goes without ACPI.
    /// </summary>
    private void FindRsdp()
    {
        var scan = a.CreateLabel();
        var biosArea = a.CreateLabel();
        var found = a.CreateLabel();
        var done = a.CreateLabel();

        a.mov(ax, __word_ptr[EbdaSegmentPointer]);
        a.test(ax, ax);
        a.jz(biosArea);
        a.mov(cx, 1024 / 16);
        a.call(scan);
        a.jnc(found);
        Here(ref biosArea);
        a.mov(ax, 0xE000);
        a.mov(cx, 0x20000 / 16);
        a.call(scan);
        a.jc(done);
        Here(ref found);
        a.movzx(eax, ax);
        a.shl(eax, 4);
        a.mov(__dword_ptr[Variable.Rsdp], eax);
        a.jmp(done);

        // AX = the first paragraph, CX = how many. Out: CF clear and AX = the RSDP's paragraph, or CF set.
        var candidate = a.CreateLabel();
        var nextParagraph = a.CreateLabel();
        var sum = a.CreateLabel();
        var sumExtended = a.CreateLabel();
        var yes = a.CreateLabel();
        Here(ref scan);
        a.push(es);
        Here(ref candidate);
        a.mov(es, ax);
        a.cmp(__dword_ptr.es[0], 0x20445352u);   // "RSD "
        a.jne(nextParagraph);
        a.cmp(__dword_ptr.es[4], 0x20525450u);   // "PTR "
        a.jne(nextParagraph);
        a.xor(bx, bx);
        a.xor(dl, dl);
        Here(ref sum);
        a.add(dl, __byte_ptr.es[bx]);
        a.inc(bx);
        a.cmp(bx, 20);
        a.jb(sum);
        a.test(dl, dl);
        a.jnz(nextParagraph);
        a.cmp(__byte_ptr.es[15], 2);              // revision
        a.jb(yes);
        a.cmp(__word_ptr.es[22], 0);              // length, high half
        a.jne(nextParagraph);
        a.mov(di, __word_ptr.es[20]);
        a.cmp(di, 36);
        a.jb(nextParagraph);
        a.cmp(di, 1024);
        a.ja(nextParagraph);
        a.xor(bx, bx);
        a.xor(dl, dl);
        Here(ref sumExtended);
        a.add(dl, __byte_ptr.es[bx]);
        a.inc(bx);
        a.cmp(bx, di);
        a.jb(sumExtended);
        a.test(dl, dl);
        a.jz(yes);
        Here(ref nextParagraph);
        a.inc(ax);
        a.loop(candidate);
        a.pop(es);
        a.stc();
        a.ret();
        Here(ref yes);
        a.pop(es);
        a.clc();
        a.ret();

        Here(ref done);
    }
}
