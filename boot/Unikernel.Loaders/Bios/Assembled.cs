using Iced.Intel;

namespace Unikernel.Loaders.Bios;

/// <summary>The bytes of one Iced <see cref="Assembler"/> placed at <paramref name="Base"/>, and where its labels ended up.</summary>
internal sealed class Assembled
{
    private readonly AssemblerResult _result;

    private Assembled(ulong @base, byte[] bytes, AssemblerResult result)
    {
        Base = @base;
        Bytes = bytes;
        _result = result;
    }

    public ulong Base { get; }
    public byte[] Bytes { get; }
    public ulong End => Base + (ulong)Bytes.Length;

    public ulong AddressOf(Label label) => _result.GetLabelRIP(label);

    public static Assembled At(Assembler assembler, ulong @base)
    {
        var stream = new MemoryStream();
        var result = assembler.Assemble(new StreamCodeWriter(stream), @base, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return new Assembled(@base, stream.ToArray(), result);
    }
}
