using System.Text;
using Kernel.Files;
using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.LinuxAbi;

namespace Unikernel.Runtime.Tests.Files;

/// <summary>
/// /proc/&lt;pid&gt;/fd on the host's VFS: one link per descriptor with Linux's targets, kept in step with the
/// descriptor table on every lookup and listing, without disturbing a listing in progress.
/// </summary>
public sealed unsafe class DescriptorDirectoryTests : VfsTestBase
{
    public DescriptorDirectoryTests()
    {
        var fd = new DirectoryNode(Vfs.RootFileSystem, 0x140);
        fd.Synchronizer = new DescriptorDirectory();
        Vfs.Root.Attach(fd, Encoding.ASCII.GetBytes("fd"));
    }

    private static string? ReadLink(string path)
    {
        byte* buffer = stackalloc byte[256];
        long n;
        fixed (byte* p = Bytes(path)) n = Vfs.ReadLink(Vfs.WorkingDirectory, p, path.Length, buffer, 256);
        return n < 0 ? null : Encoding.ASCII.GetString(buffer, (int)n);
    }

    private static int Install(OpenFile file)
    {
        long fd = Vfs.Descriptors.InstallNew(file, false);
        Assert.True(fd >= 0);   // the table holds the open file's reference now
        return (int)fd;
    }

    private static List<string> List(int batch = 4096)
    {
        Assert.Equal(0, Open("/fd", RdOnly | OpenFlags.Directory, out OpenFile directory));
        var names = new List<string>();
        byte* buffer = stackalloc byte[batch];
        while (true)
        {
            long n = directory.ReadDirectory(buffer, batch);
            Assert.True(n >= 0, $"getdents: {n}");
            if (n == 0) break;
            names.AddRange(Names(buffer, n));
        }
        directory.Release();
        return names;
    }

    private static IEnumerable<string> Names(byte* buffer, long n)
    {
        var names = new List<string>();
        for (long at = 0; at < n;)
        {
            ushort length = *(ushort*)(buffer + at + 16);
            string name = Encoding.ASCII.GetString(buffer + at + 19, (int)new ReadOnlySpan<byte>(buffer + at + 19, length - 19).IndexOf((byte)0));
            if (name != "." && name != "..") names.Add(name);
            at += length;
        }
        return names;
    }

    [Fact]
    public void EachDescriptorLinksWhereLinuxsDoes()
    {
        int file = Install(OpenOk("/tmp/data", Creat | RdWr));
        Pipe.Create(0, out PipeEnd read, out PipeEnd write);
        LinuxStat st;
        read.Stat(&st);
        int pipeRead = Install(read), pipeWrite = Install(write);
        int eventFd = Install(new EventFdHandle(0, false, 0));
        int epoll = Install(new EpollInstance(0));

        Assert.Equal("/tmp/data", ReadLink($"/fd/{file}"));
        Assert.Equal($"pipe:[{st.Inode}]", ReadLink($"/fd/{pipeRead}"));
        Assert.Equal($"pipe:[{st.Inode}]", ReadLink($"/fd/{pipeWrite}"));
        Assert.Equal("anon_inode:[eventfd]", ReadLink($"/fd/{eventFd}"));
        Assert.Equal("anon_inode:[eventpoll]", ReadLink($"/fd/{epoll}"));
        Assert.Equal(new[] { file, pipeRead, pipeWrite, eventFd, epoll }.Select(n => n.ToString()), List());

        // lr-x------ for the read end, l-wx------ for the write end, lrwx------ for the file.
        Assert.Equal(0, Stat($"/fd/{pipeRead}", out st, follow: false));
        Assert.Equal(FileTypeBits.Symlink | 0x140u, st.Mode);
        Assert.Equal(0, Stat($"/fd/{pipeWrite}", out st, follow: false));
        Assert.Equal(FileTypeBits.Symlink | 0xC0u, st.Mode);
        Assert.Equal(0, Stat($"/fd/{file}", out st, follow: false));
        Assert.Equal(FileTypeBits.Symlink | 0x1C0u, st.Mode);
        // A file's link leads to the file.
        Assert.Equal(0, Stat($"/fd/{file}", out st));
        Assert.Equal(FileTypeBits.Regular, st.Mode & FileTypeBits.TypeMask);
    }

    [Fact]
    public void LinksFollowCloseReuseAndUnlink()
    {
        int fd = Install(OpenOk("/tmp/first", Creat | RdWr));
        Assert.Equal("/tmp/first", ReadLink($"/fd/{fd}"));
        Assert.Equal(0, Unlink("/tmp/first"));
        // Linux keeps the old path; an unlinked node here only knows its own name.
        Assert.Equal("/first (deleted)", ReadLink($"/fd/{fd}"));
        Assert.Equal(0, Vfs.Descriptors.Close(fd));
        Assert.Null(ReadLink($"/fd/{fd}"));
        Assert.Empty(List());
        Assert.Equal(fd, Install(OpenOk("/tmp/second", Creat | RdWr)));
        Assert.Equal("/tmp/second", ReadLink($"/fd/{fd}"));
    }

    [Fact]
    public void AListingInProgressSeesEveryLastingDescriptorOnce()
    {
        var lasting = Enumerable.Range(0, 12).Select(i => Install(OpenOk($"/tmp/f{i}", Creat | RdWr))).ToList();
        Assert.Equal(0, Open("/fd", RdOnly | OpenFlags.Directory, out OpenFile directory));
        var seen = new List<string>();
        byte* buffer = stackalloc byte[40];   // one entry per call
        for (int round = 0; ; round++)
        {
            long n = directory.ReadDirectory(buffer, 40);
            Assert.True(n >= 0);
            if (n == 0) break;
            seen.AddRange(Names(buffer, n));
            // What a reader does between batches (readlink of what it just read) and what other threads do.
            foreach (string name in Names(buffer, n)) Assert.NotNull(ReadLink("/fd/" + name));
            int transient = Install(OpenOk($"/tmp/t{round}", Creat | RdWr));
            Assert.Equal(0, Vfs.Descriptors.Close(transient));
        }
        directory.Release();
        foreach (int fd in lasting) Assert.Single(seen, fd.ToString());
    }
}
