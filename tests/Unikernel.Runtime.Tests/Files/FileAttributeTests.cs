using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Unikernel.Runtime.Tests.Files;

// File times (utimensat's Vfs.SetTimes, kept to the nanosecond) and owners (chown's Vfs.ChangeOwner),
// with the behaviour Linux 6.x shows on tmpfs.
public sealed unsafe class FileAttributeTests : VfsTestBase
{
    private const long Now = (long)FileClock.FixedSeconds, NowNanoseconds = FileClock.FixedNanoseconds;

    private static long SetTimes(string path, FileTime[]? times, bool follow = true)
    {
        fixed (byte* p = Bytes(path))
        fixed (FileTime* t = times)
            return Vfs.SetTimes(Vfs.WorkingDirectory, p, path.Length, follow, times == null ? null : t);
    }

    private static long ChangeOwner(string path, uint user, uint group, bool follow = true) =>
        Call(path, (p, n) => Vfs.ChangeOwner(Vfs.WorkingDirectory, p, n, follow, user, group));

    private static LinuxStat StatOk(string path, bool follow = true)
    {
        Assert.Equal(0, Stat(path, out LinuxStat st, follow));
        return st;
    }

    [Fact]
    public void NewFilesCarryTheClockToTheNanosecond()
    {
        OpenOk("/tmp/f", Creat | WrOnly).Release();
        LinuxStat st = StatOk("/tmp/f");
        Assert.Equal(Now, st.ModifySeconds);
        Assert.Equal(NowNanoseconds, st.ModifyNanoseconds);
        Assert.Equal(NowNanoseconds, st.AccessNanoseconds);
        Assert.Equal(NowNanoseconds, st.ChangeNanoseconds);
    }

    [Fact]
    public void ExplicitTimesAreKeptExactlyAndTheChangeTimeBecomesNow()
    {
        OpenOk("/tmp/f", Creat | WrOnly).Release();
        Assert.Equal(0, SetTimes("/tmp/f", new[] { new FileTime(1000, 5), new FileTime(2000, 999_999_999) }));
        LinuxStat st = StatOk("/tmp/f");
        Assert.Equal((1000L, 5L), (st.AccessSeconds, st.AccessNanoseconds));
        Assert.Equal((2000L, 999_999_999L), (st.ModifySeconds, st.ModifyNanoseconds));
        Assert.Equal((Now, NowNanoseconds), (st.ChangeSeconds, st.ChangeNanoseconds));

        // Before 1970 is fine; UTIME_OMIT leaves a time alone, UTIME_NOW takes the clock.
        Assert.Equal(0, SetTimes("/tmp/f", new[] { new FileTime(-5, 7), new FileTime(0, Vfs.TimeOmit) }));
        st = StatOk("/tmp/f");
        Assert.Equal((-5L, 7L), (st.AccessSeconds, st.AccessNanoseconds));
        Assert.Equal(2000L, st.ModifySeconds);
        Assert.Equal(0, SetTimes("/tmp/f", new[] { new FileTime(0, Vfs.TimeOmit), new FileTime(123, Vfs.TimeNow) }));
        st = StatOk("/tmp/f");
        Assert.Equal(-5L, st.AccessSeconds);
        Assert.Equal((Now, NowNanoseconds), (st.ModifySeconds, st.ModifyNanoseconds));

        // No times: both now.
        Assert.Equal(0, SetTimes("/tmp/f", null));
        st = StatOk("/tmp/f");
        Assert.Equal((Now, NowNanoseconds), (st.AccessSeconds, st.AccessNanoseconds));
    }

    [Fact]
    public void TimeErrors()
    {
        OpenOk("/tmp/f", Creat | WrOnly).Release();
        var bad = new[] { new FileTime(1, 1_000_000_000), new FileTime(2, 0) };
        Assert.Equal(E(ENOENT), SetTimes("/tmp/missing", bad));   // the path is looked up first
        Assert.Equal(E(EINVAL), SetTimes("/tmp/f", bad));
        Assert.Equal(E(EINVAL), SetTimes("/tmp/f", new[] { new FileTime(1, 0), new FileTime(2, -1) }));
        Assert.Equal(E(EROFS), SetTimes("/tmp/..", null));          // the read-only root
        fixed (FileTime* t = bad) Assert.Equal(E(EINVAL), Vfs.SetTimes(null, t));   // a pipe keeps no times but checks them
        Assert.Equal(0, Vfs.SetTimes(null, null));
    }

    [Fact]
    public void NoFollowSetsTheLinkItself()
    {
        OpenOk("/tmp/target", Creat | WrOnly).Release();
        Assert.Equal(0, Symlink("/tmp/target", "/tmp/link"));
        Assert.Equal(0, SetTimes("/tmp/link", new[] { new FileTime(10, 0), new FileTime(20, 0) }, follow: false));
        Assert.Equal(20L, StatOk("/tmp/link", follow: false).ModifySeconds);
        Assert.Equal(Now, StatOk("/tmp/target").ModifySeconds);
        Assert.Equal(0, SetTimes("/tmp/link", new[] { new FileTime(30, 0), new FileTime(40, 0) }));
        Assert.Equal(40L, StatOk("/tmp/target").ModifySeconds);
    }

    [Fact]
    public void WritingAfterSettingTimesStampsTheClockAgain()
    {
        OpenFile file = OpenOk("/tmp/f", Creat | RdWr);
        Assert.Equal(0, SetTimes("/tmp/f", new[] { new FileTime(1, 0), new FileTime(2, 0) }));
        Write(file, "x");
        Assert.Equal(Now, StatOk("/tmp/f").ModifySeconds);
        file.Release();
    }

    [Fact]
    public void ChownAcceptsRootAndUnchangedOnly()
    {
        OpenOk("/tmp/f", Creat | WrOnly).Release();
        Assert.Equal(0, ChangeOwner("/tmp/f", 0, 0));
        Assert.Equal(0, ChangeOwner("/tmp/f", uint.MaxValue, uint.MaxValue));
        Assert.Equal(0, ChangeOwner("/tmp/f", 0, uint.MaxValue));
        Assert.Equal(E(EINVAL), ChangeOwner("/tmp/f", 1000, uint.MaxValue));   // not an id this system has
        Assert.Equal(E(EINVAL), ChangeOwner("/tmp/f", 0, 1000));
        Assert.Equal(E(ENOENT), ChangeOwner("/tmp/missing", 0, 0));
        Assert.Equal(E(EROFS), ChangeOwner("/tmp/..", 1000, 0));             // read-only before the id check
        LinuxStat st = StatOk("/tmp/f");
        Assert.Equal(0u, st.UserId);
        Assert.Equal(0u, st.GroupId);
        Assert.Equal(0, Vfs.ChangeOwner(null, 0, 0));
        Assert.Equal(E(EINVAL), Vfs.ChangeOwner(null, 5, 0));
    }

    [Fact]
    public void ChownClearsSetIdBitsOfFilesLikeLinux()
    {
        OpenFile file = OpenOk("/tmp/f", Creat | WrOnly);
        Assert.Equal(0, Vfs.ChangeMode(file.Node!, 0xDED));   // 06755
        Assert.Equal(0, ChangeOwner("/tmp/f", uint.MaxValue, uint.MaxValue));
        Assert.Equal(FileTypeBits.Regular | 0x1EDu, StatOk("/tmp/f").Mode);   // 0755
        Assert.Equal(0, Vfs.ChangeMode(file.Node!, 0x5E5));   // 02745: set-group-ID without group execute stays
        Assert.Equal(0, ChangeOwner("/tmp/f", 0, uint.MaxValue));
        Assert.Equal(FileTypeBits.Regular | 0x5E5u, StatOk("/tmp/f").Mode);
        file.Release();
        Assert.Equal(0, MakeDirectory("/tmp/d"));
        OpenFile directory = OpenOk("/tmp/d", RdOnly);
        Assert.Equal(0, Vfs.ChangeMode(directory.Node!, 0xDED));
        Assert.Equal(0, ChangeOwner("/tmp/d", 0, 0));
        Assert.Equal(FileTypeBits.Directory | 0xDEDu, StatOk("/tmp/d").Mode);   // directories keep them
        directory.Release();
    }
}
