using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Unikernel.Runtime.Tests.Files;

public sealed unsafe class PipeTests : VfsTestBase
{
    private static (PipeEnd read, PipeEnd write) NewPipe(int flags = 0)
    {
        Pipe.Create(flags, out PipeEnd r, out PipeEnd w);
        return (r, w);
    }

    [Fact]
    public void DataFlowsInOrderAcrossTheRingBoundary()
    {
        var (r, w) = NewPipe();
        byte* chunk = stackalloc byte[40000];
        for (int i = 0; i < 40000; i++) chunk[i] = (byte)i;
        Assert.Equal(40000, w.Write(chunk, 40000));
        byte* into = stackalloc byte[40000];
        Assert.Equal(30000, r.Read(into, 30000));
        Assert.Equal(40000, w.Write(chunk, 40000));   // wraps around the end of the buffer
        Assert.Equal(10000, r.Read(into, 10000));
        Assert.Equal((byte)(39999 & 0xFF), into[9999]);
        Assert.Equal(40000, r.Read(into, 40000));
        for (int i = 0; i < 40000; i++) Assert.Equal((byte)i, into[i]);
        r.Release();
        w.Release();
    }

    [Fact]
    public void EmptyPipeBlocksOrFailsWithEagainThenEndsWhenTheWriterCloses()
    {
        var (r, w) = NewPipe();
        byte* buffer = stackalloc byte[8];
        Assert.Equal(E(EAGAIN), r.Read(buffer, 8));   // blocking: WaitThenRestart's placeholder result
        r.Flags |= OpenFlags.NonBlocking;
        Assert.Equal(E(EAGAIN), r.Read(buffer, 8));
        Assert.Equal(PollBits.Writable, w.Poll());
        Assert.Equal(0u, r.Poll());
        Write(w, "ab");
        Assert.Equal(PollBits.Readable, r.Poll());
        w.Release();
        Assert.Equal(PollBits.Readable | PollBits.HangUp, r.Poll());
        Assert.Equal(2, r.Read(buffer, 8));
        Assert.Equal(0, r.Read(buffer, 8));
        Assert.Equal(PollBits.HangUp, r.Poll());
        r.Release();
    }

    [Fact]
    public void FullPipeRefusesSmallWritesWholeAndSplitsLargeOnes()
    {
        var (r, w) = NewPipe(OpenFlags.NonBlocking);
        byte* chunk = stackalloc byte[70000];
        Assert.Equal(65536 - 100, w.Write(chunk, 65536 - 100));
        Assert.Equal(E(EAGAIN), w.Write(chunk, 200));     // <= PIPE_BUF and does not fit: nothing written
        Assert.Equal(100, w.Write(chunk, 5000));          // > PIPE_BUF: what fits
        Assert.Equal(E(EAGAIN), w.Write(chunk, 1));
        Assert.Equal(0u, w.Poll() & PollBits.Out);
        r.Release();
        Assert.Equal(E(EPIPE), w.Write(chunk, 1));
        Assert.Equal(PollBits.Error, w.Poll() & PollBits.Error);
        w.Release();
    }

    [Fact]
    public void ClosingBothEndsFreesTheBuffer()
    {
        long before = FileMemory.LiveBlocks;
        var (r, w) = NewPipe();
        Write(w, "x");
        Assert.Equal(before + 1, FileMemory.LiveBlocks);
        w.Release();
        r.Release();
        Assert.Equal(before, FileMemory.LiveBlocks);
    }

    [Fact]
    public void ReadinessChangesBumpTheEventCount()
    {
        var (r, w) = NewPipe();
        ulong readEvents = r.EventCount, writeEvents = w.EventCount;
        Write(w, "abc");
        Assert.Equal(readEvents + 1, r.EventCount);
        byte* buffer = stackalloc byte[4];
        r.Read(buffer, 1);
        Assert.Equal(writeEvents + 1, w.EventCount);
        r.Release();
        w.Release();
    }
}
