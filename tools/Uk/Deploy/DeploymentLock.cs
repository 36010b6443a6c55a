namespace Unikernel.Tools.Deploy;

/// <summary>
/// One writer per deployment at a time: an exclusive lock on the deployment's <c>lock</c> file (.NET takes flock(2)
/// LOCK_EX for FileShare.None), which the kernel releases when its holder ends however it ends, so a killed uk never
/// leaves a deployment locked. lock.holder names the holder's pid for the message of the one who is turned away (the
/// locked file itself cannot be read: .NET's own readers ask for a shared lock).
/// </summary>
public sealed class DeploymentLock : IDisposable
{
    private readonly FileStream _file;

    private DeploymentLock(FileStream file) => _file = file;

    /// <summary>The lock, or null and <paramref name="holder"/> (its pid, when known) when another uk holds it.</summary>
    public static DeploymentLock? TryTake(string directory, out string holder)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "lock");
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(path + ".holder", Environment.ProcessId + "\n");
            holder = "";
            return new DeploymentLock(file);
        }
        catch (IOException)
        {
            try { holder = "pid " + File.ReadAllText(path + ".holder").Trim(); }
            catch (IOException) { holder = "another uk"; }
            return null;
        }
    }

    public void Dispose() => _file.Dispose();
}
