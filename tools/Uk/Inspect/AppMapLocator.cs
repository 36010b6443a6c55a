namespace Unikernel.Tools.Inspect;

/// <summary>
/// Finds the embedded app's own link map. The image map's <c>app</c> record names the executable as uk-ld was given
/// it (often relative to the directory the link ran in, e.g. the repository root). Its map is <c>&lt;exe&gt;.map</c>
/// next to it, or, for a `dotnet publish` output, in the build's <c>native/</c> folder (next to the publish folder,
/// or under an ArtifactsPath tree). Candidates come in order of preference; the caller keeps the first whose segments
/// match the image's app segments, so a stale or foreign map is never used.
/// </summary>
public static class AppMapLocator
{
    private const int SearchDepth = 6;
    private const int MaxDirectories = 4000;

    /// <summary>Where the executable named by the map may be: as is if absolute; else relative to the current directory,
    /// the image's directory and each directory above it.</summary>
    public static IEnumerable<string> ExecutableCandidates(string appPath, string imagePath, string currentDirectory)
    {
        if (Path.IsPathRooted(appPath))
        {
            yield return Path.GetFullPath(appPath);
            yield break;
        }
        var seen = new HashSet<string>();
        var bases = new List<string> { currentDirectory };
        for (var dir = new FileInfo(Path.GetFullPath(imagePath)).Directory; dir is not null; dir = dir.Parent) bases.Add(dir.FullName);
        foreach (var b in bases)
        {
            string full = Path.GetFullPath(Path.Combine(b, appPath));
            if (seen.Add(full)) yield return full;
        }
    }

    /// <summary>Map files that may belong to the executable at <paramref name="executable"/>, best first; only existing files.</summary>
    public static IEnumerable<string> MapCandidates(string executable)
    {
        string name = Path.GetFileName(executable);
        string? dir = Path.GetDirectoryName(executable);
        var seen = new HashSet<string>();
        IEnumerable<string> Direct()
        {
            yield return executable + ".map";
            if (dir is null) yield break;
            yield return Path.Combine(dir, "native", name + ".map");
            yield return Path.Combine(dir, "..", "native", name + ".map");
        }
        foreach (var candidate in Direct().Select(Path.GetFullPath))
            if (File.Exists(candidate) && seen.Add(candidate)) yield return candidate;
        if (dir is null) yield break;
        // dotnet publish with an ArtifactsPath: <artifacts>/bin/<project>/<pivot>/native/<name>.map, near the publish folder.
        foreach (var root in new[] { dir, Path.GetDirectoryName(dir) }.OfType<string>().Where(Directory.Exists))
            foreach (var found in SearchNativeMaps(root, name + ".map").OrderByDescending(File.GetLastWriteTimeUtc))
                if (seen.Add(Path.GetFullPath(found))) yield return Path.GetFullPath(found);
    }

    private static IEnumerable<string> SearchNativeMaps(string root, string fileName)
    {
        var found = new List<string>();
        var queue = new Queue<(string Dir, int Depth)>();
        queue.Enqueue((root, 0));
        int visited = 0;
        while (queue.Count > 0 && visited++ < MaxDirectories)
        {
            var (dir, depth) = queue.Dequeue();
            if (Path.GetFileName(dir) == "native")
            {
                string candidate = Path.Combine(dir, fileName);
                if (File.Exists(candidate)) found.Add(candidate);
            }
            if (depth >= SearchDepth) continue;
            string[] subdirectories;
            try { subdirectories = Directory.GetDirectories(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var sub in subdirectories)
            {
                string n = Path.GetFileName(sub);
                if (n.StartsWith('.') || n is "node_modules") continue;
                queue.Enqueue((sub, depth + 1));
            }
        }
        return found;
    }
}
