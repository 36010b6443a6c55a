using System.Text;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Unikernel.Runtime.Tests.Files;

// The VFS keeps its tree in statics (one process), so its tests run one at a time, each on a fresh tree:
// "/" (read-only) and "/tmp" (tmpfs). Paths are handed over as bytes, as the system call layer does.
[CollectionDefinition("Vfs", DisableParallelization = true)]
public sealed class VfsCollection { }

[Collection("Vfs")]
public abstract unsafe class VfsTestBase
{
    protected const int RdOnly = OpenFlags.ReadOnly, WrOnly = OpenFlags.WriteOnly, RdWr = OpenFlags.ReadWrite;
    protected const int Creat = OpenFlags.Create, Excl = OpenFlags.Exclusive, Trunc = OpenFlags.Truncate;

    protected VfsTestBase(ulong tmpCapacity = 1 << 20)
    {
        FileMemory.ResetLimits();
        Vfs.CreateBaseTree(tmpCapacity);
    }

    private protected static long Open(string path, int flags, out OpenFile file, uint mode = 0x1A4)
    {
        fixed (byte* p = Bytes(path)) return Vfs.Open(Vfs.WorkingDirectory, p, path.Length, flags, mode, out file);
    }

    private protected static OpenFile OpenOk(string path, int flags, uint mode = 0x1A4)
    {
        long error = Open(path, flags, out OpenFile file, mode);
        Assert.True(error == 0, $"open {path}: {error}");
        return file;
    }

    private protected static long Call(string path, PathOperation operation)
    {
        fixed (byte* p = Bytes(path)) return operation(p, path.Length);
    }

    private protected static long Call(string first, string second, TwoPathOperation operation)
    {
        fixed (byte* a = Bytes(first))
        fixed (byte* b = Bytes(second))
            return operation(a, first.Length, b, second.Length);
    }

    private protected delegate long PathOperation(byte* path, int length);
    private protected delegate long TwoPathOperation(byte* first, int firstLength, byte* second, int secondLength);

    private protected static long MakeDirectory(string path) => Call(path, (p, n) => Vfs.MakeDirectory(Vfs.WorkingDirectory, p, n, 0x1ED));
    private protected static long Unlink(string path) => Call(path, (p, n) => Vfs.Unlink(Vfs.WorkingDirectory, p, n));
    private protected static long RemoveDirectory(string path) => Call(path, (p, n) => Vfs.RemoveDirectory(Vfs.WorkingDirectory, p, n));
    private protected static long ChangeDirectory(string path) => Call(path, (p, n) => Vfs.ChangeDirectory(Vfs.WorkingDirectory, p, n));
    private protected static long Symlink(string target, string path) =>
        Call(target, path, (t, tn, p, pn) => Vfs.Symlink(t, tn, Vfs.WorkingDirectory, p, pn));
    private protected static long Rename(string from, string to, int flags = 0) =>
        Call(from, to, (a, an, b, bn) => Vfs.Rename(Vfs.WorkingDirectory, a, an, Vfs.WorkingDirectory, b, bn, flags));

    private protected static long Stat(string path, out LinuxStat st, bool follow = true)
    {
        LinuxStat* result = stackalloc LinuxStat[1];
        long error;
        fixed (byte* p = Bytes(path)) error = Vfs.Stat(Vfs.WorkingDirectory, p, path.Length, follow, result);
        st = *result;
        return error;
    }

    private protected static string Cwd()
    {
        byte* buffer = stackalloc byte[4096];
        long n = Vfs.GetWorkingDirectory(buffer, 4096);
        Assert.True(n > 0, $"getcwd: {n}");
        Assert.Equal(0, buffer[n - 1]);
        return Encoding.ASCII.GetString(buffer, (int)n - 1);
    }

    private protected static long Write(OpenFile file, string text)
    {
        fixed (byte* p = Bytes(text)) return file.Write(p, text.Length);
    }

    private protected static string ReadAll(OpenFile file)
    {
        var result = new StringBuilder();
        byte* buffer = stackalloc byte[100];
        while (true)
        {
            long n = file.Read(buffer, 100);
            Assert.True(n >= 0, $"read: {n}");
            if (n == 0) return result.ToString();
            result.Append(Encoding.ASCII.GetString(buffer, (int)n));
        }
    }

    private protected static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text + "\0");

    private protected static long E(long errno) => -errno;
    protected const long ENOENT = Errno.ENOENT, ENOTDIR = Errno.ENOTDIR, EISDIR = Errno.EISDIR, EEXIST = Errno.EEXIST;
    protected const long ENAMETOOLONG = Errno.ENAMETOOLONG, ELOOP = Errno.ELOOP, EROFS = Errno.EROFS, EACCES = Errno.EACCES;
    protected const long ENOTEMPTY = Errno.ENOTEMPTY, EINVAL = Errno.EINVAL, EBUSY = Errno.EBUSY, EXDEV = Errno.EXDEV;
    protected const long EBADF = Errno.EBADF, EMFILE = Errno.EMFILE, EAGAIN = Errno.EAGAIN, EPIPE = Errno.EPIPE;
    protected const long ENOSPC = Errno.ENOSPC, ENOMEM = Errno.ENOMEM, ERANGE = Errno.ERANGE, EPERM = Errno.EPERM, ESPIPE = Errno.ESPIPE;
}
