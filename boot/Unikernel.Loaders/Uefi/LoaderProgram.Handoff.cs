using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Uefi.EfiAbi;
using static Unikernel.Loaders.Uefi.HandoffLayout;

namespace Unikernel.Loaders.Uefi;

// What the kernel gets: the hand-off blocks, the command line, the RSDP, and the way into the trampoline.
internal sealed partial class LoaderProgram
{
    private void AllocateHandoffBlocks()
    {
        var a = _a;
        a.mov(ecx, TransferPages);
        a.mov(edx, LoaderCode);
        a.call(_allocateOutside);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, "no memory below 4 GiB outside the image's load range for the hand-off"));
        a.mov(__qword_ptr[r15 + TransferBlock], rax);
        a.mov(ecx, StartInfoPages);
        a.mov(edx, StartInfoMemoryType);
        a.call(_allocateOutside);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, "no memory below 4 GiB outside the image's load range for the start info"));
        a.mov(__qword_ptr[r15 + StartInfoBlock], rax);
        a.mov(rdi, rax);
        a.xor(eax, eax);
        a.mov(ecx, StartInfoPages * 4096);
        a.cld();
        a.rep.stosb();
    }

    private void ReadCommandLine()
    {
        var a = _a;
        string config = DiskBootContract.ConfigPath;
        var none = a.CreateLabel();
        a.lea(rdx, __[Utf16(config)]);
        a.call(_openFile);
        a.mov(rcx, NotFound);
        a.cmp(rax, rcx);
        a.je(none);
        FailOnError($"cannot open {config}");
        a.call(_fileSize);
        FailOnError($"cannot read the size of {config}");
        a.mov(r8, __qword_ptr[r15 + FileInfoBuffer + FileInfoFileSize]);
        a.cmp(r8, MaxCommandLineBytes - 1);
        a.ja(Failure(BadBufferSize, $"{config} is longer than {MaxCommandLineBytes - 1} bytes"));
        a.mov(rdx, __qword_ptr[r15 + StartInfoBlock]);
        a.add(rdx, CommandLine);
        a.call(_readFile);
        FailOnError($"cannot read {config}");
        a.mov(rax, __qword_ptr[r15 + ReadSize]);
        a.cmp(rax, __qword_ptr[r15 + FileInfoBuffer + FileInfoFileSize]);
        a.jne(Failure(LoadError, $"{config} ended before its size"));
        a.call(_closeFile);
        a.Label(ref none);   // the block is zeroed: the command line is NUL-terminated, empty without a file
    }

    private void FindRsdp()
    {
        var a = _a;
        a.mov(rax, __qword_ptr[r15 + SystemTable]);
        a.mov(rcx, __qword_ptr[rax + SystemTableEntryCount]);
        a.mov(rdx, __qword_ptr[rax + SystemTableConfiguration]);
        a.xor(r8d, r8d);                                  // ACPI 1.0 RSDP
        a.xor(r9d, r9d);                                  // ACPI 2.0 RSDP
        a.lea(r10, __[Data(Acpi20Table.ToByteArray())]);
        a.lea(r11, __[Data(Acpi10Table.ToByteArray())]);
        var entry = a.CreateLabel();
        var tryAcpi10 = a.CreateLabel();
        var next = a.CreateLabel();
        var done = a.CreateLabel();
        a.Label(ref entry);
        a.test(rcx, rcx);
        a.jz(done);
        a.mov(rax, __qword_ptr[rdx]);
        a.cmp(rax, __qword_ptr[r10]);
        a.jne(tryAcpi10);
        a.mov(rax, __qword_ptr[rdx + 8]);
        a.cmp(rax, __qword_ptr[r10 + 8]);
        a.jne(tryAcpi10);
        a.mov(r9, __qword_ptr[rdx + 16]);
        a.jmp(next);
        a.Label(ref tryAcpi10);
        a.mov(rax, __qword_ptr[rdx]);
        a.cmp(rax, __qword_ptr[r11]);
        a.jne(next);
        a.mov(rax, __qword_ptr[rdx + 8]);
        a.cmp(rax, __qword_ptr[r11 + 8]);
        a.jne(next);
        a.mov(r8, __qword_ptr[rdx + 16]);
        a.Label(ref next);
        a.add(rdx, ConfigurationEntryBytes);
        a.dec(rcx);
        a.jmp(entry);
        a.Label(ref done);
        a.test(r9, r9);
        a.cmovz(r9, r8);
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(__qword_ptr[rdi + StartInfo + StartInfoRsdpField], r9);
    }

    private void FillTransferBlock()
    {
        var a = _a;
        // The start info, but for the memory map's length (known once the final map is read).
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(__dword_ptr[rdi + StartInfo], StartInfoMagic);
        a.mov(__dword_ptr[rdi + StartInfo + StartInfoVersionField], 1);
        a.lea(rax, __[rdi + CommandLine]);
        a.mov(__qword_ptr[rdi + StartInfo + StartInfoCommandLineField], rax);
        a.lea(rax, __[rdi + MemoryMap]);
        a.mov(__qword_ptr[rdi + StartInfo + StartInfoMemoryMapField], rax);

        a.mov(rbx, __qword_ptr[r15 + TransferBlock]);
        a.cld();
        a.lea(rsi, __[Data(GdtEntries.SelectMany(BitConverter.GetBytes).ToArray())]);
        a.lea(rdi, __[rbx + Gdt]);
        a.mov(ecx, GdtBytes);
        a.rep.movsb();
        a.mov(__word_ptr[rbx + GdtPointer], GdtBytes - 1);
        a.lea(rax, __[rbx + Gdt]);
        a.mov(__qword_ptr[rbx + GdtPointer + 2], rax);
        a.mov(rax, __qword_ptr[r15 + Entry]);
        a.mov(__dword_ptr[rbx + EntryAddress], eax);
        a.mov(rax, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(__dword_ptr[rbx + StartInfoAddress], eax);
        a.mov(rcx, __qword_ptr[r15 + SegmentCount]);
        a.mov(__dword_ptr[rbx + CopyCount], ecx);
        a.lea(rsi, __[r15 + Segments]);
        a.lea(rdi, __[rbx + Copies]);
        a.mov(rdx, __qword_ptr[r15 + ElfBuffer]);
        var copy = a.CreateLabel();
        a.Label(ref copy);
        a.mov(rax, __qword_ptr[rsi]);
        a.mov(__qword_ptr[rdi], rax);
        a.add(__dword_ptr[rdi + 4], edx);                 // file offset -> address (both below 4 GiB)
        a.mov(rax, __qword_ptr[rsi + 8]);
        a.mov(__qword_ptr[rdi + 8], rax);
        a.add(rsi, CopyBytes);
        a.add(rdi, CopyBytes);
        a.dec(rcx);
        a.jnz(copy);

        byte[] trampoline = ProtectedModeTrampoline.Assemble();
        if (Trampoline + trampoline.Length > TransferPages * 4096) throw new InvalidOperationException("the trampoline does not fit its page");
        a.lea(rsi, __[Data(trampoline)]);
        a.lea(rdi, __[rbx + Trampoline]);
        a.mov(ecx, trampoline.Length);
        a.rep.movsb();
    }

    private void EnterTrampoline()
    {
        var a = _a;
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(rax, __qword_ptr[r15 + MapEntries]);
        a.mov(__dword_ptr[rdi + StartInfo + StartInfoMemoryMapEntriesField], eax);
        a.cli();
        // Keep only what long mode needs (PAE, and LA57 if the firmware uses 5-level paging): PCIDE would make the
        // trampoline's clearing of CR0.PG fault.
        a.mov(rax, cr4);
        a.and(eax, 0x1020);
        a.mov(cr4, rax);
        a.mov(rbp, __qword_ptr[r15 + TransferBlock]);
        a.lgdt(__[rbp + GdtPointer]);
        a.push(CodeSelector);
        a.lea(rax, __[rbp + Trampoline]);
        a.push(rax);
        a.AddInstruction(Instruction.Create(Code.Retfq));   // into the 32-bit code segment: compatibility mode
    }
}
