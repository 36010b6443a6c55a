using Iced.Intel;

namespace Unikernel.Boot;

/// <summary>Collects what Iced's assembler emits.</summary>
internal sealed class ByteCodeWriter : CodeWriter
{
    public List<byte> Bytes { get; } = new();
    public override void WriteByte(byte value) => Bytes.Add(value);
}
