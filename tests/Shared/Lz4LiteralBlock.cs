namespace Unikernel.Tests.Shared;

/// <summary>
/// An LZ4 block that carries its input as one run of literals (token, the length beyond 15 in bytes of 255, the bytes):
/// valid for every LZ4 decoder and independent of the linker's encoder, so tests can pack an image's files without
/// linking one. Shared by the test projects that build packed `uk_files` sections by hand.
/// </summary>
internal static class Lz4LiteralBlock
{
    public static byte[] Of(byte[] input)
    {
        var block = new List<byte>(input.Length + input.Length / 255 + 2) { (byte)(Math.Min(input.Length, 15) << 4) };
        if (input.Length >= 15)
        {
            int more = input.Length - 15;
            for (; more >= 255; more -= 255) block.Add(255);
            block.Add((byte)more);
        }
        block.AddRange(input);
        return [.. block];
    }
}
