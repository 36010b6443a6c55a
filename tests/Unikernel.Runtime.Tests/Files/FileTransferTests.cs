using Kernel.Files.Events;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Unikernel.Runtime.Tests.Files;

// sendfile and copy_file_range (FileTransfer) on the VFS, with the results and errors Linux 6.x gives
// for the same calls on tmpfs (checked against a Linux host; see the comments for the less obvious ones).
public sealed unsafe class FileTransferTests : VfsTestBase
{
    private const int Size = 100_000;   // more than one 64 KiB kernel buffer

    private static OpenFile Source(string path = "/tmp/src", int length = Size)
    {
        OpenFile file = OpenOk(path, Creat | RdWr | Trunc);
        byte[] data = Pattern(length);
        fixed (byte* p = data) Assert.Equal(length, file.Write(p, length));
        file.Offset = 0;
        return file;
    }

    private static byte[] Pattern(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 7 + i / 251);
        return data;
    }

    private static byte[] Content(OpenFile file)
    {
        var result = new byte[file.Node!.Size];
        fixed (byte* p = result) Assert.Equal(result.Length, file.ReadAt(0, p, result.Length));
        return result;
    }

    private static long SendFile(OpenFile? output, OpenFile? input, ulong count) => FileTransfer.SendFile(output!, input!, null, count);

    private static long SendFile(OpenFile? output, OpenFile? input, ref long offset, ulong count)
    {
        long position = offset;
        long result = FileTransfer.SendFile(output!, input!, &position, count);
        offset = position;
        return result;
    }

    private static long CopyRange(OpenFile input, OpenFile output, ulong count) => FileTransfer.CopyRange(input, null, output, null, count);

    private static long CopyRange(OpenFile input, long inputOffset, OpenFile output, long outputOffset, ulong count,
                                  out long inputAfter, out long outputAfter)
    {
        long result = FileTransfer.CopyRange(input, &inputOffset, output, &outputOffset, count);
        inputAfter = inputOffset;
        outputAfter = outputOffset;
        return result;
    }

    [Fact]
    public void SendFileCopiesEverythingThroughTheBufferAndAdvancesBothOffsets()
    {
        OpenFile source = Source();
        OpenFile target = OpenOk("/tmp/dst", Creat | WrOnly);
        long blocks = FileMemory.LiveBlocks;
        Assert.Equal(Size, SendFile(target, source, 1 << 30));
        Assert.Equal(blocks + 1, FileMemory.LiveBlocks);   // the target's content; the transfer buffer is freed
        Assert.Equal(Size, source.Offset);
        Assert.Equal(Size, target.Offset);
        Assert.Equal(Pattern(Size), Content(OpenOk("/tmp/dst", RdOnly)));
        Assert.Equal(0, SendFile(target, source, 100));     // at the input's end
        Assert.Equal(0, SendFile(target, source, 0));
        source.Release();
        target.Release();
    }

    [Fact]
    public void SendFileWithAnOffsetReadsThereAndLeavesTheInputOffsetAlone()
    {
        OpenFile source = Source();
        OpenFile target = OpenOk("/tmp/dst", Creat | RdWr);
        long offset = Size - 10;
        Assert.Equal(10, SendFile(target, source, ref offset, 100));
        Assert.Equal(Size, offset);
        Assert.Equal(0, source.Offset);
        offset = 2 * Size;
        Assert.Equal(0, SendFile(target, source, ref offset, 100));
        Assert.Equal(2 * Size, offset);
        offset = -1;
        Assert.Equal(E(EINVAL), SendFile(target, source, ref offset, 100));
        source.Release();
        target.Release();
    }

    [Fact]
    public void SendFileErrorsInLinuxOrder()
    {
        OpenFile source = Source();
        OpenFile target = OpenOk("/tmp/dst", Creat | RdWr);
        OpenFile readOnly = OpenOk("/tmp/dst", RdOnly);
        OpenFile append = OpenOk("/tmp/app", Creat | WrOnly | OpenFlags.Append);
        OpenFile directory = OpenOk("/tmp", RdOnly | OpenFlags.Directory);
        OpenFile path = OpenOk("/tmp/src", OpenFlags.PathOnly);
        Pipe.Create(0, out PipeEnd pipeRead, out PipeEnd pipeWrite);
        long offset = 0;

        Assert.Equal(E(EBADF), SendFile(target, null, 10));
        Assert.Equal(E(EBADF), SendFile(target, append, 10));        // input not open for reading
        Assert.Equal(E(EBADF), SendFile(target, path, 10));          // O_PATH
        Assert.Equal(E(ESPIPE), SendFile(target, pipeRead, ref offset, 10));
        Assert.Equal(E(EINVAL), SendFile(target, source, ulong.MaxValue));   // a negative ssize_t
        Assert.Equal(E(EBADF), SendFile(null, source, 10));
        Assert.Equal(E(EBADF), SendFile(readOnly, source, 10));
        Assert.Equal(E(EINVAL), SendFile(append, source, 10));       // O_APPEND output: EINVAL, not EBADF
        Assert.Equal(E(EINVAL), SendFile(target, pipeRead, 10));     // a pipe has no splice_read
        Assert.Equal(E(EINVAL), SendFile(target, directory, 10));
        Assert.Equal(0, SendFile(target, directory, 0));             // nothing to read, nothing checked
        var eventFd = new EventFdHandle(0, false, 0);
        Assert.Equal(E(EINVAL), SendFile(eventFd, source, 8));       // found out once there is data to write
        Assert.Equal(0, source.Offset);
        source.Offset = Size;
        Assert.Equal(0, SendFile(eventFd, source, 8));               // ... so at the input's end it is 0
        Assert.Equal(0, target.Node!.Size);

        foreach (OpenFile f in new[] { source, target, readOnly, append, directory, path, pipeRead, pipeWrite, (OpenFile)eventFd }) f.Release();
    }

    [Fact]
    public void SendFileFromAndToDevices()
    {
        OpenFile tmp = OpenOk("/tmp", OpenFlags.PathOnly);
        Vfs.Add((DirectoryNode)tmp.Node!, "zero", new DeviceNode(Vfs.TmpFileSystem, DeviceNode.Zero, 1, 5));
        Vfs.Add((DirectoryNode)tmp.Node!, "null", new DeviceNode(Vfs.TmpFileSystem, DeviceNode.Null, 1, 3));
        tmp.Release();
        OpenFile zeroFile = OpenOk("/tmp/zero", RdOnly), nullRead = OpenOk("/tmp/null", RdOnly), nullWrite = OpenOk("/tmp/null", WrOnly);
        OpenFile source = Source();
        OpenFile target = OpenOk("/tmp/dst", Creat | RdWr);
        Assert.Equal(100, SendFile(target, zeroFile, 100));
        Assert.Equal(100, target.Node!.Size);
        Assert.Equal(E(EINVAL), SendFile(target, nullRead, 100));   // Linux's /dev/null cannot be spliced from
        Assert.Equal(Size, SendFile(nullWrite, source, Size));
        foreach (OpenFile f in new[] { zeroFile, nullRead, nullWrite, source, target }) f.Release();
    }

    [Fact]
    public void SendFileIntoAPipeTakesWhatFitsThenWaits()
    {
        OpenFile source = Source();
        Pipe.Create(OpenFlags.NonBlocking, out PipeEnd read, out PipeEnd write);
        Assert.Equal(Pipe.Capacity, SendFile(write, source, Size));
        Assert.Equal(Pipe.Capacity, source.Offset);
        Assert.Equal(E(EAGAIN), SendFile(write, source, 10));
        Assert.Equal(E(EAGAIN), SendFile(write, source, 0));           // a full pipe: EAGAIN even for 0 bytes
        byte* buffer = stackalloc byte[1000];
        Assert.Equal(1000, read.Read(buffer, 1000));
        Assert.Equal(1000, SendFile(write, source, Size));             // exactly the room there is
        Assert.Equal(Pipe.Capacity + 1000, source.Offset);
        write.Flags &= ~OpenFlags.NonBlocking;
        Assert.Equal(E(EAGAIN), SendFile(write, source, 10));          // blocking: the host's stand-in for parking
        read.Release();
        Assert.Equal(E(EPIPE), SendFile(write, source, 10));           // no reader left
        write.Release();
        source.Release();
    }

    [Fact]
    public void SendFileReturnsWhatItMovedWhenTheFileSystemFillsUp()
    {
        Vfs.CreateBaseTree(256 * 1024);
        OpenFile source = Source("/tmp/src", 150_000);
        OpenFile target = OpenOk("/tmp/dst", Creat | WrOnly);
        Assert.Equal(65536, SendFile(target, source, 150_000));        // the second 64 KiB no longer fits
        Assert.Equal(65536, source.Offset);
        Assert.Equal(E(ENOSPC), SendFile(target, source, 150_000));    // nothing moved: the error itself
        Assert.Equal(65536, source.Offset);
        source.Release();
        target.Release();
    }

    [Fact]
    public void SendFileWithinOneDescription()
    {
        OpenFile file = Source();
        Assert.Equal(100, SendFile(file, file, 100));   // reads at 0, writes at the shared offset 0
        Assert.Equal(100, file.Offset);
        Assert.Equal(Pattern(Size), Content(file));
        file.Release();
    }

    [Fact]
    public void CopyRangeCopiesAndAdvancesTheOffsetsItUses()
    {
        OpenFile source = Source();
        OpenFile target = OpenOk("/tmp/dst", Creat | RdWr);
        long blocks = FileMemory.LiveBlocks;
        Assert.Equal(Size, CopyRange(source, target, 1UL << 40));   // shortened to the input's end
        Assert.Equal(blocks + 1, FileMemory.LiveBlocks);
        Assert.Equal(Size, source.Offset);
        Assert.Equal(Size, target.Offset);
        Assert.Equal(Pattern(Size), Content(target));
        Assert.Equal(0, CopyRange(source, target, 100));            // at the end

        Assert.Equal(10, CopyRange(source, 5, target, 3, 10, out long inputAfter, out long outputAfter));
        Assert.Equal(15, inputAfter);
        Assert.Equal(13, outputAfter);
        Assert.Equal(Size, source.Offset);                           // explicit offsets leave the descriptions alone
        Assert.Equal(Size, target.Offset);
        Assert.Equal(0, CopyRange(source, 0, target, 0, 0, out inputAfter, out _));
        Assert.Equal(0, inputAfter);
        source.Release();
        target.Release();
    }

    [Fact]
    public void CopyRangeWithinOneFileRefusesOverlaps()
    {
        OpenFile source = Source();
        OpenFile same = OpenOk("/tmp/src", RdWr);
        Assert.Equal(E(EINVAL), CopyRange(source, 0, same, 5, 10, out _, out _));
        Assert.Equal(10, CopyRange(source, 0, same, 10, 10, out _, out _));   // adjacent is fine
        byte[] content = Content(same);
        byte[] pattern = Pattern(Size);
        for (int i = 0; i < 10; i++) Assert.Equal(pattern[i], content[10 + i]);
        // The count is cut to the input's end before the overlap check: 5 bytes from Size - 5.
        Assert.Equal(E(EINVAL), CopyRange(source, Size - 5, same, Size - 7, 100, out _, out _));
        Assert.Equal(5, CopyRange(source, Size - 5, same, Size - 10, 100, out long inputAfter, out long outputAfter));
        Assert.Equal(Size, inputAfter);
        Assert.Equal(Size - 5, outputAfter);
        content = Content(same);
        for (int i = 0; i < 5; i++) Assert.Equal(pattern[Size - 5 + i], content[Size - 10 + i]);
        source.Release();
        same.Release();
    }

    [Fact]
    public void CopyRangeErrorsInLinuxOrder()
    {
        OpenFile source = Source();
        OpenFile target = OpenOk("/tmp/dst", Creat | RdWr);
        OpenFile readOnly = OpenOk("/tmp/dst", RdOnly);
        OpenFile writeOnly = OpenOk("/tmp/src", WrOnly);
        OpenFile append = OpenOk("/tmp/app", Creat | WrOnly | OpenFlags.Append);
        OpenFile directory = OpenOk("/tmp", RdOnly | OpenFlags.Directory);
        Pipe.Create(0, out PipeEnd pipeRead, out PipeEnd pipeWrite);
        var rootFile = new RamFileNode(Vfs.RootFileSystem, 0x1A4);
        Vfs.Add(Vfs.Root, "elsewhere", rootFile);
        OpenFile other = OpenOk("/elsewhere", RdOnly);

        Assert.Equal(E(EISDIR), CopyRange(directory, target, 10));
        Assert.Equal(E(EISDIR), CopyRange(source, directory, 0));     // even for 0 bytes
        Assert.Equal(E(EINVAL), CopyRange(pipeRead, target, 10));
        Assert.Equal(E(EINVAL), CopyRange(source, pipeWrite, 10));
        Assert.Equal(E(EBADF), CopyRange(source, append, 10));        // O_APPEND output: EBADF here
        Assert.Equal(E(EBADF), CopyRange(source, readOnly, 10));
        Assert.Equal(E(EBADF), CopyRange(writeOnly, target, 10));
        Assert.Equal(E(EXDEV), CopyRange(other, target, 10));         // another file system
        Assert.Equal(E(Kernel.LinuxAbi.Errno.EOVERFLOW), CopyRange(source, -1, target, 0, 10, out _, out _));   // -1 + 10 wraps as u64
        Assert.Equal(E(Kernel.LinuxAbi.Errno.EOVERFLOW), CopyRange(source, 0, target, -1, 10, out _, out _));
        Assert.Equal(E(Kernel.LinuxAbi.Errno.EOVERFLOW), CopyRange(source, 1, target, 0, ulong.MaxValue, out _, out _));
        Assert.Equal(E(EINVAL), CopyRange(source, -1, target, 0, 0, out _, out _));   // no wrap; then rw_verify_area
        Assert.Equal(E(Kernel.LinuxAbi.Errno.EFBIG), CopyRange(source, 0, target, RamFileNode.MaxLength, 10, out _, out _));
        Assert.Equal(0, target.Node!.Size);

        foreach (OpenFile f in new[] { source, target, readOnly, writeOnly, append, directory, pipeRead, pipeWrite, other }) f.Release();
    }
}
