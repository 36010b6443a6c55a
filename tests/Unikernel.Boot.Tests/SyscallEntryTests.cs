using Iced.Intel;

namespace Unikernel.Boot.Tests;

/// <summary>The `syscall` path: MSR setup at boot, and the entry that turns a syscall into an interrupt frame.</summary>
public class SyscallEntryTests
{
    private static readonly LinkedBootImage Linked = new(BootObjectFile.Instance);

    [Fact]
    public void BootEnablesSyscallAndPointsLstarAtTheEntry()
    {
        var code = Linked.Decode(LongModeInit.EnableSyscallSymbol);
        // Each wrmsr is preceded by the MSR number in ecx.
        var writes = new Dictionary<uint, int>();
        uint msr = 0;
        for (int i = 0; i < code.Count; i++)
        {
            if (code[i].Code == Code.Mov_r32_imm32 && code[i].Op0Register == Register.ECX) msr = code[i].Immediate32;
            if (code[i].Mnemonic == Mnemonic.Wrmsr) writes[msr] = i;
        }
        Assert.Equal(new uint[] { 0xC0000080, 0xC0000081, 0xC0000082, 0xC0000084 }, writes.Keys.Order());
        // EFER.SCE is or-ed in, not overwritten (LME and NXE were set earlier).
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Or && i.Op0Register == Register.EAX && i.Immediate32 == 1);
        // STAR: kernel CS 0x08 in bits 32..47, sysret base 0x10 in bits 48..63.
        Assert.Contains(code, i => i.Code == Code.Mov_r32_imm32 && i.Op0Register == Register.EDX && i.Immediate32 == 0x0010_0008);
        // LSTAR = uk_syscall_entry.
        var lea = code.Single(i => i.Mnemonic == Mnemonic.Lea && i.Op0Register == Register.RAX && i.IsIPRelativeMemoryOperand && i.IPRelativeMemoryAddress == Linked.AddressOf(SyscallEntry.Symbol));
        Assert.True(code.IndexOf(lea) < writes[0xC0000082]);
        // FMASK clears IF, DF, TF, AC, NT, IOPL.
        Assert.Contains(code, i => i.Code == Code.Mov_r32_imm32 && i.Op0Register == Register.EAX && i.Immediate32 == SyscallEntry.FlagsMask);
    }

    [Fact]
    public void EntrySwitchesStacksAndBuildsAnInterruptFrameForVector256()
    {
        var code = Linked.Decode(SyscallEntry.Symbol);
        Assert.Equal(Mnemonic.Swapgs, code[0].Mnemonic);                 // GS: this CPU's block
        Assert.Equal(Mnemonic.Mov, code[1].Mnemonic);                    // save user rsp in it ...
        Assert.Equal(Register.GS, code[1].SegmentPrefix);
        Assert.Equal(Register.RSP, code[1].Op1Register);
        Assert.Equal((ulong)PerCpuLayout.SyscallUserStack, code[1].MemoryDisplacement64);
        Assert.Equal(Register.RSP, code[2].Op0Register);                 // ... then load the kernel's
        Assert.Equal((ulong)PerCpuLayout.SyscallKernelStack, code[2].MemoryDisplacement64);
        var pushes = code.Skip(3).TakeWhile(i => i.Mnemonic == Mnemonic.Push).ToList();
        Assert.Equal(7, pushes.Count);
        Assert.Equal(0x1bUL, (ulong)pushes[0].Immediate32);              // user ss
        Assert.Equal(Register.GS, pushes[1].SegmentPrefix);              // saved user rsp
        Assert.Equal((ulong)PerCpuLayout.SyscallUserStack, pushes[1].MemoryDisplacement64);
        Assert.Equal(Register.R11, pushes[2].Op0Register);               // rflags
        Assert.Equal(0x23UL, (ulong)pushes[3].Immediate32);              // user cs
        Assert.Equal(Register.RCX, pushes[4].Op0Register);               // rip
        Assert.Equal(0UL, (ulong)pushes[5].Immediate32);                 // error code
        Assert.Equal(256UL, (ulong)pushes[6].Immediate32);               // pseudo vector
        var jump = code[10];
        Assert.Equal(Mnemonic.Jmp, jump.Mnemonic);                       // past the common entry's swapgs
        Assert.Equal(Linked.AddressOf(InterruptStubs.SaveSymbol), jump.NearBranchTarget);
    }

    [Fact]
    public void EnterUserModeClearsEveryRegisterAndReturnsToRing3()
    {
        var code = Linked.Decode("uk_enter_user_mode");
        Assert.Equal(Mnemonic.Iretq, code[^1].Mnemonic);
        Assert.Equal(Mnemonic.Swapgs, code[^2].Mnemonic);                // the app's GS back, the block to KERNEL_GS_BASE
        var cleared = code.Where(i => i.Mnemonic == Mnemonic.Xor && i.Op0Register == i.Op1Register).Select(i => i.Op0Register).ToHashSet();
        foreach (var r in new[] { Register.RAX, Register.RBX, Register.RCX, Register.RDX, Register.RSI, Register.RBP,
                                  Register.R8, Register.R9, Register.R10, Register.R11, Register.R12, Register.R13, Register.R14, Register.R15 })
            Assert.Contains(r, cleared);
        Assert.Equal(0x1bUL, (ulong)code[0].Immediate32);
        Assert.Equal(0x23UL, (ulong)code[3].Immediate32);
    }
}
