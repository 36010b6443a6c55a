namespace Unikernel.Tools.Deploy;

/// <summary>
/// An instance that is a Linux microVM instead of one of our images (`uk deploy --linux-initrd`, for comparing the same
/// blue/green flow: benchmarks/deploy/deploy-time.sh): a Linux kernel booted with -kernel/-initrd, whose /init runs the
/// app. The app's -e entries reach it the one way Linux has without a file system of its own: as NAME=VALUE words on the
/// kernel command line, which Linux hands to /init's environment (and /init to the app's, as benchmarks/LinuxInit does).
/// </summary>
public static class LinuxGuest
{
    /// <summary>The kernel command line: the -e entries as words, then <paramref name="append"/> as given (which may end in
    /// "-- ARGS" for /init).</summary>
    /// <exception cref="ArgumentException">One line: an entry Linux would not pass to /init's environment unchanged.</exception>
    public static string CommandLine(string append, IReadOnlyList<string> environment)
    {
        var words = new List<string>();
        foreach (string entry in environment)
        {
            int equals = entry.IndexOf('=');
            if (equals <= 0) throw new ArgumentException($"-e {entry}: a Linux guest needs NAME=VALUE (its environment comes from the kernel command line)");
            string name = entry[..equals];
            // Linux takes a word with a dot in its name for a module's parameter and drops it; quotes and spaces split or change words.
            if (name.Contains('.')) throw new ArgumentException($"-e {entry}: Linux drops command-line words whose name has a '.' (a module parameter) instead of passing them to /init");
            if (entry.Any(c => char.IsWhiteSpace(c) || c == '"')) throw new ArgumentException($"-e {entry}: a Linux guest's environment entries cannot hold spaces or '\"' (they are kernel command-line words)");
            words.Add(entry);
        }
        if (append.Trim().Length > 0) words.Add(append.Trim());
        return string.Join(' ', words);
    }
}
