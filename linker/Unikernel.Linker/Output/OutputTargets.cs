namespace Unikernel.Linker.Output;

/// <summary>
/// Checks, before anything is read, that the files a link writes are neither its inputs nor each other. Without it
/// <c>-o a.o</c> with <c>a.o</c> an input replaced the object with the image, and <c>--map X -o X</c> replaced the
/// image with the map. GNU ld refuses both. Two paths name the same file when stat(2) says so (device and inode, so
/// another spelling, a symbolic link or a hard link counts too); files that do not exist yet are compared by full path.
/// </summary>
public static class OutputTargets
{
    public static void Check(LinkOptions options)
    {
        CheckNamed("-o", options.OutputPath);
        if (options.MapPath is { } map)
        {
            CheckNamed("--map", map);
            if (SameFile(map, options.OutputPath))
                throw new LinkerException("--map names the output file (-o) itself: the map would replace the image; " +
                    "choose another map path", file: map);
        }

        if (options.SymbolsFilePath is { } symbols)
        {
            CheckNamed("--symbols-file", symbols);
            if (SameFile(symbols, options.OutputPath) || (options.MapPath is { } mapFile && SameFile(symbols, mapFile)))
                throw new LinkerException("--symbols-file names the output file (-o) or the map (--map): it would replace it; " +
                    "choose another path", file: symbols);
        }

        var inputs = options.InputPaths.Select(path => (Path: path, What: "input"));
        if (options.AppPath is { } app)
            inputs = inputs.Append((app, "app (--app)"));
        foreach (var (input, what) in inputs)
        {
            if (input.Length == 0)
                continue; // reported when the input is read
            if (SameFile(options.OutputPath, input))
                throw new LinkerException($"-o names the {what} '{input}' (the same file): the link would overwrite it; " +
                    "choose another output path", file: options.OutputPath);
            if (options.MapPath is { } mapPath && SameFile(mapPath, input))
                throw new LinkerException($"--map names the {what} '{input}' (the same file): the map would overwrite it; " +
                    "choose another map path", file: mapPath);
            if (options.SymbolsFilePath is { } symbolsPath && SameFile(symbolsPath, input))
                throw new LinkerException($"--symbols-file names the {what} '{input}' (the same file): it would overwrite it; " +
                    "choose another path", file: symbolsPath);
        }
    }

    private static void CheckNamed(string option, string path)
    {
        if (path.Length == 0)
            throw new LinkerException($"{option} names no file (an empty path)");
        if (path.Contains('\0'))
            throw new LinkerException($"{option} path contains a NUL byte", file: path);
    }

    /// <summary>A device or FIFO (<c>-o /dev/null --map /dev/null</c>) is written into, never replaced, so sharing one
    /// loses nothing: only regular files, and paths that do not exist yet, count as the same file.</summary>
    private static bool SameFile(string a, string b)
    {
        var first = FileKind.Identify(a);
        var second = FileKind.Identify(b);
        if (first is { } x && second is { } y)
            return x.IsRegularFile && x.Device == y.Device && x.Inode == y.Inode;
        if (first is null && second is null)
            return FullPath(a) is { } fullA && fullA == FullPath(b);
        return false;
    }

    private static string? FullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception error) when (error is ArgumentException or IOException or NotSupportedException)
        {
            return null;
        }
    }
}
