using System.Text;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Unikernel.Runtime.Tests.Files;

public sealed unsafe class VfsOperationTests : VfsTestBase
{
    [Fact]
    public void CreateWriteReadSeekAndTheModeTheUmaskLeaves()
    {
        OpenFile file = OpenOk("/tmp/f", Creat | RdWr | Excl, 0x1FF);
        Assert.Equal(5, Write(file, "hello"));
        Assert.Equal(0, file.Seek(0, OpenFile.SeekSet));
        Assert.Equal("hello", ReadAll(file));
        Assert.Equal(2, file.Seek(-3, OpenFile.SeekEnd));
        Assert.Equal("llo", ReadAll(file));
        Assert.Equal(E(EINVAL), file.Seek(-10, OpenFile.SeekCurrent));
        Assert.Equal(E(EINVAL), file.Seek(0, 7));
        Assert.Equal(0, Stat("/tmp/f", out LinuxStat st));
        Assert.Equal(FileTypeBits.Regular | 0x1EDu, st.Mode);   // 0777 & ~022
        Assert.Equal(5, st.FileSize);
        Assert.Equal(1UL, st.LinkCount);
        Assert.Equal(Vfs.TmpFileSystem.Device, st.Device);
        file.Release();
    }

    [Fact]
    public void OpenErrors()
    {
        Assert.Equal(E(ENOENT), Open("/tmp/missing", RdOnly, out _));
        Assert.Equal(E(EROFS), Open("/created", Creat | WrOnly, out _));
        Assert.Equal(E(EISDIR), Open("/tmp", WrOnly, out _));
        Assert.Equal(E(EISDIR), Open("/tmp", RdOnly | Creat, out _));
        Assert.Equal(E(EISDIR), Open("/tmp/newdir/", Creat | WrOnly, out _));
        Assert.Equal(E(EINVAL), Open("/tmp", 3, out _));
        Assert.Equal(E(EINVAL), Open("/tmp/f", Creat | WrOnly | OpenFlags.Directory, out _));   // as Linux 6.4+
        OpenOk("/tmp/f", Creat | WrOnly).Release();
        Assert.Equal(E(EEXIST), Open("/tmp/f", Creat | Excl | WrOnly, out _));
        Assert.Equal(E(ENOTDIR), Open("/tmp/f", RdOnly | OpenFlags.Directory, out _));
        Assert.Equal(E(Kernel.LinuxAbi.Errno.EOPNOTSUPP), Open("/tmp", OpenFlags.TemporaryFile | RdWr, out _));
    }

    [Fact]
    public void OpenPathGivesADescriptorThatCannotReadOrWrite()
    {
        Assert.Equal(0, Symlink("/tmp", "/tmp/link"));
        OpenFile path = OpenOk("/tmp/link", OpenFlags.PathOnly | OpenFlags.NoFollow);
        Assert.True(path.IsPathOnly);
        Assert.False(path.CanRead);
        Assert.False(path.CanWrite);
        Assert.True(path.Node!.IsSymlink);
        path.Release();
        Assert.Equal(E(ELOOP), Open("/tmp/link", RdOnly | OpenFlags.NoFollow, out _));
    }

    [Fact]
    public void TruncateAndAppend()
    {
        OpenFile file = OpenOk("/tmp/f", Creat | RdWr);
        Write(file, "0123456789");
        file.Release();
        file = OpenOk("/tmp/f", WrOnly | OpenFlags.Append);
        Assert.Equal(2, Write(file, "ab"));
        Assert.Equal(12, file.Offset);
        byte* one = stackalloc byte[1];
        one[0] = (byte)'!';
        Assert.Equal(1, file.WriteAt(0, one, 1));          // pwrite on O_APPEND appends, as on Linux
        file.Release();
        file = OpenOk("/tmp/f", RdOnly);
        Assert.Equal("0123456789ab!", ReadAll(file));
        file.Release();
        file = OpenOk("/tmp/f", RdWr | Trunc);
        Assert.Equal("", ReadAll(file));
        file.Release();
    }

    [Fact]
    public void ExtendingTruncateReadsZerosAndShrinkingClearsTheTail()
    {
        OpenFile file = OpenOk("/tmp/f", Creat | RdWr);
        Write(file, "abcdef");
        Assert.Equal(0, file.Truncate(3));
        Assert.Equal(0, file.Truncate(10000));
        byte* buffer = stackalloc byte[10000];
        Assert.Equal(10000, file.ReadAt(0, buffer, 10000));
        Assert.Equal("abc", Encoding.ASCII.GetString(buffer, 3));
        for (int i = 3; i < 10000; i++) Assert.Equal(0, buffer[i]);
        Assert.Equal(E(EINVAL), file.Truncate(-1));
        Assert.Equal(E(Kernel.LinuxAbi.Errno.EFBIG), file.Truncate(RamFileNode.MaxLength + 1));
        file.Release();
    }

    [Fact]
    public void AnUnlinkedFileLivesUntilItsLastDescriptorCloses()
    {
        long blocksBefore = FileMemory.LiveBlocks;
        OpenFile file = OpenOk("/tmp/f", Creat | RdWr);
        Write(file, "content");
        Assert.Equal(blocksBefore + 1, FileMemory.LiveBlocks);
        Assert.Equal(0, Unlink("/tmp/f"));
        Assert.Equal(E(ENOENT), Stat("/tmp/f", out _));
        file.Seek(0, 0);
        Assert.Equal("content", ReadAll(file));
        LinuxStat st;
        file.Stat(&st);
        Assert.Equal(0UL, st.LinkCount);
        Assert.Equal(blocksBefore + 1, FileMemory.LiveBlocks);
        file.Release();
        Assert.Equal(blocksBefore, FileMemory.LiveBlocks);
        Assert.Equal(0UL, Vfs.TmpFileSystem.UsedBytes);
    }

    [Fact]
    public void TmpfsCapacityGivesEnospcAndHeapExhaustionEnomem()
    {
        Vfs.CreateBaseTree(4096);
        OpenFile file = OpenOk("/tmp/f", Creat | RdWr);
        byte* data = stackalloc byte[5000];
        Assert.Equal(4096, file.Write(data, 4096));
        Assert.Equal(E(ENOSPC), file.Write(data, 1));
        file.Release();
        Assert.Equal(0, Unlink("/tmp/f"));

        Vfs.CreateBaseTree(1 << 30);
        FileMemory.FailAfterBytes = 1000;
        file = OpenOk("/tmp/g", Creat | RdWr);
        Assert.Equal(E(ENOMEM), file.Write(data, 5000));
        Assert.Equal(0, file.Node!.Size);
        file.Release();
    }

    [Fact]
    public void MakeAndRemoveDirectories()
    {
        Assert.Equal(0, MakeDirectory("/tmp/d"));
        Assert.Equal(E(EEXIST), MakeDirectory("/tmp/d"));
        Assert.Equal(E(EEXIST), MakeDirectory("/tmp/d/"));
        Assert.Equal(E(EEXIST), MakeDirectory("/"));
        Assert.Equal(E(EROFS), MakeDirectory("/d"));
        Assert.Equal(E(ENOENT), MakeDirectory("/tmp/x/y"));
        Assert.Equal(0, MakeDirectory("/tmp/d/e/"));
        Assert.Equal(0, Stat("/tmp/d", out LinuxStat st));
        Assert.Equal(3UL, st.LinkCount);                        // ".", its entry in /tmp, e's ".."
        Assert.Equal(FileTypeBits.Directory | 0x1EDu, st.Mode);
        Assert.Equal(E(ENOTEMPTY), RemoveDirectory("/tmp/d"));
        Assert.Equal(E(EISDIR), Unlink("/tmp/d"));
        Assert.Equal(E(EINVAL), RemoveDirectory("/tmp/d/e/."));
        Assert.Equal(E(ENOTEMPTY), RemoveDirectory("/tmp/d/e/.."));
        Assert.Equal(E(EBUSY), RemoveDirectory("/"));
        Assert.Equal(E(EBUSY), RemoveDirectory("/tmp"));
        OpenOk("/tmp/d/f", Creat | WrOnly).Release();
        Assert.Equal(E(ENOTDIR), RemoveDirectory("/tmp/d/f"));
        Assert.Equal(0, Unlink("/tmp/d/f"));
        Assert.Equal(0, RemoveDirectory("/tmp/d/e"));
        Assert.Equal(0, RemoveDirectory("/tmp/d"));
        Assert.Equal(E(ENOENT), RemoveDirectory("/tmp/d"));
    }

    [Fact]
    public void RenameMovesReplacesAndRefuses()
    {
        MakeDirectory("/tmp/a");
        MakeDirectory("/tmp/b");
        OpenFile f = OpenOk("/tmp/a/f", Creat | WrOnly);
        Write(f, "one");
        f.Release();
        OpenFile g = OpenOk("/tmp/b/g", Creat | WrOnly);
        Write(g, "two!");
        g.Release();

        Assert.Equal(0, Rename("/tmp/a/f", "/tmp/a/f"));                       // same file: nothing happens
        Assert.Equal(E(Kernel.LinuxAbi.Errno.EEXIST), Rename("/tmp/a/f", "/tmp/b/g", Vfs.RenameNoReplace));
        Assert.Equal(E(EINVAL), Rename("/tmp/a/f", "/tmp/b/g", Vfs.RenameExchange));
        Assert.Equal(0, Rename("/tmp/a/f", "/tmp/b/g"));                       // replaces g
        Assert.Equal(E(ENOENT), Stat("/tmp/a/f", out _));
        Assert.Equal(0, Stat("/tmp/b/g", out LinuxStat st));
        Assert.Equal(3, st.FileSize);
        Assert.Equal(E(EISDIR), Rename("/tmp/b/g", "/tmp/a"));
        Assert.Equal(E(ENOTDIR), Rename("/tmp/a", "/tmp/b/g"));
        Assert.Equal(E(EINVAL), Rename("/tmp/a", "/tmp/a/sub"));
        Assert.Equal(E(EXDEV), Rename("/tmp/b/g", "/g"));
        Assert.Equal(E(EBUSY), Rename("/tmp", "/tmp2"));
        Assert.Equal(E(ENOENT), Rename("/tmp/none", "/tmp/x"));
        Assert.Equal(E(ENOTDIR), Rename("/tmp/b/g", "/tmp/x/"));
        Assert.Equal(0, Rename("/tmp/a", "/tmp/b/a"));                         // a directory, into an empty-target slot
        MakeDirectory("/tmp/empty");
        Assert.Equal(0, Rename("/tmp/b/a", "/tmp/empty"));                     // over an empty directory
        Assert.Equal(E(ENOTEMPTY), Rename("/tmp/empty", "/tmp/b"));
    }

    [Fact]
    public void DirectoryListingsIncludeDotsAndContinueAcrossCalls()
    {
        MakeDirectory("/tmp/d");
        for (int i = 0; i < 20; i++) OpenOk($"/tmp/d/file{i:D2}", Creat | WrOnly).Release();
        OpenFile dir = OpenOk("/tmp/d", RdOnly | OpenFlags.Directory);
        var names = new List<string>();
        byte* buffer = stackalloc byte[100];                     // three or four records per call
        while (true)
        {
            long n = dir.ReadDirectory(buffer, 100);
            Assert.True(n >= 0);
            if (n == 0) break;
            for (long at = 0; at < n;)
            {
                ushort size = *(ushort*)(buffer + at + 16);
                names.Add(Marshal(buffer + at + 19));
                Assert.Equal(names.Count, *(long*)(buffer + at + 8));   // d_off: where the next call continues
                at += size;
            }
        }
        Assert.Equal(22, names.Count);
        Assert.Equal(".", names[0]);
        Assert.Equal("..", names[1]);
        Assert.Equal("file00", names[2]);
        Assert.Equal("file19", names[21]);
        Assert.Equal(0, dir.ReadDirectory(buffer, 10));            // at the end: 0, whatever the size
        dir.Seek(0, OpenFile.SeekSet);
        Assert.Equal(E(EINVAL), dir.ReadDirectory(buffer, 10));    // too small for "."
        Assert.Equal(E(EISDIR), dir.Read(buffer, 10));
        dir.Release();

        static string Marshal(byte* name) => System.Runtime.InteropServices.Marshal.PtrToStringAnsi((IntPtr)name)!;
    }

    [Fact]
    public void ListingInBatchesWhileDeletingSeesEveryEntry()
    {
        // What a recursive delete does: list a batch, unlink it, list the next batch from d_off.
        MakeDirectory("/tmp/d");
        for (int i = 0; i < 30; i++) OpenOk($"/tmp/d/f{i:D2}", Creat | WrOnly).Release();
        OpenFile dir = OpenOk("/tmp/d", RdOnly | OpenFlags.Directory);
        byte* buffer = stackalloc byte[96];
        int deleted = 0;
        while (true)
        {
            long n = dir.ReadDirectory(buffer, 96);
            if (n == 0) break;
            for (long at = 0; at < n; at += *(ushort*)(buffer + at + 16))
            {
                string name = System.Runtime.InteropServices.Marshal.PtrToStringAnsi((IntPtr)(buffer + at + 19))!;
                if (name == "." || name == "..") continue;
                Assert.Equal(0, Unlink("/tmp/d/" + name));
                deleted++;
            }
        }
        Assert.Equal(30, deleted);
        dir.Release();
        Assert.Equal(0, RemoveDirectory("/tmp/d"));
    }

    [Fact]
    public void WorkingDirectoryAndGetcwd()
    {
        Assert.Equal("/", Cwd());
        MakeDirectory("/tmp/a");
        MakeDirectory("/tmp/a/b");
        Assert.Equal(0, ChangeDirectory("/tmp/a/b"));
        Assert.Equal("/tmp/a/b", Cwd());
        Assert.Equal(0, ChangeDirectory(".."));
        Assert.Equal("/tmp/a", Cwd());
        Assert.Equal(E(ENOENT), ChangeDirectory("/proc"));    // not in the base tree
        OpenOk("/tmp/a/f", Creat | WrOnly).Release();
        Assert.Equal(E(ENOTDIR), ChangeDirectory("/tmp/a/f"));
        byte* small = stackalloc byte[6];
        Assert.Equal(E(ERANGE), Vfs.GetWorkingDirectory(small, 6));   // "/tmp/a" + NUL needs 7
        Assert.Equal(0, ChangeDirectory("b"));
        Assert.Equal(0, RemoveDirectory("/tmp/a/b"));
        Assert.Equal(E(ENOENT), Vfs.GetWorkingDirectory(small, 6));
        Assert.Equal(E(ENOENT), Open("new", Creat | WrOnly, out _));   // cannot create in a removed directory
        Assert.Equal(0, ChangeDirectory("/"));
        Assert.Equal("/", Cwd());
    }

    [Fact]
    public void ReadLinkAccessAndChmod()
    {
        Assert.Equal(0, Symlink("/tmp/target", "/tmp/l"));
        byte* buffer = stackalloc byte[64];
        Assert.Equal(11, Call("/tmp/l", (p, n) => Vfs.ReadLink(Vfs.WorkingDirectory, p, n, buffer, 64)));
        Assert.Equal("/tmp/target", Encoding.ASCII.GetString(buffer, 11));
        Assert.Equal(4, Call("/tmp/l", (p, n) => Vfs.ReadLink(Vfs.WorkingDirectory, p, n, buffer, 4)));   // truncated, no NUL
        Assert.Equal(E(EINVAL), Call("/tmp", (p, n) => Vfs.ReadLink(Vfs.WorkingDirectory, p, n, buffer, 64)));
        Assert.Equal(E(EEXIST), Symlink("x", "/tmp/l"));
        Assert.Equal(E(ENOENT), Symlink("", "/tmp/empty"));

        OpenOk("/tmp/f", Creat | WrOnly, 0x1A4).Release();
        Assert.Equal(E(EACCES), Call("/tmp/f", (p, n) => Vfs.Access(Vfs.WorkingDirectory, p, n, Vfs.AccessExecute, true)));
        Assert.Equal(0, Call("/tmp/f", (p, n) => Vfs.ChangeMode(Vfs.WorkingDirectory, p, n, 0x1ED, true)));
        Assert.Equal(0, Call("/tmp/f", (p, n) => Vfs.Access(Vfs.WorkingDirectory, p, n, Vfs.AccessExecute | Vfs.AccessWrite, true)));
        Assert.Equal(E(EROFS), Call("/", (p, n) => Vfs.Access(Vfs.WorkingDirectory, p, n, Vfs.AccessWrite, true)));
        Assert.Equal(E(EINVAL), Call("/", (p, n) => Vfs.Access(Vfs.WorkingDirectory, p, n, 8, true)));
        Assert.Equal(E(ENOENT), Call("/tmp/l", (p, n) => Vfs.Access(Vfs.WorkingDirectory, p, n, 0, true)));   // dangling
        Assert.Equal(0, Call("/tmp/l", (p, n) => Vfs.Access(Vfs.WorkingDirectory, p, n, 0, false)));
    }

    [Fact]
    public void StatfsReportsTmpfsCapacity()
    {
        OpenFile file = OpenOk("/tmp/f", Creat | RdWr);
        byte* data = stackalloc byte[10000];
        file.Write(data, 10000);
        LinuxStatFs* st = stackalloc LinuxStatFs[1];
        Assert.Equal(0, Call("/tmp/f", (p, n) => Vfs.StatFileSystem(Vfs.WorkingDirectory, p, n, st)));
        Assert.Equal(SuperBlock.TmpfsMagic, st->Type);
        Assert.Equal(256UL, st->Blocks);                       // 1 MiB of 4 KiB blocks
        Assert.True(st->FreeBlocks < 256 - 2);
        Assert.Equal(255, st->NameLength);
        Assert.Equal(0, Call("/", (p, n) => Vfs.StatFileSystem(Vfs.WorkingDirectory, p, n, st)));
        Assert.Equal(SuperBlock.RamfsMagic, st->Type);
        Assert.Equal(SuperBlock.MountReadOnly, st->Flags & SuperBlock.MountReadOnly);
        file.Release();
    }

    [Fact]
    public void GeneratedFilesSnapshotTheirContentAtOpenAndAreReadOnly()
    {
        int generated = 0;
        var generator = new CountingText(() => ++generated);
        Vfs.AddGenerated(Vfs.Root, "gen", generator);
        OpenFile first = OpenOk("/gen", RdOnly);
        OpenFile second = OpenOk("/gen", RdOnly);
        Assert.Equal("content 1\n", ReadAll(first));
        Assert.Equal("content 2\n", ReadAll(second));
        Assert.Equal(E(EACCES), Open("/gen", WrOnly, out _));
        Assert.Equal(0, Stat("/gen", out LinuxStat st));
        Assert.Equal(0, st.FileSize);                         // like procfs
        Assert.Equal(FileTypeBits.Regular | 0x124u, st.Mode);
        long blocks = FileMemory.LiveBlocks;
        first.Release();
        second.Release();
        Assert.Equal(blocks - 2, FileMemory.LiveBlocks);
    }

    private sealed class CountingText : ContentGenerator
    {
        private readonly Func<int> _next;
        public CountingText(Func<int> next) { _next = next; }
        public override void Generate(TextBuilder output) => output.Append("content ").AppendDecimal((ulong)_next()).Append('\n');
    }
}
