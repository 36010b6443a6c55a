using System.Runtime.InteropServices;
using System.Text;

namespace Unikernel.Linker.Output;

/// <summary>
/// Whether a path names a regular file, and which file it is, from libc's stat(2): .NET's file APIs report a character device such as
/// /dev/null as an ordinary empty file, and renaming an output over it would replace the device node with a file
/// (as root, <c>-o /dev/null</c> would break /dev/null for the whole system). uk-ld is a static musl program when
/// built with NativeAOT (the call binds to libc.a at link time, <c>DirectPInvoke</c> in the project) and a glibc
/// one under the JIT; x86-64's struct stat is the kernel's in both.
/// </summary>
internal static unsafe class FileKind
{
    private const int StatBufferSize = 256;   // struct stat is 144 bytes on x86-64
    private const int DeviceOffset = 0;       // st_dev
    private const int InodeOffset = 8;        // st_ino
    private const int ModeOffset = 24;        // st_mode, after st_dev, st_ino and st_nlink
    private const uint FileTypeMask = 0xf000; // S_IFMT
    private const uint RegularFile = 0x8000;  // S_IFREG

    [DllImport("libc", EntryPoint = "stat")]
    private static extern int Stat(byte* path, byte* buffer);

    /// <summary>True for a regular file (following symbolic links), false for anything else that exists (device,
    /// FIFO, socket, directory), null when the path does not exist or stat cannot be called.</summary>
    public static bool? IsRegularFile(string path) => Identify(path)?.IsRegularFile;

    /// <summary>Which file <paramref name="path"/> names (following symbolic links): two paths name the same file,
    /// whatever their spelling or hard links, when device and inode are equal. Null when the path does not exist or
    /// stat cannot be called.</summary>
    public static FileIdentity? Identify(string path)
    {
        if (!OperatingSystem.IsLinux() || path.Length == 0 || path.Contains('\0'))
            return null;
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        byte* buffer = stackalloc byte[StatBufferSize];
        try
        {
            fixed (byte* pathBytes = name)
            {
                if (Stat(pathBytes, buffer) != 0)
                    return null;
            }
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        uint mode = *(uint*)(buffer + ModeOffset);
        return new FileIdentity(*(ulong*)(buffer + DeviceOffset), *(ulong*)(buffer + InodeOffset),
            (mode & FileTypeMask) == RegularFile);
    }
}

/// <summary>stat(2)'s st_dev and st_ino, and whether the file is a regular one.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, bool IsRegularFile);
