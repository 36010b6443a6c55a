using System.Text;
using Unikernel.Formats;
using Unikernel.Linker.Input;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Output;
using Unikernel.Linker.Relocations;
using Unikernel.Linker.Resolution;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker;

/// <summary>The image, and the link map made on first use: most links (no --map) never ask for it, and writing
/// it is a walk over every symbol.</summary>
public sealed class LinkResult(byte[] image, Func<string> map, ulong entryAddress, byte[]? functionTable = null)
{
    /// <summary>With --symbols-file: the uk_ksyms table that is not in the image.</summary>
    public byte[]? FunctionTable { get; } = functionTable;

    private string? _map;

    public byte[] Image { get; } = image;
    public string Map => _map ??= map();
    public ulong EntryAddress { get; } = entryAddress;
}

/// <summary>
/// The link as one list of named passes, in the order they run, each guarded by the kind of output it serves: a kernel
/// image (boot.o + kernel.o), a kernel image carrying an app (--app: the app is not linked, only checked and carried,
/// its segments keeping their addresses and bytes), or a static Linux executable (TLS, unwind tables, optional garbage
/// collection and build id). Each pass only reads what earlier ones left in the <see cref="LinkContext"/>; the names
/// are what --print-pass-times prints.
/// </summary>
public static class Linker
{
    public static LinkResult Link(LinkOptions options)
    {
        if (options.Kind == OutputKind.Kernel && options.StackSize != 0)
            throw new LinkerException("a stack size (-z stack-size) is for static executables; a kernel image has no PT_GNU_STACK");
        var link = new LinkContext(options);
        var times = new PassTimes(options.PrintPassTimes);
        void Run(string pass, Action<LinkContext> body)
        {
            body(link);
            times.Mark(pass);
        }
        bool executable = link.IsExecutable, kernel = !executable, withApp = link.HasApp;

        Run("read", ReadInputs);
        Run("resolve", ResolveSymbols);
        if (withApp) Run("read app", ReadApp);
        // An executable's entry roots the collector, so it is found first; a kernel's after the relocation scan, so
        // that a kernel link reports a broken input before a missing entry.
        if (executable) Run("entry", FindEntry);
        if (executable) Run("unwind tables", ParseUnwindTables);
        if (executable && options.GcSections) Run("gc-sections", CollectGarbage);
        if (executable) Run("drop dead FDEs", DropDeadFrames);
        if (kernel && options.StripSymbols) Run("drop kernel unwind tables", DropKernelUnwindTables);
        Run("synthetic sections", CreateSyntheticSections);
        if (withApp) Run("image info", CreateImageInfo);
        if (withApp) Run("image files", CreateImageFiles);
        Run("layout", BuildLayout);
        Run("linker symbols", DefineLinkerSymbols);
        Run("relocation scan", ScanRelocations);
        if (kernel) Run("entry", FindEntry);
        Run("addresses", AssignAddresses);
        Run("write image", WriteImage);
        Run("relocate", Relocate);
        if (executable && options.BuildId != BuildIdKind.None) Run("build id", StampBuildId);
        if (withApp) Run("image hash", StampImageHash);
        if (withApp && options.Compress) Run("compress", CompressPayload);
        if (withApp && options.SbomManifestPath is not null) Run("sbom", AddSbom);
        times.Print(Console.Error);

        ulong entryAddress = link.Entry.Address;
        return new LinkResult(link.Image, () => LinkMapWriter.Write(link.Layout, link.Files, link.Symbols,
            options.EntrySymbol, entryAddress, link.App, link.ImageInfoContents), entryAddress, link.KernelSymbols?.Beside);
    }

    /// <summary>The command line's objects, and the archive members they need (per link unit).</summary>
    private static void ReadInputs(LinkContext link)
    {
        link.Units = LinkUnit.Of(link.Options);
        link.Files = InputLoader.Load(link.Options, link.Units);
    }

    /// <summary>COMDAT copies dropped first (their definitions must not compete), then each unit's namespace, then
    /// the units bound to each other's exports.</summary>
    private static void ResolveSymbols(LinkContext link)
    {
        ComdatGroupFilter.Apply(link.Files);
        link.Symbols = SymbolResolver.Resolve(link.Files, link.Units);
        UnitExports.Bind(link.Files, link.Symbols);
    }

    private static void ReadApp(LinkContext link) => link.App = AppExecutable.Read(link.Options.AppPath!);

    private static void FindEntry(LinkContext link) => link.Entry = LookUpEntry(link.Symbols, link.Options.EntrySymbol);

    /// <summary>Unwind records come before liveness: they decide what the collector may follow.</summary>
    private static void ParseUnwindTables(LinkContext link) => link.Frames = EhFrameSections.Parse(link.Files);

    private static void CollectGarbage(LinkContext link) =>
        GarbageCollector.Run(link.Files, link.Symbols, link.Entry, link.Frames!);

    private static void DropDeadFrames(LinkContext link) => link.Frames!.DropDeadEntries();

    /// <summary>The linker's own sections whose size is known now, in the order the layout meets them.</summary>
    private static void CreateSyntheticSections(LinkContext link)
    {
        if (!link.IsExecutable)
        {
            link.KernelSymbols = KernelSymbolTable.Collect(link.Files, link.App, beside: link.Options.SymbolsFilePath is not null);
            link.Synthetic.Add(link.KernelSymbols.Section);
        }
        link.Got = new GlobalOffsetTable();
        link.Synthetic.Add(link.Got.Section);
        if (link.IsExecutable)
        {
            link.EhFrameHeader = new EhFrameHeader(link.Frames!);
            link.Synthetic.Add(link.EhFrameHeader.Section);
            if (link.Options.BuildId != BuildIdKind.None)
            {
                link.BuildIdNote = BuildId.CreateSection(link.Options.BuildId);
                link.Synthetic.Add(link.BuildIdNote);
            }
        }
        if (CommonSymbolAllocator.Allocate(link.Symbols) is { } common)
            link.Synthetic.Add(common);
    }

    /// <summary>uk_image_info for an image with an app: its name and version, and every input of the link by name,
    /// size and SHA-256 (the app last); the image's own hash is stamped once the image is written.</summary>
    private static void CreateImageInfo(LinkContext link)
    {
        var options = link.Options;
        var app = link.App!;
        var inputs = options.InputPaths.Select(path => (path, ImageInfo.InputKindLinked)).ToList();
        inputs.Add((app.Path, ImageInfo.InputKindApp));
        link.ImageInfoSection = ImageInfo.CreateSection(options.AppName ?? Path.GetFileName(app.Path),
            options.AppVersion ?? ImageInfo.UnknownVersion, inputs);
        link.Synthetic.Add(link.ImageInfoSection);
    }

    /// <summary>
    /// With -s, a kernel image leaves out its inputs' <c>.eh_frame</c> (56 KB of hello's kernel) and ILC's
    /// <c>.dotnet_eh_table</c> (22 KB: the exception clauses its FDEs point to, and nothing else does): the kernel never
    /// unwinds through DWARF (its stack traces follow frame pointers and name functions from uk_ksyms) and throws no
    /// exceptions, so only a debugger reads them, and -s is the image without what debuggers need. An embedded app is
    /// copied as it is, so the app keeps its own.
    /// </summary>
    private static void DropKernelUnwindTables(LinkContext link)
    {
        foreach (var file in link.Files)
            foreach (var section in file.Sections)
                if (section is { Name: EhFrameSections.SectionName or DotnetExceptionTable }) section.IsLive = false;
    }

    private const string DotnetExceptionTable = ".dotnet_eh_table";

    /// <summary>uk_files: the app's executable at /app/NAME and the files of --files, for the kernel to mount; with
    /// --time-zones-if-read, without the zone files when the app cannot read them (Synthetic/TimeZoneFiles.cs).</summary>
    private static void CreateImageFiles(LinkContext link)
    {
        Func<string, bool>? leaveOut = link.Options.TimeZonesIfRead && !TimeZoneFiles.AppCanRead(link.App!) ? TimeZoneFiles.IsZoneFile : null;
        link.Synthetic.Add(ImageFiles.CreateSection(link.App!.Path, link.Options.FilesManifestPath, link.Options.FilesTime,
            link.Options.EnvironmentFilePath, link.Options.PackFiles, leaveOut, out int leftOut, out var paths));
        link.ImageFilePaths = paths;
        if (leftOut > 0)
            Console.Out.WriteLine($"uk-ld: {leftOut} time zone files left out of the image: the app's code reads no time zones " +
                "(it has neither TimeZoneInfo nor musl's tzset); UnikernelTimeZones=all keeps them");
    }

    /// <summary>Output sections, by the linker script (as code) of the kind of output.</summary>
    private static void BuildLayout(LinkContext link)
    {
        if (link.IsExecutable)
        {
            link.Layout = SectionLayout.Build(link.Files, link.Synthetic, ExecutableSectionClassifier.Classify,
                ExecutableSectionClassifier.SegmentOrder);
            ExecutableSectionClassifier.OrderByInitPriority(link.Layout);
        }
        else if (link.HasApp)
            link.Layout = SectionLayout.Build(link.Files, link.Synthetic, SectionClassifier.ClassifyWithApp,
                SectionLayout.KernelWithAppSegmentOrder);
        else
            link.Layout = SectionLayout.Build(link.Files, link.Synthetic);
    }

    /// <summary>Linker-defined names need the output sections, and the relocation scan needs the names.</summary>
    private static void DefineLinkerSymbols(LinkContext link) =>
        link.LinkerSymbols = link.IsExecutable
            ? LinkerDefinedSymbols.DefineForExecutable(link.Symbols, link.Layout, link.Got, link.Options.SymbolAliases)
            : LinkerDefinedSymbols.Define(link.Symbols, link.Layout, link.App, link.Options.Compress);

    /// <summary>Relocations checked and GOT slots handed out; a GOT without slots leaves the layout (an executable
    /// keeps it when <c>_GLOBAL_OFFSET_TABLE_</c> is referenced).</summary>
    private static void ScanRelocations(LinkContext link)
    {
        RelocationScanner.Scan(link.Files, link.Got, allowTls: link.IsExecutable);
        if (link.Got.SlotCount == 0 && !(link.IsExecutable && link.Got.IsReferenced))
            link.Layout.Remove(link.Got.Section);
    }

    /// <summary>Addresses, then every value that depends on them: linker symbols and the synthetic sections'
    /// bytes.</summary>
    private static void AssignAddresses(LinkContext link)
    {
        var layout = link.Layout;
        if (link.IsExecutable)
        {
            TlsLayout.AlignBlock(layout);
            int extraHeaders = ExecutableProgramHeaders.Count(layout);
            layout.AssignAddresses(link.Options.BaseAddress, ElfImageWriter.HeaderBytes(layout, extraHeaders),
                mapHeaders: true);
            link.Tls = TlsLayout.Compute(layout);
        }
        else
        {
            // The compress pass adds the payload's PT_LOAD: its header's room is reserved now, so that the kernel's
            // segments lie where they lie without compression.
            int appHeaders = (link.App?.Segments.Count ?? 0) + (link.HasApp && link.Options.Compress ? 1 : 0);
            layout.AssignAddresses(link.Options.BaseAddress, ElfImageWriter.HeaderBytes(layout, appHeaders));
            // With the kernel in [1 MiB, 4 MiB) and the app's segments checked to lie in [4 MiB, 2 GiB), they cannot
            // overlap.
            KernelAddressSpace.CheckKernel(layout);
            if (link.App is { } app)
            {
                app.AssignOutputOffsets(layout.FileEnd);
                PlaceKernelSymbolsAfterApp(layout, app);
            }
        }
        link.LinkerSymbols.AssignValues(layout);
        link.Got.Fill(link.Tls);
        link.KernelSymbols?.Fill();
        link.EhFrameHeader?.Fill(layout);
    }

    /// <summary>Section contents are copied once, from the inputs into the image; relocation patches them there.
    /// -s leaves .symtab empty, in a kernel image too (the debug variant keeps it for gdb).</summary>
    private static void WriteImage(LinkContext link)
    {
        var tls = link.Tls;
        var executableParts = link.IsExecutable
            ? new ExecutableImageParts(ExecutableProgramHeaders.Build(link.Layout, tls, link.Options.StackSize), tls)
            : null;
        link.Image = ElfImageWriter.Write(link.Layout, link.Files, link.Symbols, link.Entry.Address, executableParts,
            link.Options.StripSymbols, link.App);
    }

    private static void Relocate(LinkContext link) => X86_64Relocator.Apply(link.Files, link.Image, link.Got, link.Tls);

    private static void StampBuildId(LinkContext link) =>
        BuildId.Stamp(link.Image, link.BuildIdNote!, link.Options.BuildId);

    private static void StampImageHash(LinkContext link)
    {
        ImageInfo.Stamp(link.Image, link.ImageInfoSection!);
        link.ImageInfoContents = ImageInfo.Read(link.ImageInfoSection!.Data);
    }

    /// <summary>After the image hash, which so covers the expanded image (what the kernel runs), and before the SBOM,
    /// which is not loaded.</summary>
    private static void CompressPayload(LinkContext link) =>
        link.Image = Compression.PayloadWriter.Compress(link.Image, link.App!.Start,
            LinkerDefinedSymbols.PayloadAddress(link.Layout, link.App!), link.App!.Path);

    /// <summary>Last: the SBOM records the image hash, and as a section that is not loaded it cannot change it.</summary>
    private static void AddSbom(LinkContext link)
    {
        var manifest = Sbom.SbomManifest.Read(link.Options.SbomManifestPath!);
        byte[] document = Sbom.SbomDocument.Build(manifest, Sbom.ImageInfoContentsView.Of(link.ImageInfoContents!), link.Options.FilesTime,
            link.ImageFilePaths);
        link.Image = NonLoadedSection.Append(link.Image, UkSbomFormat.SectionName, document);
    }

    /// <summary>
    /// With an app, uk_ksyms (the kernel's and the app's function names) is a read-only PT_LOAD of its own on the first
    /// page after the app's highest segment (opened by uk_image_info, closed by uk_files, the image's file system), its bytes after the app's in the file: the kernel's segments stay the
    /// size of the kernel, whatever the app's. __start_uk_ksyms/__stop_uk_ksyms point there; __image_end does not
    /// cover it (docs/boot-abi.md, "The embedded app").
    /// </summary>
    private static void PlaceKernelSymbolsAfterApp(SectionLayout layout, AppExecutable app)
    {
        var segment = layout.AssignDetachedAddresses(SegmentKind.Symbols, app.End,
            SectionLayout.AlignUp(app.OutputEnd, SectionLayout.PageSize));
        if (segment is not null && segment.VirtualAddress + segment.MemorySize > KernelAddressSpace.AppLimit)
            throw new LinkerException($"{ImageInfo.SectionName}, {KernelSymbolTable.SectionName} and {ImageFiles.SectionName} (0x{segment.MemorySize:x} bytes) " +
                $"go after the app, at 0x{segment.VirtualAddress:x}, and would end above 2 GiB (0x{KernelAddressSpace.AppLimit:x}), " +
                "the top of the app's range; link the app lower or make it smaller", file: app.Path);
    }

    /// <summary>
    /// The entry is <c>UNIT:NAME</c>, or a NAME exactly one unit defines (with a single unit: plain lookup).
    /// Which unit holds it is not known in advance: the app's <c>_start</c> and the kernel's
    /// <c>uk_pvh_entry</c> each come from one unit, and asking the user to say so would break old command lines.
    /// </summary>
    private static Symbol LookUpEntry(SymbolTable symbols, string name)
    {
        int colon = name.IndexOf(':');
        if (colon > 0 && symbols.Units.FirstOrDefault(u => u.Name == name[..colon]) is { } named)
        {
            if (symbols.Find(named, name[(colon + 1)..]) is { IsDefined: true } qualified)
                return qualified;
            throw new LinkerException("undefined entry symbol", symbol: name[(colon + 1)..], unit: named.Name);
        }

        Symbol? entry = null;
        foreach (var unit in symbols.Units)
        {
            if (symbols.Find(unit, name) is not { IsDefined: true } candidate || candidate.Unit != unit)
                continue;
            if (entry is not null)
                throw new LinkerException($"entry symbol is defined by units '{entry.Unit!.Name}' and '{unit.Name}' " +
                    "(name one: -e UNIT:SYMBOL)", symbol: name);
            entry = candidate;
        }
        return entry ?? throw new LinkerException("undefined entry symbol", symbol: name);
    }

    /// <summary>
    /// Links and writes the outputs, each written next to its path and renamed into place. A failed (or crashed) link
    /// leaves the previous output and map as they were, as lld does: the files on disk are always a complete earlier
    /// link's or this one's (GNU ld deletes the output instead; a build then sees a missing file rather than an old one,
    /// and the old one's timestamp already tells make it is out of date).
    /// </summary>
    public static LinkResult LinkToFiles(LinkOptions options)
    {
        OutputTargets.Check(options);
        using var previous = ReplacedOutput.Hold(options.OutputPath);
        var result = Link(options);
        var times = new PassTimes(options.PrintPassTimes);
        AtomicFile.Write(options.OutputPath, result.Image, executable: options.Kind == OutputKind.StaticExecutable);
        previous?.ReleaseInBackground();
        times.Mark("write file");
        if (options.MapPath is not null)
        {
            AtomicFile.Write(options.MapPath, Encoding.UTF8.GetBytes(result.Map));
            times.Mark("link map");
        }
        if (options.SymbolsFilePath is not null)
        {
            AtomicFile.Write(options.SymbolsFilePath, KernelSymbolsSideFile.Encode(result.Image, result.FunctionTable!));
            times.Mark("symbols file");
        }
        times.Print(Console.Error, total: false);
        return result;
    }
}
