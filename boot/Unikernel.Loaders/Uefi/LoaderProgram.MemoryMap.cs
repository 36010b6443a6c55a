using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Uefi.EfiAbi;
using static Unikernel.Loaders.Uefi.HandoffLayout;

namespace Unikernel.Loaders.Uefi;

// The memory map, its E820 form, and ExitBootServices.
internal sealed partial class LoaderProgram
{
    private void ExitBootServicesWithMap()
    {
        var a = _a;
        var sized = a.CreateLabel();
        a.mov(__qword_ptr[r15 + MapSize], 0);
        GetMemoryMap(withBuffer: false);
        a.mov(rcx, BufferTooSmall);
        a.cmp(rax, rcx);
        a.je(sized);
        a.test(rax, rax);
        a.jns(Failure(LoadError, "GetMemoryMap accepted an empty buffer"));
        a.jmp(StatusFailure("cannot read the memory map"));
        a.Label(ref sized);
        // Room for the descriptors the pool allocation itself may add, and then some.
        a.mov(rdx, __qword_ptr[r15 + DescriptorSize]);
        a.shl(rdx, 4);
        a.add(rdx, __qword_ptr[r15 + MapSize]);
        a.mov(__qword_ptr[r15 + MapCapacity], rdx);
        a.mov(ecx, LoaderData);
        a.lea(r8, __[r15 + MapBuffer]);
        CallBootService(AllocatePool);
        FailOnError("cannot allocate the memory map");

        var attempt = a.CreateLabel();
        var exited = a.CreateLabel();
        a.Label(ref attempt);
        a.mov(rax, __qword_ptr[r15 + MapCapacity]);
        a.mov(__qword_ptr[r15 + MapSize], rax);
        GetMemoryMap(withBuffer: true);
        FailOnError("cannot read the memory map");
        a.call(_convertMap);
        a.test(eax, eax);
        a.js(Failure(BufferTooSmall, $"the memory map has more than {MaxMemoryMapEntries} entries"));
        a.mov(__qword_ptr[r15 + MapEntries], rax);

        // The image's load range must be RAM the OS owns once boot services are gone.
        var search = a.CreateLabel();
        var found = a.CreateLabel();
        var skip = a.CreateLabel();
        a.mov(rsi, __qword_ptr[r15 + StartInfoBlock]);
        a.add(rsi, MemoryMap);
        a.mov(ecx, eax);
        a.Label(ref search);
        a.test(rcx, rcx);
        a.jz(_failLoadRange);
        a.cmp(__dword_ptr[rsi + 16], E820Ram);
        a.jne(skip);
        a.mov(rax, __qword_ptr[rsi]);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.ja(skip);
        a.add(rax, __qword_ptr[rsi + 8]);
        a.cmp(rax, __qword_ptr[r15 + LoadHigh]);
        a.jae(found);
        a.Label(ref skip);
        a.add(rsi, MemoryMapEntryBytes);
        a.dec(rcx);
        a.jmp(search);
        a.Label(ref found);

        a.mov(rcx, __qword_ptr[r15 + ImageHandle]);
        a.mov(rdx, __qword_ptr[r15 + MapKey]);
        CallBootService(EfiAbi.ExitBootServices);
        a.test(rax, rax);
        a.jz(exited);
        // Boot services may now be half gone: no more output. A stale map key is the one error worth a second try.
        a.mov(__qword_ptr[r15 + Quiet], 1);
        a.mov(rcx, InvalidParameter);
        a.cmp(rax, rcx);
        a.jne(_fail);
        a.cmp(__qword_ptr[r15 + Attempt], 0);
        a.jne(_fail);
        a.mov(__qword_ptr[r15 + Attempt], 1);
        a.jmp(attempt);
        a.Label(ref exited);
    }

    private void GetMemoryMap(bool withBuffer)
    {
        var a = _a;
        a.lea(rcx, __[r15 + MapSize]);
        if (withBuffer) a.mov(rdx, __qword_ptr[r15 + MapBuffer]);
        else a.xor(edx, edx);
        a.lea(r8, __[r15 + MapKey]);
        a.lea(r9, __[r15 + DescriptorSize]);
        a.lea(rax, __[r15 + DescriptorVersion]);
        a.mov(__qword_ptr[rsp + 32], rax);
        CallBootService(EfiAbi.GetMemoryMap);
    }

    // convertMap() -> eax = E820 entries written to the start-info block, or -1 if more than the kernel takes.
    // Each UEFI descriptor becomes its E820 type; an entry that continues the previous one with the same type merges.
    private void ConvertMap()
    {
        var a = _a;
        var descriptor = a.CreateLabel();
        var typed = a.CreateLabel();
        var append = a.CreateLabel();
        var next = a.CreateLabel();
        var tooMany = a.CreateLabel();
        var done = a.CreateLabel();
        a.Label(ref _convertMap);
        a.push(rbx);
        a.push(rsi);
        a.push(rdi);
        a.mov(rsi, __qword_ptr[r15 + MapBuffer]);
        a.mov(rbx, rsi);
        a.add(rbx, __qword_ptr[r15 + MapSize]);
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.add(rdi, MemoryMap);
        a.xor(ecx, ecx);
        a.lea(r11, __[Data(E820TypeOfUefiType)]);
        a.Label(ref descriptor);
        a.cmp(rsi, rbx);
        a.jae(done);
        a.mov(eax, __dword_ptr[rsi + DescriptorType]);
        a.mov(edx, E820Reserved);
        a.cmp(eax, E820TypeOfUefiType.Length);
        a.jae(typed);
        a.movzx(edx, __byte_ptr[r11 + rax]);
        a.Label(ref typed);
        a.mov(r8, __qword_ptr[rsi + DescriptorPhysicalStart]);
        a.mov(r9, __qword_ptr[rsi + DescriptorPageCount]);
        a.shl(r9, 12);
        a.test(ecx, ecx);
        a.jz(append);
        a.imul(r10, rcx, MemoryMapEntryBytes);
        a.lea(r10, __[rdi + r10 - MemoryMapEntryBytes]);
        a.cmp(__dword_ptr[r10 + 16], edx);
        a.jne(append);
        a.mov(rax, __qword_ptr[r10]);
        a.add(rax, __qword_ptr[r10 + 8]);
        a.cmp(rax, r8);
        a.jne(append);
        a.add(__qword_ptr[r10 + 8], r9);
        a.jmp(next);
        a.Label(ref append);
        a.cmp(ecx, MaxMemoryMapEntries);
        a.jae(tooMany);
        a.imul(r10, rcx, MemoryMapEntryBytes);
        a.add(r10, rdi);
        a.mov(__qword_ptr[r10], r8);
        a.mov(__qword_ptr[r10 + 8], r9);
        a.mov(__dword_ptr[r10 + 16], edx);
        a.mov(__dword_ptr[r10 + 20], 0);
        a.inc(ecx);
        a.Label(ref next);
        a.add(rsi, __qword_ptr[r15 + DescriptorSize]);
        a.jmp(descriptor);
        a.Label(ref tooMany);
        a.mov(ecx, -1);
        a.Label(ref done);
        a.mov(eax, ecx);
        a.pop(rdi);
        a.pop(rsi);
        a.pop(rbx);
        a.ret();
    }
}
