using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Bios.LowMemory;

namespace Unikernel.Loaders.Bios;

/// <summary>Stage 2 and the ELF image: the header, the program headers, the PVH note, the PT_LOAD segments.</summary>
internal sealed partial class Stage2Program
{
    private const uint ElfMagic = 0x464C457F;           // "\x7FELF"
    private const ushort Elf64LittleEndian = 0x0102;    // EI_CLASS = ELFCLASS64, EI_DATA = ELFDATA2LSB
    private const ushort EtExec = 2, EmX86_64 = 62, ProgramHeaderBytes = 56;
    private const uint PtLoad = 1, PtNote = 4;
    private const uint XenNoteName = 0x006E6558;        // "Xen\0"
    private const uint XenElfNotePhys32Entry = 18;
    private const uint OneMiB = 0x100000;

    // Elf64_Ehdr and Elf64_Phdr fields (ELF gABI).
    private const int EPhoff = 32, EType = 16, EMachine = 18, EPhentsize = 54, EPhnum = 56;
    private const int PType = 0, POffset = 8, PPaddr = 24, PFilesz = 32, PMemsz = 40, PAlign = 48;

    private Label _inRam, _findPvhNote;

    /// <summary>Every boot map value is used as 32 bits: check that they are, and that the image is there at all.</summary>
    private void CheckBootMap()
    {
        a.mov(eax, __dword_ptr[BootMap + BootMapLayout.ImageLba + 4]);
        a.or(eax, __dword_ptr[BootMap + BootMapLayout.ImageBytes + 4]);
        a.or(eax, __dword_ptr[BootMap + BootMapLayout.ConfigLba + 4]);
        FailIf(a.jnz, "ukboot: the boot map places the image or the configuration beyond what stage 2 reads (LBA or size over 32 bits)");
        a.cmp(__dword_ptr[BootMap + BootMapLayout.ImageLba], 0u);
        FailIf(a.je, "ukboot: the boot map gives no image (ImageLba 0)");
        a.mov(eax, __dword_ptr[BootMap + BootMapLayout.ImageBytes]);
        a.cmp(eax, 64u);
        FailWithNumberIf(a.jb, "ukboot: the boot map's image is too small to be an ELF file, ImageBytes ");
        a.shr(eax, 9);
        a.inc(eax);
        a.add(eax, __dword_ptr[BootMap + BootMapLayout.ImageLba]);
        FailIf(a.jc, "ukboot: the boot map's image ends beyond LBA 2^32");
    }

    /// <summary>The first 4 KiB of the image (less if it is smaller): the ELF header and the program headers, checked.</summary>
    private void ReadElfHeader()
    {
        var small = a.CreateLabel();
        var inHeaderBuffer = a.CreateLabel();

        a.mov(__dword_ptr[Variable.LoadOffset], 0u);
        a.mov(__dword_ptr[Variable.LoadDestination], (uint)ElfHeader);
        a.mov(eax, __dword_ptr[BootMap + BootMapLayout.ImageBytes]);
        a.cmp(eax, (uint)ElfHeaderBytes);
        a.jbe(small);
        a.mov(eax, (uint)ElfHeaderBytes);
        Here(ref small);
        a.mov(__dword_ptr[Variable.LoadRemaining], eax);
        a.push(eax);
        a.call(_loadRange);
        a.pop(edx);                                   // how much of the header buffer holds the image

        a.cmp(__dword_ptr[ElfHeader], ElfMagic);
        FailIf(a.jne, "ukboot: IMAGE.ELF is not an ELF file (no ELF magic)");
        a.cmp(__word_ptr[ElfHeader + 4], Elf64LittleEndian);
        FailIf(a.jne, "ukboot: IMAGE.ELF is not a 64-bit little-endian ELF file");
        a.cmp(__word_ptr[ElfHeader + EType], EtExec);
        FailIf(a.jne, "ukboot: IMAGE.ELF is not an executable (e_type is not ET_EXEC)");
        a.cmp(__word_ptr[ElfHeader + EMachine], EmX86_64);
        FailIf(a.jne, "ukboot: IMAGE.ELF is not an x86-64 executable (e_machine)");
        a.cmp(__word_ptr[ElfHeader + EPhentsize], ProgramHeaderBytes);
        FailIf(a.jne, "ukboot: IMAGE.ELF has program headers of the wrong size (e_phentsize)");
        a.movzx(ecx, __word_ptr[ElfHeader + EPhnum]);
        a.test(ecx, ecx);
        FailIf(a.jz, "ukboot: IMAGE.ELF has no program headers");
        a.imul(ecx, ecx, ProgramHeaderBytes);
        a.cmp(__dword_ptr[ElfHeader + EPhoff + 4], 0u);
        a.jne(inHeaderBuffer);
        a.add(ecx, __dword_ptr[ElfHeader + EPhoff]);
        a.jc(inHeaderBuffer);
        a.cmp(ecx, edx);
        Here(ref inHeaderBuffer);
        FailIf(a.ja, "ukboot: IMAGE.ELF's program headers are not within its first 4 KiB");
    }

    /// <summary>
    /// Before anything is loaded: every PT_LOAD's file bytes inside the image and its memory in RAM above 1 MiB, and the
    /// PVH entry point from the first PT_NOTE that has it.
    /// </summary>
    private void CheckProgramHeaders()
    {
        ForEachProgramHeader(next =>
        {
            var load = a.CreateLabel();
            var note = a.CreateLabel();
            a.cmp(__dword_ptr[bx + PType], PtLoad);
            a.je(load);
            a.cmp(__dword_ptr[bx + PType], PtNote);
            a.je(note);
            a.jmp(next);

            Here(ref load);
            CheckFileRange();
            a.mov(eax, __dword_ptr[bx + PPaddr]);
            a.mov(edx, __dword_ptr[bx + PPaddr + 4]);
            a.or(edx, __dword_ptr[bx + PMemsz + 4]);
            FailWithNumberIf(a.jnz, "ukboot: IMAGE.ELF has a segment above 4 GiB, p_paddr ");
            a.cmp(eax, OneMiB);
            FailWithNumberIf(a.jb, "ukboot: IMAGE.ELF has a segment below 1 MiB, p_paddr ");
            a.mov(ecx, __dword_ptr[bx + PFilesz]);
            a.cmp(ecx, __dword_ptr[bx + PMemsz]);
            FailWithNumberIf(a.ja, "ukboot: IMAGE.ELF has a segment whose p_filesz exceeds its p_memsz, p_paddr ");
            a.mov(ecx, eax);
            a.add(ecx, __dword_ptr[bx + PMemsz]);
            FailWithNumberIf(a.jc, "ukboot: IMAGE.ELF has a segment above 4 GiB, p_paddr ");
            a.call(_inRam);
            FailWithNumberIf(a.jc, "ukboot: IMAGE.ELF has a segment outside the RAM the BIOS reports (E820), p_paddr ");
            a.jmp(next);

            Here(ref note);
            a.cmp(__dword_ptr[Variable.PvhEntry], 0u);
            a.jne(next);
            CheckFileRange();
            a.mov(eax, __dword_ptr[bx + PFilesz]);
            a.cmp(eax, (uint)NotesBytes);
            FailWithNumberIf(a.ja, "ukboot: IMAGE.ELF has a PT_NOTE segment over 8 KiB, p_filesz ");
            a.mov(__dword_ptr[Variable.LoadRemaining], eax);
            a.mov(eax, __dword_ptr[bx + POffset]);
            a.mov(__dword_ptr[Variable.LoadOffset], eax);
            a.mov(__dword_ptr[Variable.LoadDestination], (uint)Notes);
            a.call(_loadRange);
            a.mov(bx, __word_ptr[Variable.ProgramHeader]);
            a.call(_findPvhNote);
        });
        a.cmp(__dword_ptr[Variable.PvhEntry], 0u);
        FailIf(a.je, "ukboot: IMAGE.ELF has no PVH entry point (no \"Xen\" ELF note of type 18, XEN_ELFNOTE_PHYS32_ENTRY)");
    }

    /// <summary>Each PT_LOAD's file bytes to p_paddr, and zeros from p_filesz to p_memsz.</summary>
    private void LoadSegments()
    {
        ForEachProgramHeader(next =>
        {
            a.cmp(__dword_ptr[bx + PType], PtLoad);
            a.jne(next);
            a.mov(eax, __dword_ptr[bx + POffset]);
            a.mov(__dword_ptr[Variable.LoadOffset], eax);
            a.mov(eax, __dword_ptr[bx + PFilesz]);
            a.mov(__dword_ptr[Variable.LoadRemaining], eax);
            a.mov(eax, __dword_ptr[bx + PPaddr]);
            a.mov(__dword_ptr[Variable.LoadDestination], eax);
            a.call(_loadRange);
            a.mov(bx, __word_ptr[Variable.ProgramHeader]);
            a.mov(ecx, __dword_ptr[bx + PMemsz]);
            a.sub(ecx, __dword_ptr[bx + PFilesz]);
            a.jz(next);
            a.xor(esi, esi);
            a.mov(edi, __dword_ptr[bx + PPaddr]);
            a.add(edi, __dword_ptr[bx + PFilesz]);
            a.call(_highMove);
        });
    }

    /// <summary>Emits a loop over the program headers with BX = the current one; <c>body</c> branches to its label to go on.</summary>
    private void ForEachProgramHeader(Action<Label> body)
    {
        var top = a.CreateLabel();
        var next = a.CreateLabel();
        a.mov(ax, __word_ptr[ElfHeader + EPhoff]);
        a.add(ax, ElfHeader);
        a.mov(__word_ptr[Variable.ProgramHeader], ax);
        a.mov(ax, __word_ptr[ElfHeader + EPhnum]);
        a.mov(__word_ptr[Variable.ProgramHeadersLeft], ax);
        Here(ref top);
        a.mov(bx, __word_ptr[Variable.ProgramHeader]);
        body(next);
        Here(ref next);
        a.add(__word_ptr[Variable.ProgramHeader], ProgramHeaderBytes);
        a.dec(__word_ptr[Variable.ProgramHeadersLeft]);
        a.jnz(top);
    }

    /// <summary>BX = a program header: its file bytes must lie inside the image.</summary>
    private void CheckFileRange()
    {
        a.mov(eax, __dword_ptr[bx + POffset]);
        a.mov(edx, __dword_ptr[bx + POffset + 4]);
        a.or(edx, __dword_ptr[bx + PFilesz + 4]);
        FailWithNumberIf(a.jnz, "ukboot: IMAGE.ELF has a segment whose file bytes lie beyond its end, p_offset ");
        a.mov(edx, eax);
        a.add(edx, __dword_ptr[bx + PFilesz]);
        FailWithNumberIf(a.jc, "ukboot: IMAGE.ELF has a segment whose file bytes lie beyond its end, p_offset ");
        a.cmp(edx, __dword_ptr[BootMap + BootMapLayout.ImageBytes]);
        FailWithNumberIf(a.ja, "ukboot: IMAGE.ELF has a segment whose file bytes lie beyond its end, p_offset ");
    }

    private void EmitImageSubroutines()
    {
        // EAX = start, ECX = end (exclusive) of a physical range. CF clear when one E820 RAM entry holds all of it.
        var entry = a.CreateLabel();
        var nextEntry = a.CreateLabel();
        var inside = a.CreateLabel();
        Here(ref _inRam);
        a.pushad();
        a.mov(di, MemoryMap);
        a.mov(bp, __word_ptr[Variable.MemoryMapEntries]);
        Here(ref entry);
        a.cmp(__dword_ptr[di + E820Type], 1u);
        a.jne(nextEntry);
        a.cmp(__dword_ptr[di + 4], 0u);
        a.jne(nextEntry);
        a.cmp(eax, __dword_ptr[di]);
        a.jb(nextEntry);
        a.mov(edx, __dword_ptr[di]);
        a.add(edx, __dword_ptr[di + 8]);
        a.jc(inside);                                 // the entry reaches 4 GiB
        a.cmp(__dword_ptr[di + 12], 0u);
        a.jne(inside);
        a.cmp(ecx, edx);
        a.jbe(inside);
        Here(ref nextEntry);
        a.add(di, MemoryMapEntryBytes);
        a.dec(bp);
        a.jnz(entry);
        a.popad();
        a.stc();
        a.ret();
        Here(ref inside);
        a.popad();
        a.clc();
        a.ret();

        // BX = a PT_NOTE program header whose bytes are at Notes. Finds the note named "Xen" of type 18 and stores the low
        // 32 bits of its descriptor in [PvhEntry]. Notes are aligned to 4 bytes, or 8 when the segment's p_align says 8
        // (the descriptor starts at the next aligned offset after the name). Stops at the first malformed note.
        var fourByteAligned = a.CreateLabel();
        var note = a.CreateLabel();
        var skip = a.CreateLabel();
        var done = a.CreateLabel();
        Here(ref _findPvhNote);
        a.pushad();
        a.mov(bp, 3);
        a.cmp(__dword_ptr[bx + PAlign], 8u);
        a.jne(fourByteAligned);
        a.mov(bp, 7);
        Here(ref fourByteAligned);
        a.mov(si, Notes);
        a.mov(dx, Notes);
        a.add(dx, __word_ptr[bx + PFilesz]);
        Here(ref note);
        a.lea(ax, __[si + 12]);
        a.cmp(ax, dx);
        a.ja(done);
        a.mov(ax, __word_ptr[si]);                    // n_namesz
        a.cmp(__word_ptr[si + 2], 0);
        a.jne(done);
        a.cmp(ax, NotesBytes);
        a.ja(done);
        a.mov(cx, __word_ptr[si + 4]);                // n_descsz
        a.cmp(__word_ptr[si + 6], 0);
        a.jne(done);
        a.cmp(cx, NotesBytes);
        a.ja(done);
        a.lea(di, __[si + 12]);
        a.add(di, ax);
        AlignUp(di);
        a.cmp(ax, 4);
        a.jne(skip);
        a.cmp(__dword_ptr[si + 8], XenElfNotePhys32Entry);
        a.jne(skip);
        a.cmp(__dword_ptr[si + 12], XenNoteName);
        a.jne(skip);
        a.cmp(cx, 4);
        a.jb(skip);
        a.lea(ax, __[di + 4]);
        a.cmp(ax, dx);
        a.ja(done);
        a.mov(eax, __dword_ptr[di]);
        a.mov(__dword_ptr[Variable.PvhEntry], eax);
        a.jmp(done);
        Here(ref skip);
        a.add(di, cx);
        AlignUp(di);
        a.mov(si, di);
        a.jmp(note);
        Here(ref done);
        a.popad();
        a.ret();
    }

    /// <summary><paramref name="register"/> rounded up to the note alignment mask in BP (3 or 7); AX is kept.</summary>
    private void AlignUp(AssemblerRegister16 register)
    {
        a.add(register, bp);
        a.push(bp);
        a.not(bp);
        a.and(register, bp);
        a.pop(bp);
    }
}
