using Iced.Intel;

namespace Unikernel.Loaders.Uefi;

/// <summary>Collects what Iced's assembler writes.</summary>
internal sealed class CodeWriterBuffer : CodeWriter
{
    private readonly List<byte> _bytes = [];
    public override void WriteByte(byte value) => _bytes.Add(value);
    public byte[] ToArray() => [.. _bytes];
}
