using Iced.Intel;

namespace Unikernel.Boot;

/// <summary>
/// Assembles functions that call into libc, each into its own section (like -ffunction-sections), so
/// that --gc-sections keeps only the ones an app references and the libc functions they call. Labels
/// are local to one function (RIP-relative, no relocation); calls and tail calls to any other function,
/// the shim's own included, leave a zero rel32 with an R_X86_64_PLT32 for the linker, like a C compiler's.
/// </summary>
public sealed class ShimAssembler
{
    private readonly string _sectionPrefix;
    private readonly string _failFunction;
    private readonly List<SectionImage> _sections = new();
    private readonly List<DefinedSymbol> _symbols = new();
    private Dictionary<string, Label> _labels = new(StringComparer.Ordinal);
    private List<(string Symbol, int InstructionIndex, byte Opcode)> _externalBranches = new();
    private Label? _fail;

    /// <param name="failFunction">The function <see cref="Fail"/> branches to.</param>
    public ShimAssembler(string sectionPrefix, string failFunction)
    {
        _sectionPrefix = sectionPrefix;
        _failFunction = failFunction;
    }

    /// <summary>The assembler of the function being emitted, reset for each one.</summary>
    public Assembler Asm { get; } = new(64);

    public IReadOnlyList<SectionImage> Sections => _sections;
    public IReadOnlyList<DefinedSymbol> Symbols => _symbols;

    public static string SectionOf(string sectionPrefix, string function) => sectionPrefix + "." + function;

    /// <summary>A local label of the current function, usable before it is bound.</summary>
    public Label LabelOf(string name)
    {
        if (!_labels.TryGetValue(name, out var label))
        {
            label = Asm.CreateLabel(name);
            _labels[name] = label;
        }
        return label;
    }

    /// <summary>A local label that tail-calls the failure function: the target of a failed check.</summary>
    public Label Fail => _fail ??= Asm.CreateLabel("fail");

    public void Bind(string name)
    {
        var label = LabelOf(name);
        Asm.Label(ref label);
        _labels[name] = label;
    }

    public void Call(string symbol) => BranchExternal(symbol, 0xE8);

    public void TailCall(string symbol) => BranchExternal(symbol, 0xE9);

    private void BranchExternal(string symbol, byte opcode)
    {
        _externalBranches.Add((symbol, Asm.Instructions.Count, opcode));
        Asm.db(opcode, 0, 0, 0, 0);
    }

    /// <summary>Emits one global function in a section of its own.</summary>
    public void Function(string name, Action body, bool isWeak = false)
    {
        if (_symbols.Any(f => f.Name == name))
            throw new InvalidOperationException($"function {name} emitted twice");
        Asm.Reset();
        _labels = new Dictionary<string, Label>(StringComparer.Ordinal);
        _externalBranches = new();
        _fail = null;

        body();
        if (Asm.Instructions.Count == 0)
            throw new InvalidOperationException($"function {name} has no instructions");
        if (_fail is { } fail)
        {
            Asm.Label(ref fail);
            TailCall(_failFunction);
        }

        var writer = new ByteCodeWriter();
        var result = Asm.Assemble(writer, 0, BlockEncoderOptions.ReturnNewInstructionOffsets);
        uint[] offsets = result.Result[0].NewInstructionOffsets;
        byte[] bytes = writer.Bytes.ToArray();
        string sectionName = SectionOf(_sectionPrefix, name);
        var section = new SectionImage
        {
            Name = sectionName,
            Flavor = SectionFlavor.Code,
            Alignment = 16,
            Bytes = bytes,
        };
        foreach (var (symbol, index, opcode) in _externalBranches)
        {
            int at = (int)offsets[index];
            if (bytes[at] != opcode)
                throw new InvalidOperationException($"branch to {symbol} was not emitted as {opcode:X2}");
            // rel32 is relative to the end of the instruction, 4 bytes after the field.
            section.Relocations.Add(new Relocation((ulong)(at + 1), RelocationType.Plt32, RelocationTarget.Symbol(symbol), -4));
        }
        _sections.Add(section);
        _symbols.Add(new DefinedSymbol(name, sectionName, 0, (ulong)bytes.Length, SymbolKind.Function, IsGlobal: true, IsWeak: isWeak));
    }
}
