using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Integration.Tests.RawProgram;

namespace Unikernel.Integration.Tests;

/// <summary>
/// select and pselect6 (they returned -ENOSYS, so a loop on them spun) as a machine-code program run on
/// this Linux host and in the unikernel: a timeout on an empty pipe clears the set, a ready pipe is
/// reported in the set, a closed descriptor is EBADF, and a bad timeout EINVAL.
/// </summary>
public class SelectTests
{
    private const ulong Pipe = Scratch, ReadSet = Scratch + 0x100, Timeout = Scratch + 0x200, Byte = Scratch + 0x300;
    private const int Ebadf = -9, Einval = -22;

    [Fact]
    public async Task SelectAndPselectWaitForAPipeAndClearTheSetOnTimeout()
    {
        var p = new RawProgram();
        var a = p.Asm;
        p.Syscall(293, Pipe, 0);                 // pipe2
        p.ExpectRax(0, 60);
        // The read end's bit, as fd_set: bit fd of word fd / 64 (both descriptors are small).
        void SetReadBit()
        {
            a.mov(rbx, Pipe);
            a.mov(ecx, __dword_ptr[rbx]);
            a.mov(eax, 1);
            a.shl(rax, cl);
            a.mov(rbx, ReadSet);
            a.mov(__qword_ptr[rbx], rax);
        }
        void SetTimeout(long seconds, long fraction)
        {
            a.mov(rbx, Timeout);
            a.mov(rax, (ulong)seconds);
            a.mov(__qword_ptr[rbx], rax);
            a.mov(rax, (ulong)fraction);
            a.mov(__qword_ptr[rbx + 8], rax);
        }

        SetReadBit();
        SetTimeout(0, 20_000);                   // 20 ms as a timeval
        p.Syscall(23, 64, ReadSet, 0, 0, Timeout);
        p.ExpectRax(0, 61);
        a.mov(rbx, ReadSet);
        a.cmp(__qword_ptr[rbx], 0); p.ExitUnlessEqual(62);   // a timeout leaves no bit set

        SetReadBit();
        SetTimeout(0, 10_000_000);               // 10 ms as a timespec
        p.Syscall(270, 64, ReadSet, 0, 0, Timeout, 0);
        p.ExpectRax(0, 63);

        a.mov(rbx, Pipe);
        a.mov(edi, __dword_ptr[rbx + 4]);
        a.mov(rsi, Byte);
        a.mov(edx, 1);
        a.mov(eax, 1);                           // write one byte into the pipe
        a.syscall();
        p.ExpectRax(1, 64);

        SetReadBit();
        a.mov(r12, rax);                         // the bit the set must still hold
        p.Syscall(23, 64, ReadSet, 0, 0, 0);     // no timeout: the pipe is ready
        p.ExpectRax(1, 65);
        a.mov(rbx, ReadSet);
        a.cmp(__qword_ptr[rbx], r12); p.ExitUnlessEqual(66);

        SetReadBit();
        SetTimeout(0, 0);
        p.Syscall(270, 64, ReadSet, 0, 0, Timeout, 0);
        p.ExpectRax(1, 67);

        a.mov(rbx, ReadSet);
        a.mov(rax, 1UL << 40);                   // descriptor 40 is not open
        a.mov(__qword_ptr[rbx], rax);
        p.Syscall(23, 64, ReadSet, 0, 0, 0);
        p.ExpectRax(Ebadf, 68);

        SetReadBit();
        SetTimeout(0, -1);                       // a negative timeval
        p.Syscall(23, 64, ReadSet, 0, 0, Timeout);
        p.ExpectRax(Einval, 69);
        p.Print("select/pselect6: timeout clears the set, a ready pipe is reported, EBADF, EINVAL");
        p.Exit(0);

        byte[] elf = p.ToElf();
        var linux = RunOnLinux(elf, "select");
        Assert.True(linux.ExitStatus == 0, $"on Linux: exit status {linux.ExitStatus}\n{linux.Console}");
        var guest = await RunInGuestAsync(elf, "select");
        Assert.True(guest.ExitStatus == 0, $"in the guest: exit status {guest.ExitStatus}\n{guest.Console}");
        Assert.Equal(linux.Lines, guest.Lines);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }
}
