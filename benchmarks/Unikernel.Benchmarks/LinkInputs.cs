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

        var inputs = Unikernel.Linker.Output.LinkMapInputs.Read(map);
        // uk-cc's shim was a temporary file; crt files are given around the rest below, as uk-cc does.
        var objects = inputs.Objects
            .Where(o => !(o.EndsWith("crt1.o", StringComparison.Ordinal) || o.EndsWith("crti.o", StringComparison.Ordinal)
                          || o.EndsWith("crtn.o", StringComparison.Ordinal)))
            .Select(o => o.Contains("uk-cc-glibc-compat", StringComparison.Ordinal) ? shim : o)
            .ToList();
        var archives = inputs.Archives;

        string[] args =
        [
            "-o", Path.Combine(bench, "uk-bench"), "-s", "-static", "--gc-sections", "--build-id",
            $"{Musl}/crt1.o", $"{Musl}/crti.o", .. objects, "--start-group", .. archives, "--end-group", $"{Musl}/crtn.o",
        ];
        return Unikernel.Linker.CommandLine.Parse(args) ?? throw new InvalidOperationException("uk-ld rejected the derived command line");
    }
}
