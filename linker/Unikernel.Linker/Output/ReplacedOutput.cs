using Microsoft.Win32.SafeHandles;

namespace Unikernel.Linker.Output;

/// <summary>
/// The previous output of a link, held open while the link runs so that freeing it costs the link nothing on its
/// critical path, and never touched otherwise. The rename that puts the new output in place takes the old file's last
/// name; the kernel then frees its page-cache pages when the last open handle goes (11 ms for the 9.5 MB ASP.NET Core
/// executable here, a tenth of the link), and that handle is closed on a background thread while the map is written.
/// Nothing is moved aside or deleted before the new output is in place, so a link that fails, or crashes, leaves the
/// previous output exactly as it was.
/// </summary>
public sealed class ReplacedOutput : IDisposable
{
    private readonly SafeFileHandle _handle;
    private Thread? _release;

    private ReplacedOutput(SafeFileHandle handle) => _handle = handle;

    // Below this, freeing the file costs less than a thread.
    private const long WorthHoldingFrom = 1 << 20;

    /// <summary>Opens <paramref name="path"/> for reading when it is a large regular file (not a symbolic link, which the
    /// rename replaces without freeing its target; never a device or FIFO, which <see cref="FileKind"/> tells apart);
    /// null when there is nothing worth holding.</summary>
    public static ReplacedOutput? Hold(string path)
    {
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists || file.LinkTarget is not null || file.Length < WorthHoldingFrom || FileKind.IsRegularFile(path) != true)
                return null;
            return new ReplacedOutput(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>After the new output took the path: the old file's pages are freed on another thread.</summary>
    public void ReleaseInBackground()
    {
        if (_release is not null)
            return;
        _release = new Thread(_handle.Dispose) { IsBackground = true, Name = "uk-ld replaced output" };
        _release.Start();
    }

    /// <summary>Waits for the release, or (the link failed: the old output is still in place) just closes the handle.</summary>
    public void Dispose()
    {
        if (_release is not null)
            _release.Join();
        else
            _handle.Dispose();
    }
}
