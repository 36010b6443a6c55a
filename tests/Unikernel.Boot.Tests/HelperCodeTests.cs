using Iced.Intel;

namespace Unikernel.Boot.Tests;

/// <summary>The Rhp* shims and uk_* CPU helpers, instruction by instruction (SysV: rdi, rsi, rdx, rcx
/// in, rax out).</summary>
public class HelperCodeTests
{
    private static BootObjectFile Boot => BootObjectFile.Instance;
    private static readonly LinkedBootImage Linked = new(BootObjectFile.Instance);

    public static TheoryData<string, string> ExpectedCode() => new()
    {
        { "RhpGcPoll", "ret" },
        { "RhpPInvoke", "ret" },
        { "RhpPInvokeReturn", "ret" },
        { "RhpReversePInvoke", "ret" },
        { "RhpReversePInvokeReturn", "ret" },
        { "RhpAssignRef", "mov [rdi], rsi | ret" },
        { "RhpCheckedAssignRef", "mov [rdi], rsi | ret" },
        { "RhpByRefAssignRef", "mov rcx, [rsi] | mov [rdi], rcx | add rdi, 8 | add rsi, 8 | ret" },
        { "RhpCheckedLockCmpXchg", "mov rax, rdx | lock cmpxchg [rdi], rsi | ret" },
        { "RhpCheckedXchg", "mov rax, rsi | xchg rax, [rdi] | ret" },
        { "uk_outb", "mov edx, edi | mov eax, esi | out dx, al | ret" },
        { "uk_outw", "mov edx, edi | mov eax, esi | out dx, ax | ret" },
        { "uk_outl", "mov edx, edi | mov eax, esi | out dx, eax | ret" },
        { "uk_inb", "mov edx, edi | xor eax, eax | in al, dx | ret" },
        { "uk_inw", "mov edx, edi | xor eax, eax | in ax, dx | ret" },
        { "uk_inl", "mov edx, edi | in eax, dx | ret" },
        { "uk_rdtsc", "rdtsc | shl rdx, 0x20 | or rax, rdx | ret" },
        { "uk_rdmsr", "mov ecx, edi | rdmsr | shl rdx, 0x20 | or rax, rdx | ret" },
        { "uk_wrmsr", "mov ecx, edi | mov eax, esi | mov rdx, rsi | shr rdx, 0x20 | wrmsr | ret" },
        { "uk_read_cr0", "mov rax, cr0 | ret" },
        { "uk_read_cr2", "mov rax, cr2 | ret" },
        { "uk_read_cr3", "mov rax, cr3 | ret" },
        { "uk_read_cr4", "mov rax, cr4 | ret" },
        { "uk_write_cr3", "mov cr3, rdi | ret" },
        { "uk_write_cr4", "mov cr4, rdi | ret" },
        { "uk_stac", "stac | ret" },
        { "uk_clac", "clac | ret" },
        { "uk_invlpg", "invlpg [rdi] | ret" },
        { "uk_read_rbp", "mov rax, rbp | ret" },
        { "uk_read_rsp", "lea rax, [rsp+8] | ret" },
        { "uk_cpuid", "push rbx | mov r8, rdx | mov eax, edi | mov ecx, esi | cpuid | mov [r8], eax | mov [r8+4], ebx | mov [r8+8], ecx | mov [r8+0xc], edx | pop rbx | ret" },
        { "uk_wait_for_interrupt", "sti | hlt | cli | ret" },
        { "uk_interrupts_enable", "sti | ret" },
        { "uk_interrupts_disable", "cli | ret" },
        { "uk_pause", "pause | ret" },
        { "uk_memory_fence", "mfence | ret" },
        { "uk_lidt", "lidt [rdi] | ret" },
        { "uk_breakpoint", "int3 | ret" },
        { "uk_trigger_invalid_opcode", "ud2 | ret" },
    };

    [Theory]
    [MemberData(nameof(ExpectedCode))]
    public void HelperIsExactlyThisCode(string function, string expected)
    {
        Assert.Equal(expected, string.Join(" | ", Boot.Decode(function).Select(i => i.Text)));
    }

    [Fact]
    public void HaltForeverLoopsOnItself()
    {
        var code = Boot.Decode("uk_halt_forever");
        Assert.Equal(new[] { Mnemonic.Cli, Mnemonic.Hlt, Mnemonic.Jmp }, code.Select(i => i.Mnemonic));
        Assert.Equal(Boot.Symbol("uk_halt_forever").Value, code[2].Instruction.NearBranchTarget);
    }

    // uk_rdrand / uk_rdseed(ulong* value) -> 1 with *value set, or 0 after the retries: the value is stored
    // only on success (CF = 1), and the retry loop counts down in ecx.
    [Theory]
    [InlineData("uk_rdrand", Mnemonic.Rdrand, 10, false)]
    [InlineData("uk_rdseed", Mnemonic.Rdseed, 64, true)]
    public void RandomHelpersRetryAndStoreOnlyOnSuccess(string function, Mnemonic instruction, int retries, bool pauses)
    {
        var code = Boot.Decode(function);
        var expected = new List<string> { $"mov ecx, 0x{retries:x}", instruction.ToString().ToLowerInvariant() + " rax", "jb" };
        if (pauses) expected.Add("pause");
        expected.AddRange(["dec ecx", "jne", "xor eax, eax", "ret", "mov [rdi], rax", "mov eax, 1", "ret"]);
        Assert.Equal(expected, code.Select(i => i.Mnemonic is Mnemonic.Jb or Mnemonic.Jne ? i.Mnemonic.ToString().ToLowerInvariant() : i.Text));

        var onSuccess = code.Single(i => i.Mnemonic == Mnemonic.Jb);
        Assert.Equal(code.Single(i => i.Text == "mov [rdi], rax").Offset, (int)onSuccess.Instruction.NearBranchTarget);
        var retry = code.Single(i => i.Mnemonic == Mnemonic.Jne);
        Assert.Equal(code[1].Offset, (int)retry.Instruction.NearBranchTarget);
    }

    [Theory]
    [InlineData("RhpThrowEx", "mov rsi, [rsp]", "uk_kernel_throw")]
    [InlineData("RhpFallbackFailFast", "mov rdi, [rsp]", "uk_kernel_failfast")]
    public void ThrowHelpersPassTheReturnAddressAndTailJump(string function, string first, string target)
    {
        var code = Boot.Decode(function);
        Assert.Equal(2, code.Count);
        Assert.Equal(first, code[0].Text);
        Assert.Equal(Code.Jmp_rel32_64, code[1].Code);
        Assert.Equal(Linked.AddressOf(target), Linked.Decode(function)[1].NearBranchTarget);
    }

    [Fact]
    public void InterfaceDispatchPreservesArgumentsAndAlignsTheCall()
    {
        var code = Boot.Decode("RhpInitialDynamicInterfaceDispatch");
        int call = code.FindIndex(i => i.Mnemonic == Mnemonic.Call);
        Assert.Equal(Linked.AddressOf("uk_interface_dispatch"), Linked.Decode("RhpInitialDynamicInterfaceDispatch")[call].NearBranchTarget);
        // The C# resolver gets the object (rdi, untouched), the dispatch cell (r11) and the call site.
        Assert.Equal("mov rsi, r11", code[call - 2].Text);
        Assert.Equal("mov rdx, [rbp+8]", code[call - 1].Text);

        // Stack depth at the call: entry is 8 mod 16, so pushes + sub must add 8 mod 16.
        int depth = 0;
        foreach (var ins in code.Take(call))
        {
            depth -= ins.Instruction.StackPointerIncrement;
            if (ins.Mnemonic == Mnemonic.Sub && ins.Instruction.Op0Register == Register.RSP)
                depth += (int)ins.Instruction.GetImmediate(1);
        }
        Assert.Equal(8, depth % 16);

        // Every argument register is stored before the call and reloaded from the same slot after it.
        var arguments = new[] { Register.RDI, Register.RSI, Register.RDX, Register.RCX, Register.R8, Register.R9,
                                Register.XMM0, Register.XMM1, Register.XMM2, Register.XMM3, Register.XMM4, Register.XMM5, Register.XMM6, Register.XMM7 };
        foreach (var register in arguments)
        {
            var save = code.Take(call).Single(i => i.Instruction.Op0Kind == OpKind.Memory && i.Instruction.Op1Register == register);
            var restore = code.Skip(call).Single(i => i.Instruction.Op0Register == register && i.Instruction.Op1Kind == OpKind.Memory);
            Assert.Equal(Register.RSP, save.Instruction.MemoryBase);
            Assert.Equal(save.Instruction.MemoryDisplacement64, restore.Instruction.MemoryDisplacement64);
            if (register.IsXMM())
                Assert.Equal(0UL, save.Instruction.MemoryDisplacement64 % 16);
        }
        Assert.Equal(new[] { "mov rsp, rbp", "pop rbp", "jmp rax" }, code.TakeLast(3).Select(i => i.Text));
    }
}
