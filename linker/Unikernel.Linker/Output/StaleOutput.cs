namespace Unikernel.Linker.Output;

/// <summary>
/// An earlier link's output, moved aside and deleted on another thread while this link runs. Deleting a large file
/// takes the kernel milliseconds (it frees every page-cache page of it): 11 ms for the 9.5 MB ASP.NET Core
/// executable here, a tenth of the link, which the final rename over it would otherwise spend on the critical path.
/// lld does the same. Whatever happens next, the old output must go: a successful link replaces it and a failed
/// one deletes it (<see cref="Linker.LinkToFiles"/>), so a reader never mistakes it for this link's.
/// </summary>
public sealed class StaleOutput
{
    private readonly Thread _deletion;

    private StaleOutput(Thread deletion) => _deletion = deletion;

    // Below this, deleting in place costs less than a thread.
    private const long WorthMovingFrom = 1 << 20;

    /// <summary>Moves <paramref name="path"/> aside when it is a large regular file (not a symbolic link, and never a
    /// device, FIFO or socket, which <see cref="FileKind"/> tells apart; these report size 0 besides), and starts
    /// deleting it; null when there is nothing worth doing or it cannot be moved (the rename later replaces it).
    /// Call once every input is open: an input that is the old output itself then stays readable.</summary>
    public static StaleOutput? MoveAside(string path)
    {
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists || file.LinkTarget is not null || file.Length < WorthMovingFrom
                || FileKind.IsRegularFile(path) == false)
                return null;
            string aside = Path.Combine(file.DirectoryName ?? ".", $".{file.Name}.{Environment.ProcessId}.old");
            File.Move(path, aside, overwrite: true);
            var deletion = new Thread(() => AtomicFile.TryDelete(aside)) { IsBackground = true, Name = "uk-ld stale output" };
            deletion.Start();
            return new StaleOutput(deletion);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Wait() => _deletion.Join();
}
