using System.Text;
using Kernel.Files;
using Kernel.Platform;

namespace Unikernel.Runtime.Tests.Files;

[Collection("Vfs")]
public sealed unsafe class TextBuilderTests
{
    private static string Text(TextBuilder b) => Encoding.ASCII.GetString(b.Data, (int)b.Length);

    [Fact]
    public void FormatsLikeProcfs()
    {
        FileMemory.ResetLimits();
        var b = new TextBuilder();
        long start = b.Length;
        b.Append("MemTotal:").PadTo(start, 16).AppendDecimal(129680, 8).Append(" kB\n");
        Assert.Equal("MemTotal:         129680 kB\n", Text(b));
        b.AppendHex(0xff, 4).Append(' ').AppendHex(0, 1).Append(' ').AppendSigned(-42).Append(' ').AppendDecimal(0);
        Assert.EndsWith("00ff 0 -42 0", Text(b));
        b.Dispose();
    }

    [Fact]
    public void GrowsAndHandsOverItsBytes()
    {
        FileMemory.ResetLimits();
        long blocks = FileMemory.LiveBlocks;
        var b = new TextBuilder();
        for (int i = 0; i < 1000; i++) b.AppendDecimal((ulong)i).Append(',');
        byte* data = b.TakeBytes(out long length);
        Assert.StartsWith("0,1,2,", Encoding.ASCII.GetString(data, (int)length));
        Assert.Equal(0, b.Length);
        b.Dispose();
        Assert.Equal(blocks + 1, FileMemory.LiveBlocks);
        FileMemory.Free(data);
        Assert.Equal(blocks, FileMemory.LiveBlocks);
    }

    [Fact]
    public void RunningOutOfMemoryFailsInsteadOfPanicking()
    {
        FileMemory.ResetLimits();
        FileMemory.FailAfterBytes = 300;
        var b = new TextBuilder();
        for (int i = 0; i < 100; i++) b.Append("0123456789");
        Assert.True(b.Failed);
        Assert.True(b.Length <= 256);
        b.Dispose();
        FileMemory.ResetLimits();
    }
}
