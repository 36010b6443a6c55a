using System.Text;
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
public sealed class LinkResult(byte[] image, Func<string> map, ulong entryAddress)
{
    private string? _map;

    public byte[] Image { get; } = image;
    public string Map => _map ??= map();
    public ulong EntryAddress { get; } = entryAddress;
}

/// <summary>Runs the passes in order; each pass only reads what the previous ones produced.</summary>
public static class Linker
{
    public static LinkResult Link(LinkOptions options)
    {
        if (options.Kind == OutputKind.Kernel && options.StackSize != 0)
            throw new LinkerException("a stack size (-z stack-size) is for static executables; a kernel image has no PT_GNU_STACK");
        var times = new PassTimes(options.PrintPassTimes);
        // 1. Read (archive members on demand).
        var units = LinkUnit.Of(options);
        var files = InputLoader.Load(options, units);
        times.Mark("read");

        // 2. Resolve.
        ComdatGroupFilter.Apply(files);
        var symbols = SymbolResolver.Resolve(files, units);
        UnitExports.Bind(files, symbols);
        times.Mark("resolve");
        var result = options.Kind == OutputKind.StaticExecutable
            ? LinkExecutable(options, files, symbols, times)
            : LinkKernel(options, files, symbols, times);
        times.Print(Console.Error);
        return result;
    }

    private static LinkResult LinkKernel(LinkOptions options, List<InputFile> files, SymbolTable symbols, PassTimes times)
    {
        // The app is not linked, only checked and carried: its segments keep their addresses and bytes.
        var app = options.AppPath is { } appPath ? AppExecutable.Read(appPath) : null;
        if (app is not null)
            times.Mark("read app");

        // Synthetic sections whose size is known now.
        var synthetic = new List<InputSection>();
        var kernelSymbols = KernelSymbolTable.Collect(files, app);
        synthetic.Add(kernelSymbols.Section);
        var got = new GlobalOffsetTable();
        synthetic.Add(got.Section);
        if (CommonSymbolAllocator.Allocate(symbols) is { } common)
            synthetic.Add(common);
        var imageInfo = app is null ? null : CreateImageInfo(options, app);
        if (imageInfo is not null)
        {
            synthetic.Add(imageInfo);
            times.Mark("image info");
        }

        // 3a. Output sections, 4a. linker-defined names, then the relocation scan that needs both.
        var layout = app is null
            ? SectionLayout.Build(files, synthetic)
            : SectionLayout.Build(files, synthetic, SectionClassifier.ClassifyWithApp, SectionLayout.KernelWithAppSegmentOrder);
        var linkerSymbols = LinkerDefinedSymbols.Define(symbols, layout, app);
        RelocationScanner.Scan(files, got);
        if (got.SlotCount == 0)
            layout.Remove(got.Section);

        var entry = FindEntry(symbols, options.EntrySymbol);

        // 3b. Addresses, 4b. linker symbol values, generated contents.
        layout.AssignAddresses(options.BaseAddress, ElfImageWriter.HeaderBytes(layout, app?.Segments.Count ?? 0));
        // With the kernel in [1 MiB, 4 MiB) and the app's segments checked to lie in [4 MiB, 2 GiB), they cannot overlap.
        KernelAddressSpace.CheckKernel(layout);
        if (app is not null)
        {
            app.AssignOutputOffsets(layout.FileEnd);
            PlaceKernelSymbolsAfterApp(layout, app);
        }
        linkerSymbols.AssignValues(layout);
        got.Fill();
        kernelSymbols.Fill();

        // 5. Write, 6. relocate in the written image.
        ulong entryAddress = entry.Address;
        byte[] image = ElfImageWriter.Write(layout, files, symbols, entryAddress, app: app);
        X86_64Relocator.Apply(files, image, got);
        if (imageInfo is not null)
        {
            ImageInfo.Stamp(image, imageInfo);
            times.Mark("image hash");
        }
        var info = imageInfo is null ? null : ImageInfo.Read(imageInfo.Data);
        return new LinkResult(image, () => LinkMapWriter.Write(layout, files, symbols, options.EntrySymbol, entryAddress, app, info),
            entryAddress);
    }

    /// <summary>uk_image_info for an image with an app: its name and version, and every input of the link by name,
    /// size and SHA-256 (the app last); the image's own hash is stamped once the image is written.</summary>
    private static InputSection CreateImageInfo(LinkOptions options, AppExecutable app)
    {
        var inputs = options.InputPaths.Select(path => (path, ImageInfo.InputKindLinked)).ToList();
        inputs.Add((app.Path, ImageInfo.InputKindApp));
        return ImageInfo.CreateSection(options.AppName ?? Path.GetFileName(app.Path), options.AppVersion ?? ImageInfo.UnknownVersion, inputs);
    }

    /// <summary>The same passes for a static Linux executable, plus the libc conventions: TLS, unwind tables,
    /// optional garbage collection and build id.</summary>
    private static LinkResult LinkExecutable(LinkOptions options, List<InputFile> files, SymbolTable symbols, PassTimes times)
    {
        var entry = FindEntry(symbols, options.EntrySymbol);

        // 3. Liveness: unwind records first, since they decide what the collector may follow.
        var frames = EhFrameSections.Parse(files);
        times.Mark("unwind tables");
        if (options.GcSections)
            GarbageCollector.Run(files, symbols, entry, frames);
        times.Mark("gc-sections");
        frames.DropDeadEntries();
        times.Mark("drop dead FDEs");

        // Synthetic sections whose size is known now.
        var synthetic = new List<InputSection>();
        var got = new GlobalOffsetTable();
        synthetic.Add(got.Section);
        var ehFrameHeader = new EhFrameHeader(frames);
        synthetic.Add(ehFrameHeader.Section);
        var buildId = options.BuildId != BuildIdKind.None ? BuildId.CreateSection(options.BuildId) : null;
        if (buildId is not null)
            synthetic.Add(buildId);
        if (CommonSymbolAllocator.Allocate(symbols) is { } common)
            synthetic.Add(common);
        times.Mark("synthetic sections");

        // 4. Output sections, linker-defined names, the relocation scan that needs both.
        var layout = SectionLayout.Build(files, synthetic, ExecutableSectionClassifier.Classify,
            ExecutableSectionClassifier.SegmentOrder);
        ExecutableSectionClassifier.OrderByInitPriority(layout);
        times.Mark("layout");
        var linkerSymbols = LinkerDefinedSymbols.DefineForExecutable(symbols, layout, got, options.SymbolAliases);
        times.Mark("linker symbols");
        RelocationScanner.Scan(files, got, allowTls: true);
        if (got.SlotCount == 0 && !got.IsReferenced)
            layout.Remove(got.Section);
        times.Mark("relocation scan");

        // 5. Addresses, then every value that depends on them.
        TlsLayout.AlignBlock(layout);
        int extraHeaders = ExecutableProgramHeaders.Count(layout);
        layout.AssignAddresses(options.BaseAddress, ElfImageWriter.HeaderBytes(layout, extraHeaders), mapHeaders: true);
        var tls = TlsLayout.Compute(layout);
        linkerSymbols.AssignValues(layout);
        got.Fill(tls);
        ehFrameHeader.Fill(layout);
        times.Mark("addresses");

        // 6. Write, 7. relocate in the written image: section contents are copied once, from the inputs into the image.
        ulong entryAddress = entry.Address;
        var parts = new ExecutableImageParts(ExecutableProgramHeaders.Build(layout, tls, options.StackSize), tls);
        byte[] image = ElfImageWriter.Write(layout, files, symbols, entryAddress, parts, options.StripSymbols);
        times.Mark("write image");
        X86_64Relocator.Apply(files, image, got, tls);
        times.Mark("relocate");
        if (buildId is not null)
            BuildId.Stamp(image, buildId, options.BuildId);
        times.Mark("build id");
        return new LinkResult(image, () => LinkMapWriter.Write(layout, files, symbols, options.EntrySymbol, entryAddress),
            entryAddress);
    }

    /// <summary>
    /// With an app, uk_ksyms (the kernel's and the app's function names) is a read-only PT_LOAD of its own on the first
    /// page after the app's highest segment, its bytes after the app's in the file: the kernel's segments stay the
    /// size of the kernel, whatever the app's. __start_uk_ksyms/__stop_uk_ksyms point there; __image_end does not
    /// cover it (docs/boot-abi.md, "The embedded app").
    /// </summary>
    private static void PlaceKernelSymbolsAfterApp(SectionLayout layout, AppExecutable app)
    {
        var segment = layout.AssignDetachedAddresses(SegmentKind.Symbols, app.End,
            SectionLayout.AlignUp(app.OutputEnd, SectionLayout.PageSize));
        if (segment is not null && segment.VirtualAddress + segment.MemorySize > KernelAddressSpace.AppLimit)
            throw new LinkerException($"{ImageInfo.SectionName} and {KernelSymbolTable.SectionName} (0x{segment.MemorySize:x} bytes) " +
                $"go after the app, at 0x{segment.VirtualAddress:x}, and would end above 2 GiB (0x{KernelAddressSpace.AppLimit:x}), " +
                "the top of the app's range; link the app lower or make it smaller", file: app.Path);
    }

    /// <summary>
    /// The entry is <c>UNIT:NAME</c>, or a NAME exactly one unit defines (with a single unit: plain lookup).
    /// Which unit holds it is not known in advance: the app's <c>_start</c> and the kernel's
    /// <c>uk_pvh_entry</c> each come from one unit, and asking the user to say so would break old command lines.
    /// </summary>
    private static Symbol FindEntry(SymbolTable symbols, string name)
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
        times.Print(Console.Error, total: false);
        return result;
    }
}
