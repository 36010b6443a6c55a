using System.Buffers.Binary;
using Iced.Intel;
using static Unikernel.Boot.BootMemoryLayout;

namespace Unikernel.Boot.Tests;

public class InterruptTests
{
    private static BootObjectFile Boot => BootObjectFile.Instance;
    private static readonly LinkedBootImage Linked = new(BootObjectFile.Instance);
    private static readonly int[] ErrorCodeVectors = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };

    public static TheoryData<int> AllVectors()
    {
        var data = new TheoryData<int>();
        for (int v = 0; v < 256; v++) data.Add(v);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void StubPushesErrorCodeAndVectorThenJumpsToCommon(int vector)
    {
        int stubs = (int)Boot.Symbol("uk_isr_stubs").Value;
        var code = Boot.DecodeRange(stubs + 16 * vector, 16, 64).Select(i => i.Instruction).ToList();
        int index = 0;
        if (!ErrorCodeVectors.Contains(vector))
        {
            Assert.Equal(Mnemonic.Push, code[index].Mnemonic);
            Assert.Equal(0UL, code[index].GetImmediate(0));
            index++;
        }
        Assert.Equal(Mnemonic.Push, code[index].Mnemonic);
        Assert.Equal((ulong)vector, code[index].GetImmediate(0)); // no sign extension for >= 128
        Assert.Equal(vector < 128 ? Code.Pushq_imm8 : Code.Pushq_imm32, code[index].Code);
        index++;
        Assert.Equal(Code.Jmp_rel32_64, code[index].Code);
        Assert.Equal(Boot.Symbol("uk_isr_common").Value, code[index].NearBranchTarget);
        Assert.All(code.Skip(index + 1), i => Assert.Equal(Mnemonic.Int3, i.Mnemonic));
        Assert.Equal((ulong)(stubs + 16 * (vector + 1)), code[^1].NextIP);
    }

    [Fact]
    public void CommonEntryFollowsTheContract()
    {
        // From ring 3 (saved cs above vector, error code and rip) GS becomes the kernel's: swapgs, then the save.
        var entry = Boot.Decode("uk_isr_common");
        Assert.Equal(new[] { "test byte [rsp+0x18], 3", "je", "swapgs" }, entry.Select(i => i.Mnemonic == Mnemonic.Je ? "je" : i.Text));
        var save = Boot.Decode(InterruptStubs.SaveSymbol);
        Assert.Equal(entry[^1].Instruction.NextIP, save[0].Instruction.IP);
        Assert.Equal(Boot.Symbol(InterruptStubs.KernelEntrySymbol).Value, entry[1].Instruction.NearBranchTarget);
        string[] order = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
        Assert.Equal(order.Select(r => "push " + r), save.Take(15).Select(i => i.Text));
        // Then the call: the save has no test of its own.
        Assert.Equal(new[] { "sub rsp, 0x200", "fxsave64 [rsp]", "cld", "mov rdi, rsp", "call CALL", "mov rdi, rax" },
                     save.Skip(15).Select(i => i.Text).Select(t => t.StartsWith("call ") ? "call CALL" : t));
        // From ring 0 only NMI, #DF and #MC look at GS_BASE's sign (rdmsr, its registers kept); every way out is the save.
        var kernel = Boot.Decode(InterruptStubs.KernelEntrySymbol);
        Assert.Equal(new ulong[] { 2, 8, 18 }, kernel.Where(i => i.Mnemonic == Mnemonic.Cmp).Select(i => i.Instruction.GetImmediate(1)));
        Assert.Contains(kernel, i => i.Mnemonic == Mnemonic.Rdmsr);
        Assert.All(kernel.Where(i => i.Mnemonic == Mnemonic.Jmp), i => Assert.Equal(save[0].Instruction.IP, i.Instruction.NearBranchTarget));

        // The save falls through into uk_resume_frame, which restores whatever frame it is given: it releases the
        // kernel lock once rsp stands on that frame, and swaps GS back when the frame returns to ring 3.
        var resume = Boot.Decode("uk_resume_frame");
        Assert.Equal(save[^1].Instruction.NextIP, resume[0].Instruction.IP);
        Assert.Equal("mov rsp, rdi", resume[0].Text);
        var restoreStart = resume.FindIndex(i => i.Mnemonic == Mnemonic.Fxrstor64);
        Assert.Contains(resume.Take(restoreStart), i => i.Mnemonic == Mnemonic.Dec && i.Instruction.SegmentPrefix == Register.GS);
        var restore = new List<string> { "fxrstor64 [rsp]", "add rsp, 0x200" };
        restore.AddRange(order.Reverse().Select(r => "pop " + r));
        restore.AddRange(new[] { "add rsp, 0x10", "test byte [rsp+8], 3", "je", "swapgs", "iretq" });
        Assert.Equal(restore, resume.Skip(restoreStart).Select(i => i.Mnemonic == Mnemonic.Je ? "je" : i.Text));

        var call = save.Single(i => i.Mnemonic == Mnemonic.Call);
        var relocation = Boot.RelocationAt(TextSection, (ulong)call.BranchFieldOffset);
        Assert.NotNull(relocation);
        Assert.Equal("uk_interrupt", relocation.Target);
        Assert.Equal(BootObjectFile.R_X86_64_PLT32, relocation.Type);
    }

    [Fact]
    public void FrameLayoutMatchesInterruptFrame()
    {
        // Replay the stack effects of stub + common entry and name each slot.
        var slots = new List<string> { "Ss", "Rsp", "Rflags", "Cs", "Rip", "ErrorCode", "Vector" };
        foreach (var ins in Boot.Decode(InterruptStubs.SaveSymbol).TakeWhile(i => i.Mnemonic == Mnemonic.Push))
            slots.Add(ins.Instruction.Op0Register.ToString());
        slots.Reverse(); // lowest address first
        int fxsave = 512;
        var offsets = slots.Select((name, i) => (name, offset: fxsave + 8 * i)).ToDictionary(p => p.name, p => p.offset);

        string[] contract = { "R15", "R14", "R13", "R12", "R11", "R10", "R9", "R8", "RBP", "RDI", "RSI", "RDX", "RCX", "RBX", "RAX", "Vector", "ErrorCode", "Rip", "Cs", "Rflags", "Rsp", "Ss" };
        for (int i = 0; i < contract.Length; i++)
            Assert.Equal(512 + 8 * i, offsets[contract[i]]);
        Assert.Equal(688, 512 + 8 * contract.Length);
        // CPU frame (5) + error code + vector + 15 registers = 22 quadwords: the FXSAVE area stays 16-aligned.
        Assert.Equal(0, (22 * 8) % 16);
    }

    [Fact]
    public void IdtGatesPointAtStubsWithIstAssignments()
    {
        var code = Linked.Decode("uk_boot_load_idt");
        var lidt = code[^1];
        Assert.Equal(Mnemonic.Lidt, lidt.Mnemonic);
        var cpu = new TinyX86();
        cpu.Run(code.Take(code.Count - 1).ToList(), 64);

        ulong idt = Linked.BssAddress + Idt;
        ulong stubs = Linked.AddressOf("uk_isr_stubs");
        for (int v = 0; v < 256; v++)
        {
            ulong low = cpu.ReadMemory(idt + (ulong)v * 16, 8), high = cpu.ReadMemory(idt + (ulong)v * 16 + 8, 8);
            ulong target = (low & 0xFFFF) | (((low >> 48) & 0xFFFF) << 16) | ((high & 0xFFFF_FFFF) << 32);
            Assert.Equal(stubs + (ulong)v * 16, target);
            Assert.Equal(0x08UL, (low >> 16) & 0xFFFF);
            // Only int3's gate is open to ring 3 (DPL 3): an app's breakpoint is a #BP (SIGTRAP), not a #GP.
            Assert.Equal(v == 3 ? 0xEEUL : 0x8EUL, (low >> 40) & 0xFF);
            ulong expectedIst = v switch { 8 => 1, 2 => 2, 18 => 3, _ => 0 };
            Assert.Equal(expectedIst, (low >> 32) & 0xFF);
            Assert.Equal(0UL, high >> 32);
        }

        // lidt loads the pointer in .data.boot, which the linker points at the IDT.
        Assert.Equal(Linked.DataAddress + IdtPointer, cpu[code[^2].Op0Register]);
        Assert.Equal(code[^2].Op0Register, lidt.MemoryBase);
        Assert.Equal(4095, BinaryPrimitives.ReadUInt16LittleEndian(Linked.Data.AsSpan(IdtPointer)));
        Assert.Equal(idt, BinaryPrimitives.ReadUInt64LittleEndian(Linked.Data.AsSpan(IdtPointer + 2)));
    }
}
