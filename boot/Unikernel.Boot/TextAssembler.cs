using System.Buffers.Binary;
using Iced.Intel;

namespace Unikernel.Boot;

/// <summary>A run of code of one bitness inside .text.boot (Iced assembles one bitness at a time).</summary>
public sealed record CodeFragment(string Name, int Bitness, Action<CodeEmitter> Generate);

/// <summary>The assembled .text.boot: bytes, symbols (offsets in the section) and relocations.</summary>
public sealed record AssembledText(
    byte[] Bytes,
    IReadOnlyList<DefinedSymbol> Functions,
    IReadOnlyList<Relocation> Relocations,
    IReadOnlyList<(int Start, int End, int Bitness)> FragmentRanges);

/// <summary>
/// Assembles .text.boot so that every absolute or cross-section address in it becomes a relocation.
///
/// Iced resolves addresses at assembly time, and 32-bit code cannot use RIP-relative addressing, so
/// the code is assembled twice with different assumed bases for .text.boot, .data.boot and
/// .bss.boot, chosen so that every section moves by a distinct amount. Every instruction of the first
/// pass is decoded; each displacement or immediate field that differs between the passes is an
/// address: the amount it moved names the target section (an absolute field moves by that section's
/// delta, a RIP-relative one by the target's delta minus the delta of .text.boot), and the first
/// pass's value gives the addend. Any other difference (different lengths, a changed byte outside such
/// a field, an unknown delta) aborts generation. Calls and jumps to symbols outside boot.o are emitted
/// as <c>E8/E9 00000000</c> with an R_X86_64_PLT32 relocation, recorded by <see cref="CodeEmitter"/>.
/// </summary>
public static class TextAssembler
{
    // Both passes keep every address below 2 GiB so that 32-bit fields never wrap and no sign
    // extension changes an encoding; bases are page aligned so alignment padding is the same.
    internal static readonly SectionBases FirstPass = new(Text: 0x0010_0000, Data: 0x0020_0000, Bss: 0x0040_0000);
    internal static readonly SectionBases SecondPass = new(
        Text: FirstPass.Text + 0x1000_0000,
        Data: FirstPass.Data + 0x2100_0000,
        Bss: FirstPass.Bss + 0x3300_0000);

    private const byte Int3 = 0xCC;

    public static AssembledText Assemble(IReadOnlyList<CodeFragment> fragments)
    {
        var first = AssemblePass(fragments, FirstPass);
        var second = AssemblePass(fragments, SecondPass);

        if (first.Bytes.Length != second.Bytes.Length)
            throw new InvalidOperationException(
                $"{BootMemoryLayout.TextSection}: code size depends on addresses ({first.Bytes.Length} vs {second.Bytes.Length} bytes)");
        if (!first.Functions.SequenceEqual(second.Functions) || !first.ExternalRelocations.SequenceEqual(second.ExternalRelocations))
            throw new InvalidOperationException($"{BootMemoryLayout.TextSection}: symbol layout depends on addresses");

        var relocations = new List<Relocation>(first.ExternalRelocations);
        relocations.AddRange(DeriveAddressRelocations(first, second));
        relocations.Sort((x, y) => x.Offset.CompareTo(y.Offset));

        // Like GNU as with RELA, leave relocated fields zero: the addend lives in the relocation,
        // and the object then does not depend on which bases the passes happened to use.
        foreach (var relocation in relocations)
            first.Bytes.AsSpan((int)relocation.Offset, relocation.Type == RelocationType.Abs64 ? 8 : 4).Clear();
        return new AssembledText(first.Bytes, first.Functions, relocations, first.FragmentRanges);
    }

    private sealed record Pass(
        byte[] Bytes,
        List<DefinedSymbol> Functions,
        List<Relocation> ExternalRelocations,
        List<(int Start, int End, int Bitness)> FragmentRanges,
        List<(int Start, int End)> DataRanges);

    private static Pass AssemblePass(IReadOnlyList<CodeFragment> fragments, SectionBases bases)
    {
        var bytes = new List<byte>();
        var functions = new List<DefinedSymbol>();
        var externals = new List<Relocation>();
        var ranges = new List<(int, int, int)>();
        var dataRanges = new List<(int, int)>();
        var absoluteAddresses = new Dictionary<string, ulong>(StringComparer.Ordinal);

        foreach (var fragment in fragments)
        {
            while (bytes.Count % (int)BootMemoryLayout.TextAlignment != 0)
                bytes.Add(Int3);
            int start = bytes.Count;

            var emitter = new CodeEmitter(fragment.Bitness, bases, absoluteAddresses);
            fragment.Generate(emitter);
            var writer = new ByteCodeWriter();
            var result = emitter.Asm.Assemble(writer, bases.Text + (ulong)start, BlockEncoderOptions.ReturnNewInstructionOffsets);
            uint[] instructionOffsets = result.Result[0].NewInstructionOffsets;
            bytes.AddRange(writer.Bytes);
            int end = bytes.Count;
            ranges.Add((start, end, fragment.Bitness));
            foreach (var (first, count) in emitter.DataRuns)
            {
                int dataEnd = first + count < instructionOffsets.Length ? start + (int)instructionOffsets[first + count] : end;
                dataRanges.Add((start + (int)instructionOffsets[first], dataEnd));
            }

            for (int i = 0; i < emitter.Functions.Count; i++)
            {
                var (name, isGlobal, index) = emitter.Functions[i];
                int functionStart = start + (int)instructionOffsets[index];
                int functionEnd = i + 1 < emitter.Functions.Count
                    ? start + (int)instructionOffsets[emitter.Functions[i + 1].InstructionIndex]
                    : end;
                functions.Add(new DefinedSymbol(name, BootMemoryLayout.TextSection, (ulong)functionStart,
                    (ulong)(functionEnd - functionStart), SymbolKind.Function, isGlobal));
                absoluteAddresses[name] = bases.Text + (ulong)functionStart;
            }

            foreach (var (symbol, index, opcode) in emitter.ExternalBranches)
            {
                int at = start + (int)instructionOffsets[index];
                if (bytes[at] != opcode || bytes[at + 1] != 0 || bytes[at + 2] != 0 || bytes[at + 3] != 0 || bytes[at + 4] != 0)
                    throw new InvalidOperationException($"branch to {symbol} at {at:X} was not emitted as {opcode:X2} 00000000");
                // rel32 is relative to the end of the instruction, 4 bytes after the field.
                externals.Add(new Relocation((ulong)(at + 1), RelocationType.Plt32, RelocationTarget.Symbol(symbol), -4));
            }
        }

        while (bytes.Count % (int)BootMemoryLayout.TextAlignment != 0)
            bytes.Add(Int3);
        return new Pass(bytes.ToArray(), functions, externals, ranges, dataRanges);
    }

    private static IEnumerable<Relocation> DeriveAddressRelocations(Pass first, Pass second)
    {
        var explained = new bool[first.Bytes.Length];
        var relocations = new List<Relocation>();

        foreach (var (start, end, bitness) in first.FragmentRanges)
        {
            var reader = new ByteArrayCodeReader(first.Bytes, start, end - start);
            var decoder = Decoder.Create(bitness, reader, FirstPass.Text + (ulong)start);
            while (decoder.IP < FirstPass.Text + (ulong)end)
            {
                int instructionStart = (int)(decoder.IP - FirstPass.Text);
                int dataEnd = DataEndingAfter(first.DataRanges, instructionStart);
                if (dataEnd >= 0)
                {
                    // Embedded data is not code; the final check below still holds its bytes to both passes.
                    reader.Position = dataEnd - start;
                    decoder.IP = FirstPass.Text + (ulong)dataEnd;
                    continue;
                }
                decoder.Decode(out var instruction);
                if (instruction.IsInvalid)
                    throw new InvalidOperationException($"undecodable bytes at {BootMemoryLayout.TextSection}+0x{instructionStart:X}");
                var offsets = decoder.GetConstantOffsets(instruction);

                if (offsets.HasDisplacement)
                {
                    bool ripRelative = instruction.IsIPRelativeMemoryOperand;
                    // In 64-bit mode a non-RIP disp32 is sign-extended to 64 bits.
                    var absoluteType = bitness == 64 ? RelocationType.Abs32S : RelocationType.Abs32;
                    Classify(instructionStart + offsets.DisplacementOffset, offsets.DisplacementSize,
                        ripRelative ? null : absoluteType);
                }
                if (offsets.HasImmediate)
                    Classify(instructionStart + offsets.ImmediateOffset, offsets.ImmediateSize, ImmediateType(instruction, bitness));
                if (offsets.HasImmediate2)
                    Classify(instructionStart + offsets.ImmediateOffset2, offsets.ImmediateSize2, RelocationType.Abs32);
            }
        }

        for (int i = 0; i < first.Bytes.Length; i++)
        {
            if (!explained[i] && first.Bytes[i] != second.Bytes[i])
                throw new InvalidOperationException(
                    $"{BootMemoryLayout.TextSection}+0x{i:X}: byte depends on addresses but is not an address field");
        }
        return relocations;

        // absoluteType == null means RIP-relative.
        void Classify(int fieldOffset, int size, RelocationType? absoluteType)
        {
            for (int i = 0; i < size; i++)
                explained[fieldOffset + i] = true;
            var field1 = first.Bytes.AsSpan(fieldOffset, size);
            var field2 = second.Bytes.AsSpan(fieldOffset, size);
            if (field1.SequenceEqual(field2))
                return;

            if (size == 8 && absoluteType is not null)
            {
                ulong v1 = BinaryPrimitives.ReadUInt64LittleEndian(field1);
                ulong v2 = BinaryPrimitives.ReadUInt64LittleEndian(field2);
                var (section, base1) = SectionMovedBy(v2 - v1, fieldOffset, relative: false);
                relocations.Add(new Relocation((ulong)fieldOffset, RelocationType.Abs64, section, (long)(v1 - base1)));
                return;
            }
            if (size != 4)
                throw new InvalidOperationException(
                    $"{BootMemoryLayout.TextSection}+0x{fieldOffset:X}: a {size}-byte field holds an address");

            uint u1 = BinaryPrimitives.ReadUInt32LittleEndian(field1);
            uint u2 = BinaryPrimitives.ReadUInt32LittleEndian(field2);
            if (absoluteType is { } type)
            {
                var (section, base1) = SectionMovedBy(u2 - u1, fieldOffset, relative: false);
                relocations.Add(new Relocation((ulong)fieldOffset, type, section, (long)u1 - (long)base1));
            }
            else
            {
                // disp1 = target1 - end_of_instruction1, and R_X86_64_PC32 computes S + A - P with
                // P = the field's address, so A = disp1 + (P1 - S1) where S1 is the target section's base.
                var (section, base1) = SectionMovedBy((uint)(u2 - u1), fieldOffset, relative: true);
                long addend = (int)u1 + (long)(FirstPass.Text + (ulong)fieldOffset) - (long)base1;
                relocations.Add(new Relocation((ulong)fieldOffset, RelocationType.Pc32, section, addend));
            }
        }
    }

    private static int DataEndingAfter(List<(int Start, int End)> dataRanges, int offset)
    {
        foreach (var (start, end) in dataRanges)
            if (offset >= start && offset < end) return end;
        return -1;
    }

    private static RelocationType ImmediateType(in Instruction instruction, int bitness)
    {
        if (bitness == 32)
            return RelocationType.Abs32;
        for (int i = 0; i < instruction.OpCount; i++)
        {
            switch (instruction.GetOpKind(i))
            {
                case OpKind.Immediate32to64: return RelocationType.Abs32S;
                case OpKind.Immediate64: return RelocationType.Abs64;
            }
        }
        return RelocationType.Abs32;
    }

    private static (RelocationTarget Section, ulong FirstBase) SectionMovedBy(ulong delta, int fieldOffset, bool relative)
    {
        ulong textDelta = SecondPass.Text - FirstPass.Text;
        foreach (var (name, base1, base2) in new[]
                 {
                     (BootMemoryLayout.TextSection, FirstPass.Text, SecondPass.Text),
                     (BootMemoryLayout.DataSection, FirstPass.Data, SecondPass.Data),
                     (BootMemoryLayout.BssSection, FirstPass.Bss, SecondPass.Bss),
                 })
        {
            ulong expected = relative ? (uint)((base2 - base1) - textDelta) : base2 - base1;
            if (delta == expected && expected != 0)
                return (RelocationTarget.Section(name), base1);
        }
        throw new InvalidOperationException(
            $"{BootMemoryLayout.TextSection}+0x{fieldOffset:X}: address field moved by 0x{delta:X}, which matches no section");
    }
}
