using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Uefi.EfiAbi;
using static Unikernel.Loaders.Uefi.HandoffLayout;

namespace Unikernel.Loaders.Uefi;

// Subroutines: entered with rsp 8 bytes below 16-byte alignment; each realigns before calling the firmware.
internal sealed partial class LoaderProgram
{
    private void Subroutines()
    {
        var a = _a;

        // printHex(rdx = value): 16 hexadecimal digits.
        var digit = a.CreateLabel();
        var decimalDigit = a.CreateLabel();
        a.Label(ref _printHex);
        a.lea(rdi, __[r15 + HexText]);
        a.mov(ecx, 16);
        a.Label(ref digit);
        a.rol(rdx, 4);
        a.mov(eax, edx);
        a.and(eax, 15);
        a.cmp(eax, 10);
        a.jb(decimalDigit);
        a.add(eax, 'A' - 10 - '0');
        a.Label(ref decimalDigit);
        a.add(eax, '0');
        a.mov(__word_ptr[rdi], ax);
        a.add(rdi, 2);
        a.dec(ecx);
        a.jnz(digit);
        a.mov(__word_ptr[rdi], 0);
        a.lea(rdx, __[r15 + HexText]);
        // falls through into print

        // print(rdx = UTF-16 string) through ConOut.OutputString.
        a.Label(ref _print);
        a.sub(rsp, 40);
        a.mov(rcx, __qword_ptr[r15 + SystemTable]);
        a.mov(rcx, __qword_ptr[rcx + SystemTableConOut]);
        a.call(__qword_ptr[rcx + OutputString]);
        a.add(rsp, 40);
        a.ret();

        // allocateBelow(rcx = pages, edx = memory type, r8 = highest address) -> rax = address, or 0.
        var allocated = a.CreateLabel();
        a.Label(ref _allocateBelow);
        a.sub(rsp, 40);
        a.mov(__qword_ptr[r15 + AllocationAddress], r8);
        a.mov(r8, rcx);
        a.mov(ecx, AllocateMaxAddress);
        a.lea(r9, __[r15 + AllocationAddress]);
        CallBootService(AllocatePages);
        a.test(rax, rax);
        a.mov(rax, __qword_ptr[r15 + AllocationAddress]);
        a.jns(allocated);
        a.xor(eax, eax);
        a.Label(ref allocated);
        a.add(rsp, 40);
        a.ret();

        // allocateOutside(rcx = pages, edx = memory type) -> rax = address below 4 GiB outside [LoadLow, LoadHigh), or 0.
        // The firmware allocates from the top down: if the highest free range overlaps the image, try below it.
        var returnRdi = a.CreateLabel();
        var returnRax = a.CreateLabel();
        a.Label(ref _allocateOutside);
        a.push(rbx);
        a.push(rsi);
        a.push(rdi);
        a.sub(rsp, 32);
        a.mov(rbx, rcx);
        a.mov(esi, edx);
        a.mov(r8, FourGiB - 1);
        a.call(_allocateBelow);
        a.test(rax, rax);
        a.jz(returnRax);
        a.mov(rdi, rax);
        a.cmp(rdi, __qword_ptr[r15 + LoadHigh]);
        a.jae(returnRdi);
        a.mov(rax, rbx);
        a.shl(rax, 12);
        a.add(rax, rdi);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.jbe(returnRdi);
        a.mov(rcx, rdi);
        a.mov(rdx, rbx);
        CallBootService(FreePages);
        a.mov(rcx, rbx);
        a.mov(edx, esi);
        a.mov(r8, __qword_ptr[r15 + LoadLow]);
        a.dec(r8);
        a.call(_allocateBelow);
        a.jmp(returnRax);
        a.Label(ref returnRdi);
        a.mov(rax, rdi);
        a.Label(ref returnRax);
        a.add(rsp, 32);
        a.pop(rdi);
        a.pop(rsi);
        a.pop(rbx);
        a.ret();

        // openFile(rdx = UTF-16 path) -> rax = status; the handle in File.
        a.Label(ref _openFile);
        a.sub(rsp, 40);
        a.mov(r8, rdx);
        a.mov(rcx, __qword_ptr[r15 + Root]);
        a.lea(rdx, __[r15 + File]);
        a.mov(r9d, (uint)FileModeRead);
        a.mov(__qword_ptr[rsp + 32], 0);
        a.call(__qword_ptr[rcx + FileOpen]);
        a.add(rsp, 40);
        a.ret();

        // fileSize() -> rax = status; EFI_FILE_INFO of File in FileInfoBuffer.
        a.Label(ref _fileSize);
        a.sub(rsp, 40);
        a.mov(__qword_ptr[r15 + InfoSize], FileInfoBytes);
        a.mov(rcx, __qword_ptr[r15 + File]);
        a.lea(rdx, __[Data(EfiAbi.FileInfo.ToByteArray())]);
        a.lea(r8, __[r15 + InfoSize]);
        a.lea(r9, __[r15 + FileInfoBuffer]);
        a.call(__qword_ptr[rcx + FileGetInfo]);
        a.add(rsp, 40);
        a.ret();

        // readFile(rdx = buffer, r8 = bytes) -> rax = status; bytes read in ReadSize.
        a.Label(ref _readFile);
        a.sub(rsp, 40);
        a.mov(__qword_ptr[r15 + ReadSize], r8);
        a.mov(r8, rdx);
        a.mov(rcx, __qword_ptr[r15 + File]);
        a.lea(rdx, __[r15 + ReadSize]);
        a.call(__qword_ptr[rcx + FileRead]);
        a.add(rsp, 40);
        a.ret();

        a.Label(ref _closeFile);
        a.sub(rsp, 40);
        a.mov(rcx, __qword_ptr[r15 + File]);
        a.call(__qword_ptr[rcx + FileClose]);
        a.add(rsp, 40);
        a.ret();

        ConvertMap();
    }
}
