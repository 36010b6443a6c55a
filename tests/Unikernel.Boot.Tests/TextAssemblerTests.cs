using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot.Tests;

/// <summary>The two-pass relocation recovery on small hand-made fragments.</summary>
public class TextAssemblerTests
{
    private static AssembledText Assemble(int bitness, Action<CodeEmitter> body) =>
        TextAssembler.Assemble(new[] { new CodeFragment("test", bitness, e => e.Function("f", true, () => body(e))) });

    [Fact]
    public void ClassifiesEachKindOfAddressField()
    {
        var text = Assemble(64, e =>
        {
            e.LeaRipRelative(rax, e.DataAddress(0x40));                  // PC32 -> .data.boot
            e.Asm.mov(rcx, e.BssAddress(0x1000) + 0x1_0000_0000);        // imm64 -> 64
            e.Asm.mov(edx, (uint)e.BssAddress(0x20));                    // zero-extended imm32 -> 32
            e.Asm.AddInstruction(Iced.Intel.Instruction.Create(Iced.Intel.Code.Mov_rm64_imm32,
                Iced.Intel.Register.RSI, (int)e.DataAddress(8)));                // sign-extended imm32 -> 32S
            e.CallExternal("somewhere");
            e.Asm.ret();
        });
        Assert.Collection(text.Relocations,
            r => Assert.Equal((RelocationType.Pc32, ".data.boot", 0x40L - 4), (r.Type, r.Target.Name, r.Addend)),
            r => Assert.Equal((RelocationType.Abs64, ".bss.boot", 0x1_0000_1000L), (r.Type, r.Target.Name, r.Addend)),
            r => Assert.Equal((RelocationType.Abs32, ".bss.boot", 0x20L), (r.Type, r.Target.Name, r.Addend)),
            r => Assert.Equal((RelocationType.Abs32S, ".data.boot", 8L), (r.Type, r.Target.Name, r.Addend)),
            r => Assert.Equal((RelocationType.Plt32, "somewhere", -4L), (r.Type, r.Target.Name, r.Addend)));
        Assert.All(text.Relocations.Where(r => r.Type != RelocationType.Abs64),
            r => Assert.Equal(new byte[4], text.Bytes.AsSpan((int)r.Offset, 4).ToArray()));
    }

    [Fact]
    public void RipRelativeReferencesWithinTextNeedNoRelocation()
    {
        var text = Assemble(64, e =>
        {
            e.Asm.lea(rax, Iced.Intel.AssemblerRegisters.__[e.LabelOf("f")]);
            e.Asm.ret();
        });
        Assert.Empty(text.Relocations);
    }

    [Fact]
    public void AbsoluteTextReferencesIn32BitCodeAreRelocated()
    {
        var text = TextAssembler.Assemble(new[]
        {
            new CodeFragment("a", 64, e => e.Function("target64", false, () => e.Asm.ret())),
            new CodeFragment("b", 32, e => e.Function("entry32", true, () => e.Asm.jmp(8, (uint)e.EarlierTextSymbol("target64")))),
        });
        var relocation = Assert.Single(text.Relocations);
        Assert.Equal((RelocationType.Abs32, ".text.boot", 0L), (relocation.Type, relocation.Target.Name, relocation.Addend));
        Assert.Equal(16UL + 1, relocation.Offset); // fragment b starts 16-aligned; ptr16:32 follows the EA opcode
    }

    [Fact]
    public void AddressArithmeticThatIsNotARelocationIsRejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Assemble(32, e => e.Asm.mov(eax, (uint)(e.DataAddress(0) * 2))));
        Assert.Contains("matches no section", error.Message);
    }

    [Fact]
    public void AddressDependentCodeSizeIsRejected()
    {
        // push imm picks imm8 or imm32 by value: sizes differ between passes.
        Assert.Throws<InvalidOperationException>(() =>
            Assemble(64, e => e.Asm.push((int)(e.DataAddress(0) - 0x0020_0000 + (e.Bases.Data == 0x0020_0000 ? 0u : 0x1000u)))));
    }
}
