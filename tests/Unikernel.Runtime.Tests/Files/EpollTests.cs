using Kernel.Files.Events;
using Kernel.Files;
using Kernel.LinuxAbi;

namespace Unikernel.Runtime.Tests.Files;

public sealed unsafe class EpollTests : VfsTestBase
{
    private const uint In = PollBits.In, Out = PollBits.Out, Et = PollBits.EpollEdgeTriggered, OneShot = PollBits.EpollOneShot;

    private static int Wait(EpollInstance epoll, out (uint events, ulong data)[] events, int max = 8)
    {
        byte* buffer = stackalloc byte[max * EpollInstance.EventSize];
        int n = epoll.Collect(buffer, max);
        events = new (uint, ulong)[n];
        for (int i = 0; i < n; i++)
            events[i] = (*(uint*)(buffer + i * 12), *(ulong*)(buffer + i * 12 + 4));   // packed: data at offset 4
        return n;
    }

    private static void Signal(EventFdHandle efd, ulong amount = 1) => efd.Write((byte*)&amount, 8);

    [Fact]
    public void LevelTriggeredReportsWhileReady()
    {
        var epoll = new EpollInstance(0);
        var efd = new EventFdHandle(0, false, OpenFlags.NonBlocking);
        Assert.Equal(0, epoll.Control(EpollInstance.ControlAdd, 5, efd, In, 0xDEADBEEF_00000001));
        Assert.Equal(0, Wait(epoll, out _));
        Signal(efd);
        Assert.Equal(1, Wait(epoll, out var events));
        Assert.Equal((In, 0xDEADBEEF_00000001UL), (events[0].events & In, events[0].data));
        Assert.Equal(1, Wait(epoll, out _));
        Assert.Equal(PollBits.Readable, epoll.Poll());
        ulong value;
        efd.Read((byte*)&value, 8);
        Assert.Equal(0, Wait(epoll, out _));
        epoll.Release();
        efd.Release();
    }

    [Fact]
    public void EdgeTriggeredReportsOncePerEvent()
    {
        var epoll = new EpollInstance(0);
        var efd = new EventFdHandle(1, false, OpenFlags.NonBlocking);
        Assert.Equal(0, epoll.Control(EpollInstance.ControlAdd, 5, efd, In | Et, 7));
        Assert.Equal(1, Wait(epoll, out _));           // ready when added: reported once
        Assert.Equal(0, Wait(epoll, out _));
        Signal(efd);
        Assert.Equal(1, Wait(epoll, out _));
        Assert.Equal(0, Wait(epoll, out _));
        Assert.Equal(0, epoll.Control(EpollInstance.ControlModify, 5, efd, In | Et, 8));   // MOD re-arms
        Assert.Equal(1, Wait(epoll, out var events));
        Assert.Equal(8UL, events[0].data);
        epoll.Release();
        efd.Release();
    }

    [Fact]
    public void OneShotDisarmsUntilModify()
    {
        var epoll = new EpollInstance(0);
        var efd = new EventFdHandle(1, false, OpenFlags.NonBlocking);
        epoll.Control(EpollInstance.ControlAdd, 5, efd, In | OneShot, 1);
        Assert.Equal(1, Wait(epoll, out _));
        Assert.Equal(0, Wait(epoll, out _));
        epoll.Control(EpollInstance.ControlModify, 5, efd, In | OneShot, 1);
        Assert.Equal(1, Wait(epoll, out _));
        epoll.Release();
        efd.Release();
    }

    [Fact]
    public void ControlErrors()
    {
        var epoll = new EpollInstance(0);
        var efd = new EventFdHandle(0, false, 0);
        OpenFile regular = OpenOk("/tmp/f", Creat | RdWr);
        Assert.Equal(E(EPERM), epoll.Control(EpollInstance.ControlAdd, 3, regular, In, 0));
        Assert.Equal(E(EINVAL), epoll.Control(EpollInstance.ControlAdd, 4, epoll, In, 0));
        Assert.Equal(E(ENOENT), epoll.Control(EpollInstance.ControlModify, 5, efd, In, 0));
        Assert.Equal(E(ENOENT), epoll.Control(EpollInstance.ControlDelete, 5, efd, 0, 0));
        Assert.Equal(0, epoll.Control(EpollInstance.ControlAdd, 5, efd, In, 0));
        Assert.Equal(E(EEXIST), epoll.Control(EpollInstance.ControlAdd, 5, efd, In, 0));
        Assert.Equal(0, epoll.Control(EpollInstance.ControlAdd, 6, efd, Out, 0));   // another fd, same description
        Assert.Equal(E(EINVAL), epoll.Control(99, 5, efd, In, 0));
        var outer = new EpollInstance(0);
        Assert.Equal(0, outer.Control(EpollInstance.ControlAdd, 9, epoll, In, 0));
        Assert.Equal(Kernel.LinuxAbi.Errno.ELOOP, -epoll.Control(EpollInstance.ControlAdd, 10, outer, In, 0));
        Assert.Equal(0, epoll.Control(EpollInstance.ControlDelete, 5, efd, 0, 0));
        Assert.Equal(1, epoll.Count);
        outer.Release();
        epoll.Release();
        efd.Release();
        regular.Release();
    }

    [Fact]
    public void ClosingAWatchedFileRemovesItsEntries()
    {
        var epoll = new EpollInstance(0);
        Pipe.Create(0, out PipeEnd r, out PipeEnd w);
        epoll.Control(EpollInstance.ControlAdd, 3, r, In, 3);
        epoll.Control(EpollInstance.ControlAdd, 4, w, Out, 4);
        Assert.Equal(1, Wait(epoll, out var events));
        Assert.Equal(4UL, events[0].data);
        Write(w, "x");
        Assert.Equal(2, Wait(epoll, out _));
        r.Release();
        Assert.Equal(1, epoll.Count);
        Assert.Equal(1, Wait(epoll, out events));           // the write end now reports EPOLLERR (no reader)
        Assert.Equal(PollBits.Error, events[0].events & PollBits.Error);
        w.Release();
        Assert.Equal(0, epoll.Count);
        epoll.Release();
    }

    [Fact]
    public void ASmallMaxeventsDoesNotStarveLaterEntries()
    {
        var epoll = new EpollInstance(0);
        var files = new EventFdHandle[3];
        for (int i = 0; i < 3; i++)
        {
            files[i] = new EventFdHandle(1, false, 0);
            epoll.Control(EpollInstance.ControlAdd, 10 + i, files[i], In, (ulong)i);
        }
        var seen = new HashSet<ulong>();
        for (int round = 0; round < 3; round++)
        {
            Assert.Equal(1, Wait(epoll, out var events, max: 1));
            seen.Add(events[0].data);
        }
        Assert.Equal(3, seen.Count);
        epoll.Release();
        foreach (var f in files) f.Release();
    }
}
