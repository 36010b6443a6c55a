using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker.Driver;

/// <summary>
/// Reads the gcc-style command line NativeAOT's LinkNative target writes (Microsoft.NETCore.Native.targets
/// and .Unix.targets) and decides what our static link needs from it. Flags that only matter to a
/// dynamic link or to debug info are accepted and ignored; anything that asks for a kind of output we do
/// not make (shared library, PIE) is an error naming the flag and the MSBuild property to change.
/// </summary>
public sealed record DriverCommandLine
{
    public required string OutputPath { get; init; }
    /// <summary>The app's objects and the runtime's archives, in command-line order.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }
    public bool GcSections { get; init; }
    public BuildIdKind BuildId { get; init; }
    /// <summary>-s or -Wl,--strip-all: no symbol table in the output.</summary>
    public bool StripSymbols { get; init; }
    /// <summary>-Wl,--defsym,NAME=TARGET pairs.</summary>
    public IReadOnlyList<(string Name, string Target)> Aliases { get; init; } = [];
    /// <summary>-Wl,-z,stack-size=BYTES (NativeAOT's IlcDefaultStackSize): the default stack size of the threads
    /// musl creates, passed to uk-ld as -z stack-size. 0 when not given.</summary>
    public ulong StackSize { get; init; }
    /// <summary>--uk-musl-dir=DIR (Unikernel's targets pass UnikernelMuslDirectory): where musl's crt objects and
    /// libc.a are. Null: the UK_MUSL_LIBDIR environment variable, else Debian's musl-dev directory.</summary>
    public string? MuslDirectory { get; init; }

    // -z keywords that change nothing in a static, non-PIE executable, accepted and ignored: relro/norelro and
    // now/lazy (NativeAOT always passes -z relro -z now) concern the dynamic loader's relocation processing and
    // there is neither a loader nor dynamic relocations; noexecstack is what uk-ld always writes. Any other
    // keyword (execstack, max-page-size=, ...) asks for something uk-ld does not do and is an error.
    private static readonly HashSet<string> IgnoredZKeywords = ["relro", "norelro", "now", "lazy", "noexecstack"];

    // System libraries NativeAOT asks for: on musl all of them are part of libc.a, which is always linked.
    private static readonly HashSet<string> LibcParts = ["c", "dl", "rt", "m", "pthread", "util", "stdc++"];

    public static DriverCommandLine Parse(IReadOnlyList<string> args)
    {
        string? output = null;
        var inputs = new List<string>();
        var aliases = new List<(string, string)>();
        bool gc = false, isStatic = false, strip = false;
        var buildId = BuildIdKind.None;
        ulong stackSize = 0;
        string? musl = null;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "-o") { output = Next(args, ref i, a); continue; }
            if (a.StartsWith("--uk-musl-dir=", StringComparison.Ordinal)) { musl = a["--uk-musl-dir=".Length..]; continue; }
            if (a.StartsWith("-Wl,", StringComparison.Ordinal))
            {
                string[] parts = a[4..].Split(',');
                for (int p = 0; p < parts.Length; p++)
                {
                    string w = parts[p];
                    if (w == "--gc-sections") gc = true;
                    else if (w is "-s" or "--strip-all") strip = true;
                    else if (w.StartsWith("--build-id", StringComparison.Ordinal)) buildId = w switch
                    {
                        "--build-id" or "--build-id=fast" => BuildIdKind.Fast,
                        "--build-id=sha1" => BuildIdKind.Sha1,
                        "--build-id=none" => BuildIdKind.None,
                        _ => throw new DriverException($"unsupported build id style '-Wl,{w}' (in '{a}'): use fast, sha1 or none"),
                    };
                    else if (w == "--defsym" && p + 1 < parts.Length) aliases.Add(Alias(parts[++p]));
                    else if (w.StartsWith("--defsym=", StringComparison.Ordinal)) aliases.Add(Alias(w["--defsym=".Length..]));
                    else if (w == "-z" && p + 1 < parts.Length) ZKeyword(parts[++p], a, ref stackSize);
                    else if (w.StartsWith("-z", StringComparison.Ordinal) && w.Length > 2) ZKeyword(w[2..], a, ref stackSize);
                    else if (w is "-pie" or "-shared") throw Unsupported(a, "PositionIndependentExecutable=false and StaticExecutable=true");
                    else if (w is "--eh-frame-hdr" or "--discard-all" or "--strip-debug" or "--as-needed" or "--export-dynamic" or "-no-pie" or "-Bstatic" or "-Bdynamic"
                             || w.StartsWith("--version-script", StringComparison.Ordinal)) { }
                    else throw new DriverException($"unsupported linker flag '-Wl,{w}' (in '{a}')");
                }
                continue;
            }
            if (a.StartsWith("-l", StringComparison.Ordinal) && a.Length > 2)
            {
                if (!LibcParts.Contains(a[2..])) throw new DriverException($"library '{a}' is not available for static musl apps (only libc's parts are)");
                continue;
            }
            switch (a)
            {
                case "-static": isStatic = true; continue;
                case "-s": strip = true; continue;
                case "-shared" or "-pie" or "-static-pie": throw Unsupported(a, "PositionIndependentExecutable=false and StaticExecutable=true");
                case "-g" or "-pthread" or "-rdynamic": continue;
            }
            if (a.StartsWith("-gz", StringComparison.Ordinal) || a.StartsWith("-fuse-ld=", StringComparison.Ordinal)
                || a.StartsWith("--target=", StringComparison.Ordinal)) continue;
            if (a.StartsWith('-')) throw new DriverException($"unsupported option '{a}'");
            inputs.Add(a);
        }
        if (output is null) throw new DriverException("no output file (-o)");
        if (output.Length == 0) throw new DriverException("-o names no file (an empty path)");
        if (!isStatic) throw Unsupported("(no -static)", "StaticExecutable=true and PositionIndependentExecutable=false");
        if (inputs.Count == 0) throw new DriverException("no input files");
        return new DriverCommandLine { OutputPath = output, Inputs = inputs, GcSections = gc, BuildId = buildId, StripSymbols = strip, Aliases = aliases, StackSize = stackSize, MuslDirectory = musl is { Length: > 0 } ? musl : null };
    }

    private static string Next(IReadOnlyList<string> args, ref int i, string flag)
        => ++i < args.Count ? args[i] : throw new DriverException($"'{flag}' needs a value");

    private static void ZKeyword(string keyword, string arg, ref ulong stackSize)
    {
        const string StackSize = "stack-size=";
        if (keyword.StartsWith(StackSize, StringComparison.Ordinal))
        {
            string value = keyword[StackSize.Length..];
            if (!Unikernel.Linker.CommandLine.TryParseSize(value, out stackSize))
                throw new DriverException($"invalid -z stack-size value '{value}' in '{arg}' (expected a byte count, decimal or 0x hex)");
        }
        else if (!IgnoredZKeywords.Contains(keyword))
            throw new DriverException($"unsupported linker flag '-z {keyword}' (in '{arg}')");
    }

    private static (string, string) Alias(string definition)
    {
        int eq = definition.IndexOf('=');
        if (eq <= 0 || eq == definition.Length - 1) throw new DriverException($"malformed --defsym '{definition}' (expected NAME=SYMBOL)");
        return (definition[..eq], definition[(eq + 1)..]);
    }

    private static DriverException Unsupported(string flag, string properties)
        => new($"'{flag}': uk-cc links fully static executables only; set the MSBuild properties {properties} (Unikernel's targets do)");
}

public sealed class DriverException(string message) : Exception(message);
