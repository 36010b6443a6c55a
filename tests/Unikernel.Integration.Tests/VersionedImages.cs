using System.Diagnostics;
using System.Text;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Versions of a sample app as separate images, the way an update ships: the same published app relinked by uk-ld with
/// another baked default environment (--env-file, the image's /etc/uk/environ) and app version. The link command is the
/// one the app's publish ran (the SDK keeps it in obj/.../unikernel-image.cmd), with the output, version and env file
/// changed: a second or two, no publish.
/// </summary>
internal static class VersionedImages
{
    public static string CommandFile(string app)
        => Path.Combine(KernelImages.RepositoryRoot, "artifacts", "apps", "build", "obj", app, "release_linux-x64", "unikernel-image.cmd");

    /// <summary>Links <paramref name="app"/> as <paramref name="version"/> into <paramref name="directory"/> with <paramref name="environment"/> baked in.</summary>
    public static Task<string> LinkAsync(string app, string version, IReadOnlyList<string> environment, string directory)
    {
        string envFile = Path.Combine(directory, $"{app}-{version}.env");
        File.WriteAllLines(envFile, environment);
        return RelinkAsync(app, Path.Combine(directory, $"{app}-{version}.img"), version, ["--env-file", envFile]);
    }

    /// <summary>Links <paramref name="app"/> into <paramref name="image"/> as its publish did, with <paramref name="extra"/> uk-ld words added.</summary>
    public static async Task<string> RelinkAsync(string app, string image, string? version, IReadOnlyList<string> extra)
    {
        var words = Words(File.ReadAllText(CommandFile(app)).Trim());
        Replace(words, "-o", image);
        Replace(words, "--map", image + ".map");
        // The publish's side files stay the publish's: this image gets its own.
        if (words.Contains("--symbols-file")) Replace(words, "--symbols-file", image + ".syms");
        if (version != null) Replace(words, "--app-version", version);
        words.AddRange(extra);
        var start = new ProcessStartInfo(words[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string w in words.Skip(1)) start.ArgumentList.Add(w);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"uk-ld for {image} failed ({process.ExitCode}): {output}{await error}");
        return image;
    }

    private static void Replace(List<string> words, string option, string value)
    {
        int at = words.IndexOf(option);
        if (at < 0 || at + 1 >= words.Count) throw new InvalidOperationException($"the link command has no {option}");
        words[at + 1] = value;
    }

    /// <summary>The words of the command as MSBuild wrote it: plain, or in double quotes.</summary>
    private static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char c in command)
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (c == ' ' && !quoted)
            {
                if (any) words.Add(word.ToString());
                word.Clear();
                any = false;
                continue;
            }
            word.Append(c);
            any = true;
        }
        if (any) words.Add(word.ToString());
        return words;
    }
}
