namespace Unikernel.Linker.Output;

/// <summary>
/// Writes next to the destination and renames, so a reader (QEMU, the build) never sees a half-written
/// image, and a failed link never leaves one behind. A destination that exists and is not a regular file (a
/// device such as /dev/null, a FIFO) is written into instead, as GNU ld does: a rename would replace it.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> contents, bool executable = false)
    {
        if (FileKind.IsRegularFile(path) == false && !Directory.Exists(path))
        {
            WriteInPlace(path, contents);
            return;
        }
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? ".";
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                stream.Write(contents);
            // Like ld: a program is created runnable (rwxr-xr-x before the umask-free rename).
            if (executable && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new LinkerException($"cannot write output: {error.Message}", file: path);
        }
    }

    private static void WriteInPlace(string path, ReadOnlySpan<byte> contents)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(contents);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LinkerException($"cannot write output: {error.Message}", file: path);
        }
    }

    /// <summary>Deletes a regular file or a symbolic link; never a device, FIFO or socket (a failed link with
    /// <c>-o /dev/null</c> must leave /dev/null alone).</summary>
    public static void TryDelete(string path)
    {
        if (FileKind.IsRegularFile(path) == false && !IsSymbolicLink(path))
            return;
        try
        {
            File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the link already failed for a better-explained reason.
        }
    }

    private static bool IsSymbolicLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
