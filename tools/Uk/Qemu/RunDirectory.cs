namespace Unikernel.Tools.Qemu;

/// <summary>
/// A private directory for one `uk run` (mode 0700 under the temporary directory): QEMU's QMP socket and the fw_cfg
/// environment file, which may hold secrets (mode 0600, and deleted as soon as QEMU has read it). Removed when the run
/// ends; `--dry-run` keeps it, since the command it prints reads the file from there.
/// </summary>
public sealed class RunDirectory : IDisposable
{
    private readonly DirectoryInfo _directory;
    private bool _keep;

    private RunDirectory(DirectoryInfo directory) => _directory = directory;

    private const string Prefix = "uk-run-";

    /// <summary>A new directory named after this process; those of runs whose uk is gone (killed) are removed first.</summary>
    public static RunDirectory Create()
    {
        foreach (var stale in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories(Prefix + "*"))
        {
            string[] parts = stale.Name.Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                try { stale.Delete(recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return new(Directory.CreateTempSubdirectory($"{Prefix}{Environment.ProcessId}-"));
    }

    public string PathOf(string name) => Path.Combine(_directory.FullName, name);

    public string WriteSecret(string name, byte[] bytes)
    {
        string path = PathOf(name);
        using (var file = new FileStream(path, new FileStreamOptions
               { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            file.Write(bytes);
        return path;
    }

    public void Keep() => _keep = true;

    /// <summary>
    /// Deletes <paramref name="path"/> once QEMU answers on its QMP socket: QEMU reads -fw_cfg files while it builds the
    /// machine, before its monitor serves anyone. Gives up after a while (the run's end deletes the directory anyway).
    /// </summary>
    public async Task DeleteOnceQemuReadsAsync(string path, string qmpSocket)
    {
        for (int attempt = 0; attempt < 300; attempt++)
        {
            if (await QmpClient.ExecuteAsync(qmpSocket, "query-status", TimeSpan.FromSeconds(1)).ConfigureAwait(false) is null)
            {
                File.Delete(path);
                return;
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (_keep) return;
        try { _directory.Delete(recursive: true); }
        catch (IOException) { }
    }
}
