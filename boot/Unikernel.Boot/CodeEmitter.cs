using Iced.Intel;

namespace Unikernel.Boot;

/// <summary>Where the three boot sections are assumed to live during one assembly pass.</summary>
public readonly record struct SectionBases(ulong Text, ulong Data, ulong Bss);

/// <summary>
/// What a code generator writes into: an Iced <see cref="Assembler"/> plus the bookkeeping that turns
/// the assembled bytes into symbols and relocations. Generators never see real addresses: they use
/// the assumed section bases of the current pass, and <see cref="TextAssembler"/> recovers the
/// relocations by comparing two passes.
/// </summary>
public sealed class CodeEmitter
{
    private readonly Dictionary<string, Label> _labels = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, ulong> _earlierTextSymbols;

    internal CodeEmitter(int bitness, SectionBases bases, IReadOnlyDictionary<string, ulong> earlierTextSymbols)
    {
        Asm = new Assembler(bitness);
        Bases = bases;
        _earlierTextSymbols = earlierTextSymbols;
    }

    public Assembler Asm { get; }
    public SectionBases Bases { get; }

    internal List<(string Name, bool IsGlobal, int InstructionIndex)> Functions { get; } = new();
    internal List<(string Symbol, int InstructionIndex, byte Opcode)> ExternalBranches { get; } = new();

    /// <summary>Runs of <see cref="EmbeddedData"/>: first instruction index and count.</summary>
    internal List<(int FirstInstruction, int Count)> DataRuns { get; } = new();

    /// <summary>Bytes that are not code (an image the kernel copies elsewhere): emitted as they are and not
    /// decoded when relocations are derived, so they must not depend on addresses.</summary>
    public void EmbeddedData(byte[] bytes)
    {
        int before = Asm.Instructions.Count;
        Asm.db(bytes);
        DataRuns.Add((before, Asm.Instructions.Count - before));
    }

    public ulong DataAddress(int offset) => Bases.Data + (ulong)offset;
    public ulong BssAddress(int offset) => Bases.Bss + (ulong)offset;
    public ulong BootInfoAddress(int field) => DataAddress(BootMemoryLayout.BootInfo + field);

    /// <summary>Address of a function emitted by an earlier fragment of this pass (a different
    /// bitness cannot share Iced labels).</summary>
    public ulong EarlierTextSymbol(string name) =>
        _earlierTextSymbols.TryGetValue(name, out var address)
            ? address
            : throw new InvalidOperationException($"{name} is not defined by an earlier fragment");

    /// <summary>The label of a function of this fragment, usable before the function is emitted.</summary>
    public Label LabelOf(string functionName)
    {
        if (!_labels.TryGetValue(functionName, out var label))
        {
            label = Asm.CreateLabel(functionName);
            _labels[functionName] = label;
        }
        return label;
    }

    /// <summary>
    /// Emits a function symbol. Its size runs to the next function of the fragment (or the fragment
    /// end), so functions of one fragment must be emitted back to back. The body must not bind a label
    /// on its first instruction (Iced allows one label per instruction): branch to
    /// <see cref="LabelOf"/> the function instead.
    /// </summary>
    public void Function(string name, bool isGlobal, Action body)
    {
        if (Functions.Any(f => f.Name == name))
            throw new InvalidOperationException($"function {name} emitted twice");
        var label = LabelOf(name);
        Asm.Label(ref label);
        _labels[name] = label;
        Functions.Add((name, isGlobal, Asm.Instructions.Count));
        int before = Asm.Instructions.Count;
        body();
        if (Asm.Instructions.Count == before)
            throw new InvalidOperationException($"function {name} has no instructions");
    }

    /// <summary><c>call symbol</c> for a symbol outside boot.o: the linker fills the rel32
    /// (R_X86_64_PLT32), so the bytes stay zero and both passes agree.</summary>
    public void CallExternal(string symbol) => BranchExternal(symbol, 0xE8);

    /// <summary><c>jmp symbol</c> (tail call) for a symbol outside boot.o.</summary>
    public void JumpExternal(string symbol) => BranchExternal(symbol, 0xE9);

    private void BranchExternal(string symbol, byte opcode)
    {
        if (Asm.Bitness != 64)
            throw new InvalidOperationException("external branches are only emitted from 64-bit code");
        ExternalBranches.Add((symbol, Asm.Instructions.Count, opcode));
        Asm.db(opcode, 0, 0, 0, 0);
    }

    /// <summary><c>lea reg, [rip + address]</c>: the form every 64-bit data reference uses, so that
    /// it becomes an R_X86_64_PC32 against the target section.</summary>
    public void LeaRipRelative(AssemblerRegister64 register, ulong address)
    {
        if (Asm.Bitness != 64)
            throw new InvalidOperationException("RIP-relative addressing needs 64-bit code");
        // Iced represents RIP-relative operands by their absolute target; the encoder computes disp32.
        Asm.AddInstruction(Instruction.Create(Code.Lea_r64_m, register.Value, new MemoryOperand(Register.RIP, (long)address)));
    }
}
