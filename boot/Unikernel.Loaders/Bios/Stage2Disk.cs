using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Bios.LowMemory;

namespace Unikernel.Loaders.Bios;

/// <summary>Stage 2's disk reads (INT 13h AH=42h) and the moves above 1 MiB.</summary>
internal sealed partial class Stage2Program
{
    private const int ReadAttempts = 3;

    private void EmitDiskReads()
    {
        // EAX = the LBA, CX = sectors (at most 127), BX = the buffer's segment (offset 0). Keeps every register. A read
        // that fails three times (with a disk reset between) stops the boot with the LBA and the BIOS's status.
        var attempt = a.CreateLabel();
        var read = a.CreateLabel();
        var failed = a.CreateLabel();
        Here(ref _readSectors);
        a.pushad();
        a.mov(__dword_ptr[Variable.ReadLba], eax);
        a.mov(__word_ptr[Variable.ReadSectors], cx);
        a.mov(__word_ptr[Variable.ReadSegment], bx);
        a.mov(bp, ReadAttempts);
        Here(ref attempt);
        // The packet again for each attempt: a failed read may leave the count of sectors it did transfer in it.
        a.mov(__word_ptr[DiskAddressPacket], 16);
        a.mov(ax, __word_ptr[Variable.ReadSectors]);
        a.mov(__word_ptr[DiskAddressPacket + 2], ax);
        a.mov(__word_ptr[DiskAddressPacket + 4], 0);
        a.mov(ax, __word_ptr[Variable.ReadSegment]);
        a.mov(__word_ptr[DiskAddressPacket + 6], ax);
        a.mov(eax, __dword_ptr[Variable.ReadLba]);
        a.mov(__dword_ptr[DiskAddressPacket + 8], eax);
        a.mov(__dword_ptr[DiskAddressPacket + 12], 0u);
        a.mov(si, DiskAddressPacket);
        a.mov(dl, __byte_ptr[Variable.Drive]);
        a.mov(ah, 0x42);
        a.@int(0x13);
        a.jnc(read);
        a.mov(bl, ah);
        a.dec(bp);
        a.jz(failed);
        a.xor(ax, ax);
        a.mov(dl, __byte_ptr[Variable.Drive]);
        a.@int(0x13);
        a.jmp(attempt);
        Here(ref read);
        a.popad();
        a.ret();
        Here(ref failed);
        a.mov(si, m["ukboot: disk read error at LBA "]);
        a.mov(eax, __dword_ptr[Variable.ReadLba]);
        a.call(_puts);
        a.mov(si, m["0x"]);
        a.call(_puts);
        a.mov(cl, 8);
        a.call(_putHex);
        a.mov(si, m[" (INT 13h AH=42h status 0x"]);
        a.call(_puts);
        a.movzx(eax, bl);
        a.mov(cl, 2);
        a.call(_putHex);
        a.mov(si, m[")"]);
        a.call(_puts);
        a.jmp(_halt);

        // [LoadOffset] = where in the image, [LoadRemaining] = bytes, [LoadDestination] = the physical address: read
        // through the bounce buffer in chunks of up to 127 sectors, each moved to its place in protected mode. The image
        // starts at a sector boundary; a range need not: the first chunk skips the bytes before it.
        var capBytes = a.CreateLabel();
        var capSectors = a.CreateLabel();
        var capCopy = a.CreateLabel();
        var loaded = a.CreateLabel();
        Here(ref _loadRange);
        a.cmp(__dword_ptr[Variable.LoadRemaining], 0u);
        a.je(loaded);
        a.mov(eax, __dword_ptr[Variable.LoadOffset]);
        a.mov(edx, eax);
        a.and(edx, DiskBootContract.SectorBytes - 1);               // bytes to skip in the first sector
        a.shr(eax, 9);
        a.add(eax, __dword_ptr[BootMap + BootMapLayout.ImageLba]);
        a.mov(ecx, __dword_ptr[Variable.LoadRemaining]);
        a.cmp(ecx, (uint)(SectorsPerRead * DiskBootContract.SectorBytes));
        a.jbe(capBytes);
        a.mov(ecx, (uint)(SectorsPerRead * DiskBootContract.SectorBytes));
        Here(ref capBytes);
        a.add(ecx, edx);
        a.add(ecx, DiskBootContract.SectorBytes - 1);
        a.shr(ecx, 9);
        a.cmp(ecx, SectorsPerRead);
        a.jbe(capSectors);
        a.mov(ecx, (uint)SectorsPerRead);
        Here(ref capSectors);
        a.mov(bx, BounceSegment);
        a.call(_readSectors);
        a.shl(ecx, 9);
        a.sub(ecx, edx);                                            // the chunk's bytes of the range
        a.cmp(ecx, __dword_ptr[Variable.LoadRemaining]);
        a.jbe(capCopy);
        a.mov(ecx, __dword_ptr[Variable.LoadRemaining]);
        Here(ref capCopy);
        a.lea(esi, __[edx + (int)Bounce]);
        a.mov(edi, __dword_ptr[Variable.LoadDestination]);
        a.add(__dword_ptr[Variable.LoadOffset], ecx);
        a.add(__dword_ptr[Variable.LoadDestination], ecx);
        a.sub(__dword_ptr[Variable.LoadRemaining], ecx);
        a.call(_highMove);
        a.jmp(_loadRange);
        Here(ref loaded);
        a.ret();
    }

    private void EmitHighMove()
    {
        // ESI = source (0: zero instead), EDI = destination, ECX = bytes, any physical addresses below 4 GiB. The GDT is
        // loaded every time: the BIOS loads its own for its 32-bit code. Changes EAX, ECX, EDX, ESI, EDI.
        Here(ref _highMove);
        a.cli();
        a.lgdt(__[_at.Gdtr]);
        a.mov(eax, cr0);
        a.or(al, 1);
        a.mov(cr0, eax);
        a.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1616, ProtectedModeGate.Code32, checked((ushort)_at.Move32)));

        // Back from the 32-bit code, in 16-bit protected mode: segments with real mode's 64 KiB limits, then PE off and a
        // far jump, so CS holds a real-mode value again before the next interrupt.
        Here(ref _return16);
        a.mov(ax, ProtectedModeGate.Data16);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(eax, cr0);
        a.and(al, 0xFE);
        a.mov(cr0, eax);
        a.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1616, 0, checked((ushort)_at.RealModeAgain)));
        Here(ref _realModeAgain);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.sti();
        a.ret();
    }
}
