using System.Text.Json;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// Where deployments live: one directory each under <c>--state-dir</c>, else <c>$UK_STATE_DIR</c>, else
/// <c>$XDG_STATE_HOME/uk/deployments</c> (<c>~/.local/state/uk/deployments</c>), holding state.json, the lock file,
/// HAProxy's configuration, pid file and runtime socket, and one directory per instance (QMP socket, pid file, console
/// log). state.json is replaced atomically (written to a temporary file, then renamed over it), so a reader never sees
/// half of it; writers hold the deployment's lock (<see cref="DeploymentLock"/>).
/// </summary>
public sealed class DeploymentStore
{
    public DeploymentStore(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    public static DeploymentStore Default(string? stateDirectory, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(stateDirectory)) return new(stateDirectory);
        if (environment("UK_STATE_DIR") is { Length: > 0 } fromEnvironment) return new(fromEnvironment);
        string stateHome = environment("XDG_STATE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return new(Path.Combine(stateHome, "uk", "deployments"));
    }

    /// <summary>Letters, digits, '-' and '_', starting with a letter or digit, at most 32: a directory name and an HAProxy proxy name.</summary>
    public static string? NameProblem(string name)
        => name.Length is >= 1 and <= 32 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? null
            : $"deployment name '{name}': use 1-32 letters, digits, '-' or '_', starting with a letter or digit";

    public string DirectoryOf(string name) => Path.Combine(Root, name);

    private string StatePath(string name) => Path.Combine(DirectoryOf(name), "state.json");

    public IEnumerable<string> Names()
        => Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Where(d => File.Exists(Path.Combine(d, "state.json"))).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)
            : [];

    /// <summary>The deployment's state, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">state.json cannot be read (one line naming the file).</exception>
    public DeploymentState? Load(string name)
    {
        string path = StatePath(name);
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, DeploymentJsonContext.Default.DeploymentState)
                   ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a deployment state ({e.Message})"); }
    }

    /// <summary>Writes the state next to state.json and renames it over: readers see the old state or the new one, never a mix.</summary>
    public void Save(DeploymentState state)
    {
        string directory = DirectoryOf(state.Name);
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".state.json.{Environment.ProcessId}.tmp");
        using (var stream = new FileStream(temporary, new FileStreamOptions
               { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            JsonSerializer.Serialize(stream, state, DeploymentJsonContext.Default.DeploymentState);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, StatePath(state.Name), overwrite: true);
    }

    public void Delete(string name)
    {
        try { Directory.Delete(DirectoryOf(name), recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
