using Unikernel.Linker;

namespace Unikernel.Benchmarks;

/// <summary>
/// The link of a published sample, rebuilt from its link map the way benchmarks/link/link-time.sh does:
/// plain objects in order, the archives in first-use order inside one group, musl's crt files around
/// them, and the options link-time.sh gives every linker (-s -static --gc-sections --build-id).
/// </summary>
public static class LinkInputs
{
    private const string Musl = "/usr/lib/x86_64-linux-musl";

    public static LinkOptions Hello(string root)
    {
        string bench = Path.Combine(root, "artifacts", "bench", "link", "hello");
        string map = Path.Combine(bench, "app", "bin", "hello", "release_linux-x64", "native", "hello.map");
        string shim = Path.Combine(bench, "glibc-compat.o");
        if (!File.Exists(map) || !File.Exists(shim))
            throw new FileNotFoundException(
                $"no link map of samples/hello at {map} (or no {shim}): run `bash benchmarks/link/link-time.sh samples/hello` once");

        var objects = new List<string>();
        var archives = new List<string>();
        foreach (var line in File.ReadLines(map))
        {
            var columns = line.Split('\t');
            if (columns.Length < 2 || columns[0] != "file" || columns[1].StartsWith('<'))
                continue;
            string path = columns[1];
            int member = path.IndexOf(".a(", StringComparison.Ordinal);
            if (member >= 0)
            {
                string archive = path[..(member + 2)];
                if (!archives.Contains(archive))
                    archives.Add(archive);
            }
            else if (path.Contains("uk-cc-glibc-compat", StringComparison.Ordinal))
                objects.Add(shim);
            else if (!(path.EndsWith("crt1.o", StringComparison.Ordinal) || path.EndsWith("crti.o", StringComparison.Ordinal)
                       || path.EndsWith("crtn.o", StringComparison.Ordinal)))
                objects.Add(path);
        }

        string[] args =
        [
            "-o", Path.Combine(bench, "uk-bench"), "-s", "-static", "--gc-sections", "--build-id",
            $"{Musl}/crt1.o", $"{Musl}/crti.o", .. objects, "--start-group", .. archives, "--end-group", $"{Musl}/crtn.o",
        ];
        return Unikernel.Linker.CommandLine.Parse(args) ?? throw new InvalidOperationException("uk-ld rejected the derived command line");
    }
}
