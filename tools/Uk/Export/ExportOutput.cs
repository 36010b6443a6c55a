namespace Unikernel.Tools.Export;

/// <summary>
/// The files one export writes into its output directory, staged in a hidden directory inside it and moved into place
/// only when all are written: a failure (a full disk, a bad path) leaves the directory as it was, with no half-written
/// file or layout. Files of an earlier export are replaced (Commit).
/// </summary>
public sealed class ExportOutput : IDisposable
{
    private readonly string _directory;
    private readonly string _staging;
    private readonly List<string> _names = [];
    private readonly bool _createdDirectory;

    /// <exception cref="IOException">The directory cannot be created or written.</exception>
    public ExportOutput(string directory)
    {
        _directory = Path.GetFullPath(directory);
        _createdDirectory = !Directory.Exists(_directory);
        Directory.CreateDirectory(_directory);
        _staging = Path.Combine(_directory, $".uk-export.{Environment.ProcessId}.tmp");
        if (Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
        Directory.CreateDirectory(_staging);
    }

    /// <summary>Where <paramref name="name"/> will be once committed (what generated files refer to).</summary>
    public string FinalPath(string name) => Path.Combine(_directory, name);

    public void WriteFile(string name, ReadOnlySpan<byte> contents)
    {
        File.WriteAllBytes(Stage(name), contents);
    }

    public void WriteText(string name, string contents) => File.WriteAllText(Stage(name), contents);

    /// <summary>A directory of files (relative paths with '/').</summary>
    public void WriteTree(string name, IEnumerable<(string Path, byte[] Contents)> files)
    {
        string root = Stage(name);
        foreach (var (path, contents) in files)
        {
            string file = Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, contents);
        }
    }

    /// <summary>
    /// Moves every staged file and directory into place; returns their final paths. What is in the way is checked first:
    /// a file replaces a file, a layout directory replaces an earlier layout (a directory holding `oci-layout`), and
    /// anything else in the way fails the export before a single file moved.
    /// </summary>
    /// <exception cref="IOException">Something that is not an earlier export's is in the way.</exception>
    public IReadOnlyList<string> Commit()
    {
        foreach (string name in _names)
        {
            string to = FinalPath(name);
            bool stagedDirectory = Directory.Exists(Path.Combine(_staging, name));
            if (stagedDirectory ? File.Exists(to) || (Directory.Exists(to) && !File.Exists(Path.Combine(to, "oci-layout"))) : Directory.Exists(to))
                throw new IOException($"{to} is in the way (a {(Directory.Exists(to) ? "directory" : "file")} uk export did not write)");
        }
        var written = new List<string>();
        foreach (string name in _names)
        {
            string from = Path.Combine(_staging, name), to = FinalPath(name);
            if (Directory.Exists(from))
            {
                if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
                Directory.Move(from, to);
            }
            else File.Move(from, to, overwrite: true);
            written.Add(to);
        }
        _names.Clear();
        return written;
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
            // A failed export into a directory it created leaves no empty directory behind either.
            if (_createdDirectory && !Directory.EnumerateFileSystemEntries(_directory).Any()) Directory.Delete(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private string Stage(string name)
    {
        if (name.Contains('/') || name.Contains(Path.DirectorySeparatorChar) || name is "." or "..")
            throw new ArgumentException($"{name}: an output name is one file name");
        _names.Add(name);
        return Path.Combine(_staging, name);
    }
}
