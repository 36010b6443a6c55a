using Kernel.Files.Events;
using Kernel.LinuxAbi;

namespace Unikernel.Runtime.Tests.Files;

public sealed unsafe class EventFdTests : VfsTestBase
{
    [Fact]
    public void CounterAddsAndReadsReset()
    {
        var efd = new EventFdHandle(3, false, OpenFlags.NonBlocking);
        ulong value = 4;
        Assert.Equal(8, efd.Write((byte*)&value, 8));
        Assert.Equal(PollBits.Readable | PollBits.Writable, efd.Poll());
        Assert.Equal(8, efd.Read((byte*)&value, 8));
        Assert.Equal(7UL, value);
        Assert.Equal(E(EAGAIN), efd.Read((byte*)&value, 8));
        Assert.Equal(PollBits.Writable, efd.Poll());
        Assert.Equal(E(EINVAL), efd.Read((byte*)&value, 7));
        efd.Release();
    }

    [Fact]
    public void SemaphoreModeCountsDown()
    {
        var efd = new EventFdHandle(2, true, OpenFlags.NonBlocking);
        ulong value = 0;
        Assert.Equal(8, efd.Read((byte*)&value, 8));
        Assert.Equal(1UL, value);
        Assert.Equal(8, efd.Read((byte*)&value, 8));
        Assert.Equal(E(EAGAIN), efd.Read((byte*)&value, 8));
        efd.Release();
    }

    [Fact]
    public void OverflowWaitsAndAllOnesIsInvalid()
    {
        var efd = new EventFdHandle(0, false, OpenFlags.NonBlocking);
        ulong value = EventFdHandle.MaxValue;
        Assert.Equal(8, efd.Write((byte*)&value, 8));
        Assert.Equal(0u, efd.Poll() & PollBits.Out);
        value = 1;
        Assert.Equal(E(EAGAIN), efd.Write((byte*)&value, 8));
        value = ulong.MaxValue;
        Assert.Equal(E(EINVAL), efd.Write((byte*)&value, 8));
        efd.Flags &= ~OpenFlags.NonBlocking;
        value = 1;
        Assert.Equal(E(EAGAIN), efd.Write((byte*)&value, 8));   // blocking: WaitThenRestart's placeholder
        efd.Release();
    }
}
