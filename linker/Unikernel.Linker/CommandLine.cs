using System.Globalization;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker;

public static class CommandLine
{
    public const string Usage =
        "usage: uk-ld -o OUT [--map MAP] [--symbols-file FILE] [-s] [--base 0x100000] [--entry SYMBOL] [--app STATIC-EXE [--app-name NAME] [--app-version VERSION] [--files MANIFEST] [--files-time SECONDS] [--env-file FILE] [--sbom MANIFEST] [--compress] [--no-pack-files] [--time-zones-if-read]] INPUT.o... | " +
        "uk-ld -static -o OUT [-e _start] [--gc-sections] [--build-id[=fast|sha1|none]] [--defsym NAME=SYMBOL] [-z stack-size=BYTES] [-s] [--print-pass-times] [-L DIR] [-l NAME] " +
        "[--start-group] INPUT.o|LIB.a... [--end-group]; either form: [--unit NAME [--export SYMBOL]... INPUTS...]...";

    /// <summary>Returns null when the user only asked for help.</summary>
    public static LinkOptions? Parse(IReadOnlyList<string> args)
    {
        string? output = null;
        string? map = null;
        string? symbolsFile = null;
        ulong? baseAddress = null;
        string? entry = null;
        string? app = null, appName = null, appVersion = null, files = null, sbom = null, environmentFile = null;
        bool staticExecutable = false, gcSections = false;
        uint? filesTime = null;
        var buildId = BuildIdKind.None;
        var inputs = new List<string>();
        // -l NAME is resolved after all -L options are known: like ld, every -L applies to every -l.
        var libraries = new List<(int Index, string Name)>();
        var searchDirectories = new List<string>();
        var groups = new List<Range>();
        var aliases = new List<(string, string)>();
        bool printPassTimes = false, stripSymbols = false;
        bool? compress = null;
        bool packFiles = true;
        bool timeZonesIfRead = false;
        ulong? stackSize = null;
        int? groupStart = null;
        // --unit NAME: the inputs that follow (to the next --unit) form a link unit; --export applies to the
        // current unit, which before any --unit is the implicit one.
        var units = new List<(string Name, int FirstInput, List<string> Exports)>();
        var implicitExports = new List<string>();

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    return null;
                case "-o":
                    output = ValueOf(args, ref i);
                    break;
                case "--map" or "-Map":
                    map = ValueOf(args, ref i);
                    break;
                case "--symbols-file":
                    symbolsFile = ValueOf(args, ref i);
                    break;
                case "--base" or "-Ttext-segment":
                    baseAddress = ParseAddress(ValueOf(args, ref i));
                    break;
                case "--entry" or "-e":
                    entry = ValueOf(args, ref i);
                    break;
                case "--app":
                    if (app is not null)
                        throw new LinkerException("--app given twice: an image holds one app");
                    app = ValueOf(args, ref i);
                    break;
                case "--app-name":
                    appName = ValueOf(args, ref i);
                    break;
                case "--app-version":
                    appVersion = ValueOf(args, ref i);
                    break;
                case "--files":
                    files = ValueOf(args, ref i);
                    break;
                case "--sbom":
                    sbom = ValueOf(args, ref i);
                    break;
                case "--env-file":
                    environmentFile = ValueOf(args, ref i);
                    break;
                case "--files-time":
                {
                    string value = ValueOf(args, ref i);
                    if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint seconds))
                        throw new LinkerException($"--files-time '{value}' is not a number of seconds since 1970 (0 to {uint.MaxValue})");
                    filesTime = seconds;
                    break;
                }
                case "-static" or "--static" or "--static-exe" or "-Bstatic":
                    staticExecutable = true;
                    break;
                case "--eh-frame-hdr":
                    break; // executables always get .eh_frame_hdr; accepted for ld command-line compatibility
                case "--gc-sections":
                    gcSections = true;
                    break;
                case "--no-gc-sections":
                    gcSections = false;
                    break;
                case "--build-id" or "--build-id=fast":
                    buildId = BuildIdKind.Fast;
                    break;
                case "--build-id=sha1":
                    buildId = BuildIdKind.Sha1;
                    break;
                case "--build-id=none":
                    buildId = BuildIdKind.None;
                    break;
                case "-s" or "--strip-all":
                    stripSymbols = true;
                    break;
                case "--no-compress":
                    compress = false;
                    break;
                case "--compress":
                    compress = true;
                    break;
                case "--no-pack-files":
                    packFiles = false;
                    break;
                case "--pack-files":
                    packFiles = true;
                    break;
                case "--time-zones-if-read":
                    timeZonesIfRead = true;
                    break;
                case "--print-pass-times":
                    printPassTimes = true;
                    break;
                case "--defsym":
                    aliases.Add(ParseAlias(ValueOf(args, ref i)));
                    break;
                case "-z":
                    stackSize = ParseZKeyword(ValueOf(args, ref i));
                    break;
                case "-L":
                    searchDirectories.Add(ValueOf(args, ref i));
                    break;
                case "-l":
                    libraries.Add((inputs.Count, ValueOf(args, ref i)));
                    inputs.Add("");
                    break;
                case "--unit":
                {
                    string name = ValueOf(args, ref i);
                    CheckUnitName(name);
                    if (units.Exists(unit => unit.Name == name))
                        throw new LinkerException($"unit '{name}' is declared twice");
                    if (groupStart is not null)
                        throw new LinkerException($"--unit {name} inside --start-group/--end-group");
                    units.Add((name, inputs.Count, []));
                    break;
                }
                case "--export":
                {
                    string symbol = ValueOf(args, ref i);
                    var exports = units.Count == 0 ? implicitExports : units[^1].Exports;
                    if (!exports.Contains(symbol))
                        exports.Add(symbol);
                    break;
                }
                case "--start-group" or "-(":
                    if (groupStart is not null)
                        throw new LinkerException("nested --start-group");
                    groupStart = inputs.Count;
                    break;
                case "--end-group" or "-)":
                    if (groupStart is not { } start)
                        throw new LinkerException("--end-group without --start-group");
                    groups.Add(start..inputs.Count);
                    groupStart = null;
                    break;
                default:
                    if (arg.StartsWith("-L", StringComparison.Ordinal) && arg.Length > 2)
                    {
                        searchDirectories.Add(arg[2..]);
                        break;
                    }
                    if (arg.StartsWith("-l", StringComparison.Ordinal) && arg.Length > 2)
                    {
                        libraries.Add((inputs.Count, arg[2..]));
                        inputs.Add("");
                        break;
                    }
                    if (arg.StartsWith("-z", StringComparison.Ordinal) && arg.Length > 2)
                    {
                        stackSize = ParseZKeyword(arg[2..]);
                        break;
                    }
                    if (arg.StartsWith("--entry=", StringComparison.Ordinal))
                    {
                        entry = arg["--entry=".Length..];
                        break;
                    }
                    if (arg.StartsWith('-') && arg.Length > 1)
                        throw new LinkerException($"unknown option '{arg}'; {Usage}");
                    inputs.Add(arg);
                    break;
            }
        }

        if (groupStart is not null)
            throw new LinkerException("--start-group without --end-group");
        if (output is null)
            throw new LinkerException($"no output file given (-o); {Usage}");
        if (inputs.Count == 0)
            throw new LinkerException($"no input files; {Usage}");
        foreach (var (index, name) in libraries)
            inputs[index] = FindLibrary(name, searchDirectories);

        ulong address = baseAddress ?? (staticExecutable ? LinkOptions.DefaultExecutableBaseAddress : LinkOptions.DefaultBaseAddress);
        if (address % Layout.SectionLayout.PageSize != 0)
            throw new LinkerException($"--base 0x{address:x} is not 4 KiB aligned");
        if (!staticExecutable && (gcSections || buildId != BuildIdKind.None || libraries.Count != 0 || groups.Count != 0))
            throw new LinkerException("--gc-sections, --build-id, -l and groups need -static (static executable mode)");
        if (!staticExecutable && stackSize is not null)
            throw new LinkerException("-z stack-size needs -static: it sizes the threads libc creates in a static " +
                "executable (PT_GNU_STACK), and a kernel image has no libc threads (the kernel sizes its own stacks)");
        if (staticExecutable && symbolsFile is not null)
            throw new LinkerException("--symbols-file writes a kernel image's function table (uk_ksyms) beside it; a static executable has none (its names are in .symtab)");
        if (staticExecutable && app is not null)
            throw new LinkerException("--app puts an app into a kernel image; it cannot be used with -static");
        if (app is null && (appName is not null || appVersion is not null))
            throw new LinkerException("--app-name and --app-version describe the app of --app; give --app FILE too");
        if (app is null && environmentFile is not null)
            throw new LinkerException("--env-file sets the environment of the app of --app; give --app FILE too");
        if (app is null && (files is not null || filesTime is not null))
            throw new LinkerException("--files puts files into the image's file system, which an image has with an app; give --app FILE too");
        if (app is null && compress == true)
            throw new LinkerException("--compress compresses the app's segments and the image's tables, which an image has with an app; give --app FILE too");
        if (app is null && sbom is not null)
            throw new LinkerException("--sbom describes an image's app and is tied to uk_image_info's hash, which an image has with an app; give --app FILE too");

        return new LinkOptions
        {
            OutputPath = output,
            MapPath = map,
            SymbolsFilePath = symbolsFile,
            Kind = staticExecutable ? OutputKind.StaticExecutable : OutputKind.Kernel,
            BaseAddress = address,
            EntrySymbol = entry ?? (staticExecutable ? LinkOptions.DefaultExecutableEntrySymbol : LinkOptions.DefaultEntrySymbol),
            InputPaths = inputs,
            ArchiveGroups = groups,
            Units = BuildUnits(units, implicitExports),
            SymbolAliases = aliases,
            PrintPassTimes = printPassTimes,
            StripSymbols = stripSymbols,
            GcSections = gcSections,
            BuildId = buildId,
            AppPath = app,
            AppName = appName,
            AppVersion = appVersion,
            FilesManifestPath = files,
            FilesTime = filesTime ?? 0,
            SbomManifestPath = sbom,
            EnvironmentFilePath = environmentFile,
            StackSize = stackSize ?? 0,
            Compress = app is not null && (compress ?? false),
            PackFiles = packFiles,
            TimeZonesIfRead = timeZonesIfRead,
        };
    }

    /// <summary>No units and no exports: today's single implicit unit (empty list). Otherwise the implicit unit
    /// comes first when inputs or exports precede the first --unit.</summary>
    private static List<Model.LinkUnit> BuildUnits(List<(string Name, int FirstInput, List<string> Exports)> named,
        List<string> implicitExports)
    {
        var result = new List<Model.LinkUnit>();
        if (named.Count == 0 && implicitExports.Count == 0)
            return result;
        if (named.Count == 0 || named[0].FirstInput > 0 || implicitExports.Count != 0)
            result.Add(new Model.LinkUnit(Model.LinkUnit.ImplicitName, 0, 0, implicitExports, isImplicit: true));
        foreach (var (name, firstInput, exports) in named)
            result.Add(new Model.LinkUnit(name, result.Count, firstInput, exports));
        return result;
    }

    /// <summary>Unit names appear in qualified symbol names (<c>kernel:Foo</c>) and map columns, so they are
    /// plain words: letters, digits, <c>_ . -</c>; <c>default</c> is the implicit unit's.</summary>
    private static void CheckUnitName(string name)
    {
        bool plain = name.Length != 0 && name[0] != '-'
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
        if (!plain)
            throw new LinkerException($"invalid unit name '{name}' (letters, digits, '_', '.', '-')");
        if (name == Model.LinkUnit.ImplicitName)
            throw new LinkerException($"unit name '{name}' is reserved for the inputs before the first --unit");
    }

    /// <summary>
    /// <c>-z KEYWORD</c> / <c>-zKEYWORD</c>. GNU ld has many keywords; the one a static musl executable needs is
    /// <c>stack-size=BYTES</c>, which becomes PT_GNU_STACK's p_memsz (musl's default stack size for new threads).
    /// Any other keyword is an error rather than silently ignored, since uk-ld would not act on it (uk-cc, which
    /// reads NativeAOT's command line, drops the ones that mean nothing for a static executable).
    /// </summary>
    private static ulong ParseZKeyword(string keyword)
    {
        const string StackSize = "stack-size=";
        if (keyword == "stack-size")
            throw new LinkerException("-z stack-size needs a value: -z stack-size=BYTES");
        if (!keyword.StartsWith(StackSize, StringComparison.Ordinal))
            throw new LinkerException($"unsupported -z keyword '{keyword}' (uk-ld knows -z stack-size=BYTES)");
        string value = keyword[StackSize.Length..];
        if (!TryParseSize(value, out ulong size))
            throw new LinkerException($"invalid -z stack-size value '{value}' (expected a byte count, decimal or 0x hex)");
        return size;
    }

    /// <summary>
    /// A size as GNU ld's <c>-z stack-size</c> reads it, minus octal: decimal digits, or <c>0x</c>/<c>0X</c> and
    /// hex digits, no sign, no spaces, fitting 64 bits. A decimal with a leading zero (<c>010</c>) is refused:
    /// GNU ld would read it as octal, and a silent difference is worse than an error.
    /// </summary>
    public static bool TryParseSize(string text, out ulong value)
    {
        value = 0;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (text.Length > 1 && text[0] == '0')
            return false;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static (string, string) ParseAlias(string definition)
    {
        int equals = definition.IndexOf('=');
        if (equals <= 0 || equals == definition.Length - 1)
            throw new LinkerException($"malformed --defsym '{definition}' (expected NAME=SYMBOL)");
        return (definition[..equals], definition[(equals + 1)..]);
    }

    /// <summary>Static links only look for <c>libNAME.a</c>; <c>-l:file</c> names the file itself.</summary>
    private static string FindLibrary(string name, List<string> directories)
    {
        string fileName = name.StartsWith(':') ? name[1..] : $"lib{name}.a";
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, fileName);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new LinkerException($"cannot find library {fileName} (-l{name}) in the -L directories");
    }

    private static string ValueOf(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
            throw new LinkerException($"option '{args[i]}' needs a value; {Usage}");
        return args[++i];
    }

    private static ulong ParseAddress(string text)
    {
        bool parsed = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!parsed)
            throw new LinkerException($"invalid address '{text}'");
        return value;
    }
}
