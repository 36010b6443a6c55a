using Unikernel.Boot;
using Unikernel.Linker;
using Unikernel.Linker.Driver;

// uk-cc: NativeAOT's publish calls this in place of gcc/clang. The app's objects and the runtime archives
// it names are linked statically against musl: crt1.o crti.o <inputs> <glibc-compat shim> libc.a crtn.o.
string? shimPath = null;
try
{
    var command = DriverCommandLine.Parse(args);
    string musl = command.MuslDirectory
        ?? (Environment.GetEnvironmentVariable("UK_MUSL_LIBDIR") is { Length: > 0 } dir ? dir : "/usr/lib/x86_64-linux-musl");
    foreach (var file in new[] { "crt1.o", "crti.o", "crtn.o", "libc.a" })
        if (!File.Exists(Path.Combine(musl, file)))
            throw new DriverException($"musl's {file} is not in {musl}: install musl-dev (apt-get install musl-dev), or point " +
                "UnikernelMuslDirectory (MSBuild) or UK_MUSL_LIBDIR at the directory that has it");

    // The shim for the glibc-only symbols of the runtime archives and of Debian's static libraries
    // (docs/native-libraries.md) is generated here, per link.
    shimPath = Path.Combine(Path.GetTempPath(), $"uk-cc-glibc-compat-{Environment.ProcessId}.o");
    File.WriteAllBytes(shimPath, ElfObjectWriter.Write(GlibcCompatShim.Build()));

    var inputs = new List<string> { Path.Combine(musl, "crt1.o"), Path.Combine(musl, "crti.o") };
    inputs.AddRange(command.Inputs);
    inputs.Add(shimPath);
    int libc = inputs.Count;
    inputs.Add(Path.Combine(musl, "libc.a"));
    inputs.Add(Path.Combine(musl, "crtn.o"));

    Linker.LinkToFiles(new LinkOptions
    {
        OutputPath = command.OutputPath,
        MapPath = command.OutputPath + ".map",
        Kind = OutputKind.StaticExecutable,
        BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
        EntrySymbol = LinkOptions.DefaultExecutableEntrySymbol,
        InputPaths = inputs,
        // The runtime archives and libc reference each other both ways: rescan them as one group.
        ArchiveGroups = [new Range(2, libc + 1)],
        GcSections = command.GcSections,
        BuildId = command.BuildId,
        StripSymbols = command.StripSymbols,
        SymbolAliases = command.Aliases,
        StackSize = command.StackSize,
    });
    return 0;
}
catch (DriverException e)
{
    Console.Error.WriteLine("uk-cc: error: " + MessageText.Escape(e.Message));
    return 1;
}
catch (LinkerException e)
{
    Console.Error.WriteLine("uk-ld: error: " + e.Describe());
    return 1;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("uk-cc: error: " + MessageText.Escape(e.Message));
    return 1;
}
finally
{
    if (shimPath is not null) File.Delete(shimPath);
}
