using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Uefi.EfiAbi;
using static Unikernel.Loaders.Uefi.HandoffLayout;

namespace Unikernel.Loaders.Uefi;

// Reading and checking \UK\IMAGE.ELF.
internal sealed partial class LoaderProgram
{
    private void ReadImage()
    {
        var a = _a;
        string image = DiskBootContract.ImagePath;
        a.lea(rdx, __[Utf16(image)]);
        a.call(_openFile);
        FailOnError($"cannot open {image}");
        a.call(_fileSize);
        FailOnError($"cannot read the size of {image}");
        a.mov(rax, __qword_ptr[r15 + FileInfoBuffer + FileInfoFileSize]);
        a.mov(__qword_ptr[r15 + ElfSize], rax);
        a.cmp(rax, 64);
        a.jb(Failure(LoadError, $"{image} is too small to be an ELF file"));
        a.mov(rcx, FourGiB);
        a.cmp(rax, rcx);
        a.jae(Failure(LoadError, $"{image} is larger than 4 GiB"));
        a.add(rax, 0xFFF);
        a.shr(rax, 12);
        a.mov(__qword_ptr[r15 + ElfPages], rax);
        // Below 4 GiB, where the 32-bit copy can reach it; moved later if it overlaps the image's load range.
        a.mov(rcx, rax);
        a.mov(edx, LoaderData);
        a.mov(r8, FourGiB - 1);
        a.call(_allocateBelow);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, $"no memory below 4 GiB for {image}"));
        a.mov(__qword_ptr[r15 + ElfBuffer], rax);
        a.mov(rdx, rax);
        a.mov(r8, __qword_ptr[r15 + ElfSize]);
        a.call(_readFile);
        FailOnError($"cannot read {image}");
        a.mov(rax, __qword_ptr[r15 + ReadSize]);
        a.cmp(rax, __qword_ptr[r15 + ElfSize]);
        a.jne(Failure(LoadError, $"{image} ended before its size"));
        a.call(_closeFile);
    }

    // ELF64 (System V gABI, x86-64 psABI): e_ident, e_type 2, e_machine 62, 56-byte program headers inside the file.
    private void CheckImage()
    {
        var a = _a;
        string image = DiskBootContract.ImagePath;
        var notElf = Failure(LoadError, $"{image} is not an ELF64 x86-64 executable");
        var badHeaders = Failure(LoadError, $"{image} has a corrupt program header table");
        var badSegment = Failure(LoadError, $"{image} has a PT_LOAD outside the file, beyond its memory size or outside [1 MiB, 4 GiB)");
        var badNote = Failure(LoadError, $"{image} has a PT_NOTE outside the file");

        a.mov(r12, __qword_ptr[r15 + ElfBuffer]);
        a.mov(r13, __qword_ptr[r15 + ElfSize]);
        a.cmp(__dword_ptr[r12], 0x464C_457F);             // "\x7fELF"
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 4], 0x0102);               // ELFCLASS64, ELFDATA2LSB
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 16], 2);                   // ET_EXEC
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 18], 62);                  // EM_X86_64
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 54], 56);                  // e_phentsize
        a.jne(badHeaders);
        a.movzx(r14d, __word_ptr[r12 + 56]);              // e_phnum
        a.test(r14d, r14d);
        a.jz(badHeaders);
        a.mov(rax, __qword_ptr[r12 + 32]);                // e_phoff
        a.cmp(rax, r13);
        a.ja(badHeaders);
        a.imul(rdx, r14, 56);
        a.mov(rcx, r13);
        a.sub(rcx, rax);
        a.cmp(rdx, rcx);
        a.ja(badHeaders);
        a.lea(rbx, __[r12 + rax]);

        a.mov(rax, ulong.MaxValue);
        a.mov(__qword_ptr[r15 + LoadLow], rax);
        a.mov(__qword_ptr[r15 + LoadHigh], 0);
        a.mov(__qword_ptr[r15 + Entry], 0);
        a.mov(__qword_ptr[r15 + SegmentCount], 0);

        var header = a.CreateLabel();
        var load = a.CreateLabel();
        var note = a.CreateLabel();
        var nextHeader = a.CreateLabel();
        a.Label(ref header);
        a.mov(eax, __dword_ptr[rbx]);                     // p_type
        a.cmp(eax, 1);                                    // PT_LOAD
        a.je(load);
        a.cmp(eax, 4);                                    // PT_NOTE
        a.je(note);
        a.jmp(nextHeader);

        a.Label(ref load);
        a.mov(rax, __qword_ptr[rbx + 8]);                 // p_offset
        a.mov(rcx, __qword_ptr[rbx + 32]);                // p_filesz
        a.mov(rdx, __qword_ptr[rbx + 40]);                // p_memsz
        a.mov(r8, __qword_ptr[rbx + 24]);                 // p_paddr
        a.cmp(rax, r13);
        a.ja(badSegment);
        a.mov(r9, r13);
        a.sub(r9, rax);
        a.cmp(rcx, r9);
        a.ja(badSegment);
        a.cmp(rcx, rdx);
        a.ja(badSegment);
        a.mov(r9, FourGiB);
        a.cmp(r8, (int)OneMiB);
        a.jb(badSegment);
        a.cmp(r8, r9);
        a.jae(badSegment);
        a.cmp(rdx, r9);
        a.jae(badSegment);
        a.lea(r10, __[r8 + rdx]);
        a.cmp(r10, r9);
        a.ja(badSegment);
        a.mov(r11, __qword_ptr[r15 + SegmentCount]);
        a.cmp(r11, MaxLoadSegments);
        a.jae(Failure(LoadError, $"{image} has more than {MaxLoadSegments} PT_LOAD segments"));
        a.shl(r11, 4);
        a.lea(r11, __[r15 + r11 + Segments]);
        a.mov(__dword_ptr[r11], r8d);                     // destination
        a.mov(__dword_ptr[r11 + 4], eax);                 // file offset, made an address once the buffer is final
        a.mov(__dword_ptr[r11 + 8], ecx);
        a.sub(edx, ecx);
        a.mov(__dword_ptr[r11 + 12], edx);
        a.inc(__qword_ptr[r15 + SegmentCount]);
        var notLower = a.CreateLabel();
        a.cmp(r8, __qword_ptr[r15 + LoadLow]);
        a.jae(notLower);
        a.mov(__qword_ptr[r15 + LoadLow], r8);
        a.Label(ref notLower);
        var notHigher = a.CreateLabel();
        a.cmp(r10, __qword_ptr[r15 + LoadHigh]);
        a.jbe(notHigher);
        a.mov(__qword_ptr[r15 + LoadHigh], r10);
        a.Label(ref notHigher);
        a.jmp(nextHeader);

        // Notes: { u32 namesz, descsz, type; name and desc, each padded to 4 bytes }.
        a.Label(ref note);
        a.mov(rax, __qword_ptr[rbx + 8]);
        a.mov(rcx, __qword_ptr[rbx + 32]);
        a.cmp(rax, r13);
        a.ja(badNote);
        a.mov(r9, r13);
        a.sub(r9, rax);
        a.cmp(rcx, r9);
        a.ja(badNote);
        a.lea(rsi, __[r12 + rax]);                        // the note being read
        a.lea(rdi, __[rsi + rcx]);                        // end of the segment
        var nextNote = a.CreateLabel();
        a.Label(ref nextNote);
        a.mov(rax, rdi);
        a.sub(rax, rsi);
        a.cmp(rax, 12);
        a.jb(nextHeader);
        a.mov(ecx, __dword_ptr[rsi]);
        a.add(rcx, 3);
        a.and(rcx, -4);
        a.mov(edx, __dword_ptr[rsi + 4]);
        a.add(rdx, 3);
        a.and(rdx, -4);
        a.lea(r8, __[rsi + rcx + 12]);                    // the descriptor
        a.lea(r9, __[r8 + rdx]);                          // the next note
        a.cmp(r9, rdi);
        a.ja(nextHeader);                                 // a truncated note ends the segment
        var notXen = a.CreateLabel();
        a.cmp(__dword_ptr[rsi], 4);
        a.jne(notXen);
        a.cmp(__dword_ptr[rsi + 8], XenElfNotePhys32Entry);
        a.jne(notXen);
        a.cmp(__dword_ptr[rsi + 12], XenElfNoteName);
        a.jne(notXen);
        a.cmp(__dword_ptr[rsi + 4], 4);
        a.jb(notXen);
        a.mov(eax, __dword_ptr[r8]);
        a.mov(__qword_ptr[r15 + Entry], rax);
        a.Label(ref notXen);
        a.mov(rsi, r9);
        a.jmp(nextNote);

        a.Label(ref nextHeader);
        a.add(rbx, 56);
        a.dec(r14d);
        a.jnz(header);

        a.cmp(__qword_ptr[r15 + SegmentCount], 0);
        a.je(Failure(LoadError, $"{image} has no PT_LOAD segment"));
        var noEntry = Failure(LoadError, $"{image} has no PVH entry inside its PT_LOAD segments (ELF note \"Xen\", type 18)");
        a.mov(rax, __qword_ptr[r15 + Entry]);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.jb(noEntry);
        a.cmp(rax, __qword_ptr[r15 + LoadHigh]);
        a.jae(noEntry);

        // Move the file out of the way if the image is to be copied over it.
        var clear = a.CreateLabel();
        a.mov(rax, __qword_ptr[r15 + ElfBuffer]);
        a.cmp(rax, __qword_ptr[r15 + LoadHigh]);
        a.jae(clear);
        a.mov(rcx, __qword_ptr[r15 + ElfPages]);
        a.shl(rcx, 12);
        a.add(rax, rcx);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.jbe(clear);
        a.mov(rcx, __qword_ptr[r15 + ElfPages]);
        a.mov(edx, LoaderData);
        a.call(_allocateOutside);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, $"no memory below 4 GiB outside the image's load range for {image}"));
        a.mov(rsi, __qword_ptr[r15 + ElfBuffer]);
        a.mov(rdi, rax);
        a.mov(rcx, __qword_ptr[r15 + ElfSize]);
        a.cld();
        a.rep.movsb();
        a.mov(rcx, __qword_ptr[r15 + ElfBuffer]);
        a.mov(__qword_ptr[r15 + ElfBuffer], rax);
        a.mov(rdx, __qword_ptr[r15 + ElfPages]);
        CallBootService(FreePages);
        a.Label(ref clear);
    }
}
