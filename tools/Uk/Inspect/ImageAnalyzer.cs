namespace Unikernel.Tools.Inspect;

/// <summary>Thrown for an image whose headers point past its end or hold impossible sizes: one line, "truncated: ..." or "corrupt: ...".</summary>
public sealed class DamagedImageException(string message) : Exception(message);

public sealed record InspectOptions
{
    /// <summary>The image's link map; null: look next to the image (X.img.map, then X.map).</summary>
    public string? MapPath { get; init; }
    /// <summary>The embedded app's link map; null: found through the image map's <c>app</c> record.</summary>
    public string? AppMapPath { get; init; }
    public string CurrentDirectory { get; init; } = Environment.CurrentDirectory;
}

/// <summary>
/// Works out what an image is made of, from three sources, each optional but the first: the ELF file itself
/// (program headers, sections, <c>uk_ksyms</c>, <c>uk_image_info</c>), the image's link map (the kernel side: boot
/// stub, kernel object, linker tables; and the <c>app</c> record) and the app's own link map (the static executable's
/// inputs: the ILC object, the NativeAOT runtime archives, musl). What is missing is said in the report's notes, and
/// the breakdown falls back to what the ELF file alone tells.
/// </summary>
public static class ImageAnalyzer
{
    public const string LinkerFile = "<linker>";

    public static ImageReport Analyze(string imagePath, InspectOptions? options = null)
    {
        options ??= new InspectOptions();
        if (!File.Exists(imagePath)) throw new FileNotFoundException($"image not found: {imagePath}", imagePath);
        var elf = ElfFile.Read(imagePath);
        if (elf.Damage is { } damage) throw new DamagedImageException(damage);
        var compression = Expand(ref elf, out var costs);
        var report = new ImageReport
        {
            ImagePath = imagePath,
            FileSize = elf.FileSize,
            ImageFileSize = costs.ImageFileSize,
            LoadedSize = elf.Loads.Aggregate(0UL, (s, p) => s + p.MemorySize),
            Entry = elf.Entry,
            Bootable = elf.HasPvhNote,
            Compression = compression,
        };
        report.ImageInfo = ImageInfoReader.Read(elf);
        report.Files = ImageFilesReader.Read(elf);
        report.Sbom = SbomReader.Read(elf);

        var map = LoadImageMap(imagePath, options, elf, report);
        var functions = ReadFunctions(imagePath, elf, map, report);

        report.ExpandedSize = Unpacked((ulong)report.FileSize, report.Files.FileSystem?.Packed);
        var parts = new Accounting(elf, costs);
        if (report.Bootable)
        {
            var app = AnalyzeKernelSide(elf, map, functions, parts, report, costs);
            if (app.Segments.Count > 0) AnalyzeApp(imagePath, options, map!, app, functions, parts, report, costs);
        }
        else
        {
            // A plain executable (an app's own static ELF): its map is an app map.
            var segments = elf.Loads.Select(p => new LinkMap.AppSegment(p.FlagsText, p.VirtualAddress, p.Offset, p.FileSize, p.MemorySize)).ToList();
            foreach (var p in elf.Loads) report.Segments.Add(new SegmentInfo("app", p.FlagsText, p.VirtualAddress, p.Offset, p.FileSize, p.MemorySize));
            if (map is not null) AddAppFromMap(map, segments, functions, parts, report, costs, Path.GetFileName(imagePath), embedded: false);
            else AddAppBySections(elf, segments, parts, report, costs, Path.GetFileName(imagePath));
        }
        parts.Finish(report);
        ulong accounted = report.Parts.Aggregate(0UL, (t, p) => t + p.FileBytes);
        if (accounted > (ulong)report.FileSize)
            throw new DamagedImageException($"corrupt: its sections and link map account for {accounted:N0} bytes, more than the file's {report.FileSize:N0}");
        if (report.Assemblies.Count == 0 && report.AppFunctions > 0)
        {
            // No app map: the app's .NET methods are recognised by their names alone.
            string appName = report.AppPath is not null ? Path.GetFileName(report.AppPath)
                           : report.ImageInfo.Info?.AppName ?? Path.GetFileNameWithoutExtension(imagePath);
            AttributeManaged(functions.Where(f => f.IsApp), report, costs, appName, unrecognisedBucket: false);
        }
        return report;
    }

    // ---- a compressed image: everything below reads it expanded ----

    private static CompressionInfo? Expand(ref ElfFile elf, out ImageBytesAttribution costs)
    {
        var compressed = elf;
        UkPayloadInfo? payload;
        byte[] expanded;
        costs = ImageBytesAttribution.Uncompressed(elf);
        try
        {
            payload = UkPayloadCodec.Find(compressed.Bytes);
            if (payload is null) return null;
            expanded = UkPayloadCodec.Expand(compressed.Bytes);
        }
        catch (InvalidDataException e) { throw new DamagedImageException($"corrupt: {e.Message}"); }
        elf = ElfFile.Parse(expanded);
        if (elf.Damage is { } damage) throw new DamagedImageException(damage);
        try { costs = ImageBytesAttribution.Compressed(compressed.Bytes, payload, elf); }
        catch (InvalidDataException e) { throw new DamagedImageException($"corrupt: {UkPayloadFormat.SectionName}: {e.Message}"); }
        var expandedElf = elf;
        var segments = payload.Regions.Select(region =>
        {
            var names = expandedElf.Sections.Where(s => s.Address >= region.Address && s.Address < region.Address + region.FileSize && s.Size > 0)
                .Select(s => s.Name).ToList();
            string holds = names.Count > 0 ? string.Join(", ", names) : "app segment";
            string flags = string.Concat((region.Flags & ElfConstants.PF_R) != 0 ? "R" : "-", (region.Flags & ElfConstants.PF_W) != 0 ? "W" : "-",
                (region.Flags & ElfConstants.PF_X) != 0 ? "X" : "-");
            return new CompressedSegment(holds, flags, region.Address, region.FileSize, region.DataSize);
        }).ToList();
        return new CompressionInfo(compressed.FileSize, elf.FileSize, payload.Header.Size, payload.ExpandedBytes, segments);
    }

    // ---- the image map ----

    private static LinkMap? LoadImageMap(string imagePath, InspectOptions options, ElfFile elf, ImageReport report)
    {
        string? path = options.MapPath;
        if (path is not null)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"link map not found: {path}", path);
        }
        else
        {
            var candidates = new[] { imagePath + ".map", Path.ChangeExtension(imagePath, ".map") }.Distinct().ToList();
            path = candidates.FirstOrDefault(File.Exists);
            if (path is null)
            {
                report.Notes.Add($"no link map next to the image (looked for {string.Join(", ", candidates.Select(Path.GetFileName))}): " +
                                 "the breakdown is the ELF file's alone; pass --map FILE for the linker's view");
                return null;
            }
        }
        LinkMap map;
        try { map = LinkMap.Read(path); }
        catch (FormatException e)
        {
            report.Notes.Add($"{e.Message}; using the ELF file alone");
            return null;
        }
        var loads = elf.Loads.ToList();
        var missing = map.Segments.Where(s => !loads.Any(l => l.VirtualAddress == s.Address && l.FileSize == s.FileSize)).ToList();
        if (missing.Count > 0 || map.Segments.Count == 0)
        {
            report.Notes.Add($"{path} does not describe this image (its segments differ: rebuilt since?); using the ELF file alone");
            return null;
        }
        report.MapPath = path;
        return map;
    }

    // ---- functions: uk_ksyms, the table beside the image when that one is empty, else .symtab ----

    private static IReadOnlyList<KernelSymbolTable.Function> ReadFunctions(string imagePath, ElfFile elf, LinkMap? map, ImageReport report)
    {
        byte[]? bytes = null;
        var section = elf.FindSection(KernelSymbolsFormat.SectionName);
        if (section is not null) bytes = elf.SectionBytes(section);
        else if (map?.Sections.FirstOrDefault(s => s.Name == KernelSymbolsFormat.SectionName) is { } mapped) bytes = elf.ReadVirtual(mapped.Address, mapped.Size);
        var table = bytes is null ? null : KernelSymbolTable.Parse(bytes);
        if (table is { Count: 0 } && ReadSideTable(imagePath, report) is { } beside) table = beside;
        if (table is not null)
        {
            report.KernelFunctions = table.Count(f => !f.IsApp);
            report.AppFunctions = table.Count(f => f.IsApp);
            return table;
        }
        if (bytes is not null) report.Notes.Add("uk_ksyms is not a KSYM table; function names come from .symtab");
        // No uk_ksyms (a plain executable): .symtab's functions, all of them "the app's".
        var symbols = elf.FunctionSymbols().Where(f => f.Size > 0 && f.Size <= uint.MaxValue)
            .Select(f => new KernelSymbolTable.Function(f.Address, (uint)f.Size, report.Bootable ? f.Name : KernelSymbolTable.AppPrefix + f.Name))
            .ToList();
        report.KernelFunctions = symbols.Count(f => !f.IsApp);
        report.AppFunctions = symbols.Count(f => f.IsApp);
        return symbols;
    }

    /// <summary>The function table uk-ld wrote beside the image (--symbols-file, IMAGE.syms), if it belongs to this image.</summary>
    private static IReadOnlyList<KernelSymbolTable.Function>? ReadSideTable(string imagePath, ImageReport report)
    {
        string path = KernelSymbolsSideFile.PathFor(imagePath);
        if (!File.Exists(path))
        {
            report.Notes.Add($"the image's function table is empty and {Path.GetFileName(path)} is not beside it: function names come from .symtab, if any");
            return null;
        }
        var functions = KernelSymbolsSideFile.Decode(File.ReadAllBytes(path), KernelSymbolsSideFile.HashOf(File.ReadAllBytes(imagePath)), out string? problem);
        if (functions is null)
        {
            report.Notes.Add($"{Path.GetFileName(path)}: {problem}");
            return null;
        }
        report.SymbolsFilePath = path;
        report.SymbolsFileSize = new FileInfo(path).Length;
        return functions.Select(f => new KernelSymbolTable.Function(f.Address, (uint)f.Size, f.Name)).ToList();
    }

    // ---- the kernel side ----

    private sealed record AppPlacement(List<LinkMap.AppSegment> Segments, string? Path);

    private static AppPlacement AnalyzeKernelSide(ElfFile elf, LinkMap? map, IReadOnlyList<KernelSymbolTable.Function> functions,
                                                  Accounting parts, ImageReport report, ImageBytesAttribution costs)
    {
        var kernel = new Part { Name = "kernel", Kind = "kernel", Detail = "boot stub, the C# kernel, the function table" };
        var files = new Part { Name = "files", Kind = "files", Detail = "the image's read-only file system (uk_files): /app and UnikernelFile items" };
        string symbolsDetail = $"uk_ksyms: {report.KernelFunctions:N0} kernel + {report.AppFunctions:N0} app function names";
        var appSegments = new List<LinkMap.AppSegment>();
        string? appPath = null;
        if (map is not null)
        {
            var inputs = FileBackedInputs(map);
            foreach (var file in map.Files)
            {
                if (file.Path == LinkerFile)
                {
                    foreach (var piece in LinkerPieces(map, costs))
                    {
                        if (piece.Section == UkFilesFormat.SectionName)
                        {
                            files.Add(FilesPart(report, piece.FileBytes, piece.Size, piece.ImageBytes));
                            continue;
                        }
                        bool ksyms = piece.Section == KernelSymbolsFormat.SectionName;
                        kernel.Add(new Part
                        {
                            Name = ksyms ? "function table (uk_ksyms)" : $"linker-generated {piece.Section}",
                            Kind = ksyms ? "symbols" : "linker",
                            FileBytes = piece.FileBytes, ImageBytes = piece.ImageBytes, MemoryBytes = piece.Size,
                            Detail = ksyms ? symbolsDetail : "made by uk-ld",
                        });
                    }
                    continue;
                }
                string name = Path.GetFileName(file.Path);
                bool boot = name == "boot.o";
                kernel.Add(new Part
                {
                    Name = boot ? "boot stub (boot.o)" : $"kernel ({name})",
                    Kind = boot ? "boot" : "kernel-object",
                    FileBytes = file.FileBytes, ImageBytes = ImageBytesOf(inputs, file.Path, costs), MemoryBytes = file.MemoryBytes,
                    Detail = $"code {file.Text:N0}, read-only {file.ReadOnly:N0}, data {file.Data:N0}, bss {file.Bss:N0} bytes",
                });
            }
            foreach (var s in map.Segments)
            {
                // The map's segments are the kernel's own (and uk_ksyms'); the app's are app-segment records.
                var inside = map.Sections.Where(x => x.Address >= s.Address && x.Address < s.Address + Math.Max(s.MemorySize, 1)).Select(x => x.Name);
                string owner = SegmentOwner(inside) == "symbols" ? "symbols" : "kernel";
                report.Segments.Add(new SegmentInfo(owner, s.Flags, s.Address, s.Offset, s.FileSize, s.MemorySize));
            }
            if (map.App is not null)
            {
                appSegments = map.AppSegments;
                appPath = map.App.Path;
                foreach (var s in appSegments) report.Segments.Add(new SegmentInfo("app", s.Flags, s.Address, s.Offset, s.FileSize, s.MemorySize));
                report.AppPath = appPath;
            }
            report.Segments.Sort((a, b) => a.Address.CompareTo(b.Address));
        }
        else
        {
            // The ELF file's view: the kernel's sections by kind; PT_LOADs without any section are the app's.
            var alloc = elf.Sections.Where(s => s.IsAllocated && s.Size > 0).ToList();
            void AddSections(string name, string kind, Func<ElfSection, bool> which, string? detail = null)
            {
                var chosen = alloc.Where(which).ToList();
                alloc.RemoveAll(s => chosen.Contains(s));
                if (chosen.Count == 0) return;
                kernel.Add(new Part
                {
                    Name = name, Kind = kind,
                    FileBytes = chosen.Aggregate(0UL, (t, s) => t + s.FileSize),
                    ImageBytes = chosen.Aggregate(0UL, (t, s) => t + costs.OfSection(s)),
                    MemoryBytes = chosen.Aggregate(0UL, (t, s) => t + s.Size),
                    Detail = detail ?? "sections " + string.Join(", ", chosen.Select(s => s.Name)),
                });
            }
            if (alloc.FirstOrDefault(s => s.Name == UkFilesFormat.SectionName) is { } filesSection)
            {
                alloc.Remove(filesSection);
                files.Add(FilesPart(report, filesSection.FileSize, filesSection.Size, costs.OfSection(filesSection)));
            }
            AddSections("boot stub code (.text.boot)", "boot", s => s.Name == ".text.boot");
            AddSections("function table (uk_ksyms)", "symbols", s => s.Name == KernelSymbolsFormat.SectionName, symbolsDetail);
            AddSections("kernel code", "kernel-code", s => s.IsExecutable);
            AddSections("kernel read-only data", "kernel-rodata", s => !s.IsWritable);
            AddSections("kernel data and bss", "kernel-data", _ => true);
            var sectioned = elf.Sections.Where(s => s.IsAllocated && s.Size > 0).ToList();
            foreach (var load in elf.Loads)
            {
                var inside = sectioned.Where(s => s.Address >= load.VirtualAddress && s.Address < load.VirtualAddress + Math.Max(load.MemorySize, 1)).Select(s => s.Name);
                string owner = sectioned.Count == 0 ? "kernel" : SegmentOwner(inside);
                report.Segments.Add(new SegmentInfo(owner, load.FlagsText, load.VirtualAddress, load.Offset, load.FileSize, load.MemorySize));
                if (owner == "app") appSegments.Add(new LinkMap.AppSegment(load.FlagsText, load.VirtualAddress, load.Offset, load.FileSize, load.MemorySize));
                if (sectioned.Count == 0)
                {
                    // A segment that starts at file offset 0 holds the ELF headers too: they are counted once, as headers.
                    ulong headers = load.Offset == 0 ? Math.Min(elf.HeadersSize, load.FileSize) : 0;
                    kernel.Add(new Part
                    {
                        Name = $"{SegmentName(load.FlagsText)} segment ({load.FlagsText}) at 0x{load.VirtualAddress:x}", Kind = "segment",
                        FileBytes = load.FileSize - headers, MemoryBytes = load.MemorySize - headers,
                        ImageBytes = costs.OfFileRange(load.Offset + headers, load.FileSize - headers),
                    });
                }
            }
            if (sectioned.Count == 0)
            {
                kernel = new Part { Name = "loaded segments", Kind = "kernel", Detail = "no section headers: kernel and app cannot be told apart" }
                    .WithChildren(kernel.Children);
                report.Notes.Add("the image has no section headers: its segments cannot be told apart without a link map");
            }
        }
        parts.Add(kernel.Total());
        if (files.Children.Count > 0) parts.Add(files.Total());
        return new AppPlacement(appSegments, appPath);
    }

    private static Part FilesPart(ImageReport report, ulong fileBytes, ulong memoryBytes, ulong imageBytes) => new()
    {
        Name = "file system (uk_files)", Kind = "file-system", FileBytes = fileBytes, MemoryBytes = memoryBytes, ImageBytes = imageBytes,
        ExpandedBytes = Unpacked(fileBytes, report.Files.FileSystem?.Packed),
        Detail = report.Files.FileSystem is { } fileSystem
            ? $"{fileSystem.FileCount:N0} files and links, {fileSystem.DataBytes:N0} bytes of distinct contents" + (fileSystem.Packed is { } packed
                ? $"; {packed.ExpandedBytes:N0} of them packed into {packed.StoredBytes:N0} bytes ({packed.BlockCount:N0} LZ4 blocks, expanded on first read)"
                : "")
            : "uk_files",
    };

    /// <summary>Who a loaded segment belongs to, by the sections in it: none (an embedded app's PT_LOADs carry no
    /// sections), only uk_ksyms (its own segment after the app), or the kernel's.</summary>
    private static string SegmentOwner(IEnumerable<string> sectionNames)
    {
        var names = sectionNames.ToList();
        if (names.Count == 0) return "app";
        return names.All(n => n == KernelSymbolsFormat.SectionName) ? "symbols" : "kernel";
    }

    /// <summary>Bytes that hold uk_files, with its packed blocks giving way to the files' bytes they hold (fewer, for
    /// blocks that did not compress).</summary>
    private static ulong Unpacked(ulong bytes, PackedFiles? packed)
        => packed is null ? bytes : (ulong)Math.Max(0, (long)bytes - packed.StoredBytes + packed.ExpandedBytes);

    private sealed record LinkerPiece(string Section, ulong Size, ulong FileBytes, ulong ImageBytes);

    private static IEnumerable<LinkerPiece> LinkerPieces(LinkMap map, ImageBytesAttribution costs)
        => map.Sections.SelectMany(s => s.Inputs.Where(i => i.File == LinkerFile).Select(i => (Section: s, Input: i)))
            .GroupBy(p => p.Section.Name)
            .Select(g =>
            {
                ulong size = g.Aggregate(0UL, (t, p) => t + p.Input.Size);
                bool noBits = !HoldsFileBytes(g.First().Section);
                ulong image = noBits ? 0 : g.Aggregate(0UL, (t, p) => t + costs.OfAddressRange(p.Input.Address, p.Input.Size));
                return new LinkerPiece(g.Key, size, noBits ? 0 : size, image);
            });

    /// <summary>Sections whose inputs have bytes in the file. A map does not say which inputs are NOBITS; by name, as
    /// uk-ld names them: .tbss above all, whose addresses overlap the next section's bytes.</summary>
    private static bool HoldsFileBytes(LinkMap.Section section)
        => !(section.Name is ".bss" or ".tbss" || section.Name.StartsWith(".bss.", StringComparison.Ordinal)
             || section.Name.StartsWith(".tbss.", StringComparison.Ordinal));

    /// <summary>Each input file's pieces that have file bytes, with the section they went into.</summary>
    private static ILookup<string, (LinkMap.Section Section, LinkMap.Input Input)> FileBackedInputs(LinkMap map)
        => map.Sections.Where(HoldsFileBytes).SelectMany(s => s.Inputs.Select(i => (Section: s, Input: i))).ToLookup(p => p.Input.File);

    private static ulong ImageBytesOf(ILookup<string, (LinkMap.Section Section, LinkMap.Input Input)> inputs, string file,
                                      ImageBytesAttribution costs, Func<LinkMap.Section, bool>? which = null)
        => inputs[file].Where(p => which is null || which(p.Section))
            .Aggregate(0UL, (t, p) => t + costs.OfAddressRange(p.Input.Address, p.Input.Size));

    // ---- the app ----

    private static void AnalyzeApp(string imagePath, InspectOptions options, LinkMap imageMap, AppPlacement app,
                                   IReadOnlyList<KernelSymbolTable.Function> functions, Accounting parts, ImageReport report,
                                   ImageBytesAttribution costs)
    {
        string appName = app.Path is null ? "app" : Path.GetFileName(app.Path);
        LinkMap? appMap = null;
        if (options.AppMapPath is not null)
        {
            if (!File.Exists(options.AppMapPath)) throw new FileNotFoundException($"app link map not found: {options.AppMapPath}", options.AppMapPath);
            appMap = TryRead(options.AppMapPath, report);
            if (appMap is not null && !appMap.DescribesSegments(app.Segments))
                report.Notes.Add($"{options.AppMapPath} does not describe the app in this image (its segments differ); its numbers may not add up");
        }
        else if (app.Path is not null)
        {
            var tried = new List<string>();
            foreach (var exe in AppMapLocator.ExecutableCandidates(app.Path, imagePath, options.CurrentDirectory))
            {
                foreach (var candidate in AppMapLocator.MapCandidates(exe))
                {
                    if (tried.Contains(candidate)) continue;
                    tried.Add(candidate);
                    var m = TryRead(candidate, report);
                    if (m is not null && m.DescribesSegments(app.Segments)) { appMap = m; break; }
                    if (m is not null) report.Notes.Add($"ignored {candidate}: it describes another build of {appName} (segments differ)");
                }
                if (appMap is not null) break;
            }
            if (appMap is null)
                report.Notes.Add($"no link map found for the app {app.Path} (looked next to it and in the publish's native/ folder): " +
                                 "the app is shown as its segments; pass --app-map FILE for its runtime, libc and code");
        }
        if (appMap is not null)
        {
            report.AppMapPath = Shorten(appMap.Path!, options.CurrentDirectory);
            AddAppFromMap(appMap, app.Segments, functions, parts, report, costs, appName, embedded: true);
        }
        else
        {
            var part = new Part { Name = app.Path is null ? "app (static executable, not broken down)" : $"app ({appName}, not broken down)", Kind = "app", Detail = "the static executable's segments, as embedded" };
            foreach (var s in app.Segments)
                part.Add(new Part
                {
                    Name = $"{SegmentName(s.Flags)} segment ({s.Flags})", Kind = "app-segment", FileBytes = s.FileSize, MemoryBytes = s.MemorySize,
                    ImageBytes = costs.OfAddressRange(s.Address, s.FileSize),
                });
            parts.Add(part.Total());
        }
    }

    /// <summary>A found path as the user would type it: relative to the current directory when it is below it.</summary>
    private static string Shorten(string path, string currentDirectory)
    {
        string relative = Path.GetRelativePath(currentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    private static LinkMap? TryRead(string path, ImageReport report)
    {
        try { return LinkMap.Read(path); }
        catch (Exception e) when (e is FormatException or IOException)
        {
            report.Notes.Add(e is FormatException ? e.Message : $"{path}: {e.Message}");
            return null;
        }
    }

    private static string SegmentName(string flags) => flags.Contains('X') ? "code" : flags.Contains('W') ? "data" : "read-only";

    /// <summary>The app's inputs, by what they are: the ILC object (app code), NativeAOT runtime, libc.</summary>
    public enum InputKind { AppCode, Runtime, Libc, LibcShim, StartFiles, Linker, Other }

    public static InputKind Classify(string path, IReadOnlySet<string> ilcObjects)
    {
        if (path == LinkerFile) return InputKind.Linker;
        if (ilcObjects.Contains(path)) return InputKind.AppCode;
        string file = Path.GetFileName(ArchiveOf(path) ?? path);
        string lower = path.Replace('\\', '/').ToLowerInvariant();
        if (file.StartsWith("uk-cc-glibc-compat", StringComparison.Ordinal)) return InputKind.LibcShim;
        if (file is "crt1.o" or "crti.o" or "crtn.o" or "Scrt1.o" or "rcrt1.o" or "crtbegin.o" or "crtend.o") return InputKind.StartFiles;
        if (file is "libc.a" or "libm.a" or "libpthread.a" or "libdl.a" or "librt.a" || lower.Contains("-linux-musl/")) return InputKind.Libc;
        if (lower.Contains("microsoft.netcore.app.runtime.nativeaot") || lower.Contains("microsoft.dotnet.ilcompiler")
            || file.StartsWith("libRuntime.", StringComparison.Ordinal) || file.StartsWith("libSystem.", StringComparison.Ordinal)
            || file is "libbootstrapper.o" or "libbootstrapperdll.o" or "libaotminipal.a" or "libstdc++compat.a" or "libz.a"
            || file.StartsWith("libeventpipe", StringComparison.Ordinal) || file.StartsWith("libstandalonegc", StringComparison.Ordinal)
            || file.StartsWith("libbrotli", StringComparison.Ordinal) || file.StartsWith("libMicrosoft.", StringComparison.Ordinal))
            return InputKind.Runtime;
        return InputKind.Other;
    }

    /// <summary>"/x/libc.a(printf.lo)" → "/x/libc.a"; null for a plain object.</summary>
    public static string? ArchiveOf(string path)
    {
        if (!path.EndsWith(')')) return null;
        int open = path.LastIndexOf('(');
        return open > 0 ? path[..open] : null;
    }

    private static void AddAppFromMap(LinkMap appMap, IReadOnlyList<LinkMap.AppSegment> segments, IReadOnlyList<KernelSymbolTable.Function> functions,
                                      Accounting parts, ImageReport report, ImageBytesAttribution costs, string appName, bool embedded)
    {
        var inputs = FileBackedInputs(appMap);
        // The ILC object is the input that brought __managedcode (there is one per app; the kernel has its own).
        var ilcObjects = appMap.Sections.Where(s => s.Name == "__managedcode").SelectMany(s => s.Inputs).Select(i => i.File).ToHashSet();
        var byKind = appMap.Files.GroupBy(f => Classify(f.Path, ilcObjects)).ToDictionary(g => g.Key, g => g.ToList());
        List<LinkMap.FileContribution> Of(InputKind k) => byKind.TryGetValue(k, out var l) ? l : [];

        // .NET runtime: one part per archive (members below it) or object.
        var runtime = new Part { Name = ".NET runtime (NativeAOT)", Kind = "runtime", Detail = "the NativeAOT runtime's archives and objects: GC, exception handling, threads, System.Native" };
        foreach (var part in ByArchive(Of(InputKind.Runtime), "runtime-archive", inputs, costs)) runtime.Add(part);
        if (runtime.Children.Count > 0) parts.Add(runtime.Total());

        var libc = new Part { Name = "libc (musl)", Kind = "libc", Detail = "musl's libc.a members the app pulled in, its start-up files, uk-cc's glibc shim" };
        foreach (var part in ByArchive(Of(InputKind.Libc), "libc-archive", inputs, costs)) libc.Add(part);
        if (Of(InputKind.StartFiles).Count > 0)
            libc.Add(Sum("C start-up files (" + string.Join(", ", Of(InputKind.StartFiles).Select(f => Path.GetFileName(f.Path))) + ")", "libc-start",
                Of(InputKind.StartFiles), inputs, costs));
        if (Of(InputKind.LibcShim).Count > 0)
            libc.Add(Sum("glibc compatibility shim (uk-cc)", "libc-shim", Of(InputKind.LibcShim), inputs, costs,
                "glibc-only symbols for the runtime archives and glibc-built static libraries (__*_chk, fcntl64, ...)"));
        if (libc.Children.Count > 0) parts.Add(libc.Total());

        // App code: the ILC object, split into compiled methods (by assembly and namespace) and data.
        var ilcRanges = appMap.Sections.SelectMany(s => s.Inputs.Where(i => ilcObjects.Contains(i.File)).Select(i => (i.Address, End: i.Address + i.Size)))
            .OrderBy(r => r.Address).ToList();
        bool InIlc(ulong address)
        {
            int lo = 0, hi = ilcRanges.Count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                if (address < ilcRanges[mid].Address) hi = mid - 1;
                else if (address >= ilcRanges[mid].End) lo = mid + 1;
                else return true;
            }
            return false;
        }
        var managed = functions.Where(f => f.IsApp && InIlc(f.Address)).ToList();
        AttributeManaged(managed, report, costs, appName, unrecognisedBucket: true);

        foreach (var ilc in Of(InputKind.AppCode))
        {
            var code = new Part { Name = $"app code ({Path.GetFileName(ilc.Path)})", Kind = "app-code", Detail = "the ILC object: the app and the parts of the .NET libraries it uses, compiled ahead of time" };
            var methods = code.Add(new Part
            {
                Name = $"compiled methods ({report.ManagedFunctions:N0} functions)", Kind = "methods",
                Detail = "machine code of the .NET methods, by assembly and namespace",
            });
            ulong attributed = 0, attributedImage = 0;
            foreach (var assembly in report.Assemblies)
            {
                var a = methods.Add(new Part { Name = assembly.Assembly, Kind = "assembly", Detail = $"{assembly.Functions:N0} functions" });
                foreach (var ns in report.Namespaces.Where(n => n.Assembly == assembly.Assembly))
                    a.Add(new Part
                    {
                        Name = ns.Namespace ?? "", Kind = "namespace", FileBytes = ns.Bytes, MemoryBytes = ns.Bytes, ImageBytes = ns.ImageBytes,
                        Detail = $"{ns.Functions:N0} functions",
                    });
                a.Total();
                attributed += a.FileBytes;
                attributedImage += a.ImageBytes;
            }
            static bool IsCode(LinkMap.Section s) => s.Segment == "Text";
            ulong textImage = ImageBytesOf(inputs, ilc.Path, costs, IsCode);
            if (ilcObjects.Count == 1 && ilc.Text >= attributed)
            {
                ulong rest = ilc.Text - attributed;
                ulong restImage = textImage > attributedImage ? textImage - attributedImage : 0;
                if (rest > 0 || restImage > 0)
                    methods.Add(new Part { Name = "alignment and unnamed code", Kind = "code-other", FileBytes = rest, MemoryBytes = rest, ImageBytes = restImage });
                methods.Total();
            }
            else
            {
                methods.Children.Clear();
                methods.FileBytes = methods.MemoryBytes = ilc.Text;
                methods.ImageBytes = textImage;
                methods.ExpandedBytes = ilc.Text;
            }
            code.Add(new Part
            {
                Name = "types, metadata and static data", Kind = "app-data",
                FileBytes = ilc.ReadOnly + ilc.Data, MemoryBytes = ilc.ReadOnly + ilc.Data + ilc.Bss,
                ImageBytes = ImageBytesOf(inputs, ilc.Path, costs, s => !IsCode(s)),
                Detail = $"read-only {ilc.ReadOnly:N0} (MethodTables, frozen strings, unwind and GC info, metadata), data {ilc.Data:N0}, bss {ilc.Bss:N0} bytes",
            });
            parts.Add(code.Total());
        }

        if (Of(InputKind.Other).Count > 0)
        {
            var other = new Part { Name = "other native inputs", Kind = "native", Detail = "objects and archives that are neither the runtime, libc nor the ILC object" };
            foreach (var part in ByArchive(Of(InputKind.Other), "native-archive", inputs, costs)) other.Add(part);
            parts.Add(other.Total());
        }

        // What the app's segments hold beyond its inputs: its ELF headers, linker tables, alignment.
        ulong segmentFile = segments.Aggregate(0UL, (t, s) => t + s.FileSize);
        ulong segmentMemory = segments.Aggregate(0UL, (t, s) => t + s.MemorySize);
        ulong segmentImage = segments.Aggregate(0UL, (t, s) => t + costs.OfAddressRange(s.Address, s.FileSize));
        var inputFiles = appMap.Files.Where(f => f.Path != LinkerFile).ToList();
        ulong inputFile = inputFiles.Aggregate(0UL, (t, f) => t + f.FileBytes);
        ulong inputMemory = inputFiles.Aggregate(0UL, (t, f) => t + f.MemoryBytes);
        ulong inputImage = inputFiles.Aggregate(0UL, (t, f) => t + ImageBytesOf(inputs, f.Path, costs));
        foreach (var piece in LinkerPieces(appMap, costs))
        {
            parts.AddOther(new Part
            {
                Name = $"{(embedded ? "app: " : "")}linker-generated {piece.Section}", Kind = "linker", FileBytes = piece.FileBytes, MemoryBytes = piece.Size,
                ImageBytes = piece.ImageBytes,
                Detail = piece.Section == ".eh_frame_hdr" ? "the unwinder's index of .eh_frame" : piece.Section == ".got" ? "global offset table" : "made by uk-ld",
            });
            inputFile += piece.FileBytes;
            inputMemory += piece.Size;
            inputImage += piece.ImageBytes;
        }
        // Embedded, the app's own ELF headers are inside its first segment; a plain executable's are the file's own
        // (counted once, by the accounting below) and the rest is alignment padding.
        if (embedded)
        {
            parts.AddOther(new Part
            {
                Name = "app: ELF headers and alignment in its segments", Kind = "app-structure",
                FileBytes = segmentFile > inputFile ? segmentFile - inputFile : 0,
                MemoryBytes = segmentMemory > inputMemory ? segmentMemory - inputMemory : 0,
                ImageBytes = segmentImage > inputImage ? segmentImage - inputImage : 0,
                Detail = "the executable's ELF and program headers (loaded: the kernel reads them) and padding between its sections",
            });
        }
    }

    private static Part Sum(string name, string kind, List<LinkMap.FileContribution> files,
                            ILookup<string, (LinkMap.Section Section, LinkMap.Input Input)> inputs, ImageBytesAttribution costs, string? detail = null) => new()
    {
        Name = name, Kind = kind, Detail = detail,
        FileBytes = files.Aggregate(0UL, (t, f) => t + f.FileBytes),
        ImageBytes = files.Aggregate(0UL, (t, f) => t + ImageBytesOf(inputs, f.Path, costs)),
        MemoryBytes = files.Aggregate(0UL, (t, f) => t + f.MemoryBytes),
    };

    /// <summary>One part per archive (its members as children) or per plain object, largest first.</summary>
    private static IEnumerable<Part> ByArchive(List<LinkMap.FileContribution> files, string kind,
                                               ILookup<string, (LinkMap.Section Section, LinkMap.Input Input)> inputs, ImageBytesAttribution costs)
    {
        foreach (var group in files.GroupBy(f => ArchiveOf(f.Path) ?? f.Path))
        {
            bool archive = ArchiveOf(group.First().Path) is not null;
            var part = new Part
            {
                Name = Path.GetFileName(group.Key), Kind = kind,
                Detail = archive ? $"{group.Count(f => f.MemoryBytes > 0):N0} members linked" : null,
            };
            if (archive)
            {
                foreach (var member in group.Where(f => f.MemoryBytes > 0).OrderByDescending(f => f.FileBytes))
                {
                    string name = member.Path[(group.Key.Length + 1)..^1];
                    part.Add(new Part
                    {
                        Name = name, Kind = "member", FileBytes = member.FileBytes, MemoryBytes = member.MemoryBytes,
                        ImageBytes = ImageBytesOf(inputs, member.Path, costs),
                    });
                }
                part.Total();
            }
            else
            {
                part.FileBytes = group.Aggregate(0UL, (t, f) => t + f.FileBytes);
                part.MemoryBytes = group.Aggregate(0UL, (t, f) => t + f.MemoryBytes);
                part.ImageBytes = group.Aggregate(0UL, (t, f) => t + ImageBytesOf(inputs, f.Path, costs));
            }
            yield return part;
        }
    }

    private static void AddAppBySections(ElfFile elf, List<LinkMap.AppSegment> segments, Accounting parts, ImageReport report,
                                         ImageBytesAttribution costs, string name)
    {
        var part = new Part { Name = $"app ({name}, by section)", Kind = "app", Detail = "no link map: the executable's allocated sections by kind" };
        var alloc = elf.Sections.Where(s => s.IsAllocated && s.Size > 0).ToList();
        foreach (var (label, kind, which) in new (string, string, Func<ElfSection, bool>)[]
                 {
                     ("code", "app-code", s => s.IsExecutable),
                     ("read-only data", "app-rodata", s => !s.IsWritable),
                     ("data and bss", "app-data", _ => true),
                 })
        {
            var chosen = alloc.Where(which).ToList();
            alloc.RemoveAll(chosen.Contains);
            if (chosen.Count == 0) continue;
            part.Add(new Part
            {
                Name = label, Kind = kind, Detail = "sections " + string.Join(", ", chosen.Select(s => s.Name)),
                FileBytes = chosen.Aggregate(0UL, (t, s) => t + s.FileSize), MemoryBytes = chosen.Aggregate(0UL, (t, s) => t + s.Size),
                ImageBytes = chosen.Aggregate(0UL, (t, s) => t + costs.OfSection(s)),
            });
        }
        if (part.Children.Count == 0)
            foreach (var s in segments)
                part.Add(new Part
                {
                    Name = $"{SegmentName(s.Flags)} segment ({s.Flags})", Kind = "app-segment", FileBytes = s.FileSize, MemoryBytes = s.MemorySize,
                    ImageBytes = costs.OfAddressRange(s.Address, s.FileSize),
                });
        parts.Add(part.Total());
        report.Notes.Add("no link map for this executable: pass --map FILE to split it into runtime, libc and app code");
    }

    // ---- .NET code by assembly and namespace ----

    /// <summary>Attributes functions to assemblies/namespaces; <paramref name="unrecognisedBucket"/> keeps names the
    /// demangler does not know (they are known to be ILC code: methods exported under C names) in one bucket.</summary>
    private static void AttributeManaged(IEnumerable<KernelSymbolTable.Function> candidates, ImageReport report, ImageBytesAttribution costs,
                                         string appName, bool unrecognisedBucket)
    {
        var known = new[] { appName };
        var byNamespace = new Dictionary<(string Assembly, string Namespace), (ulong Bytes, int Count, ulong Image)>();
        foreach (var f in candidates)
        {
            var name = IlcNames.Demangle(f.PlainName, known);
            (string, string) key;
            if (name is not null) key = (name.Assembly, name.NamespaceOrGlobal);
            else if (unrecognisedBucket) key = ("(C-callable exports)", "(RuntimeExport methods, entry points)");
            else continue;
            byNamespace.TryGetValue(key, out var v);
            byNamespace[key] = (v.Bytes + f.Size, v.Count + 1, v.Image + costs.OfAddressRange(f.Address, f.Size));
        }
        report.Namespaces.Clear();
        report.Assemblies.Clear();
        foreach (var ((assembly, ns), (bytes, count, image)) in byNamespace.OrderByDescending(p => p.Value.Bytes).ThenBy(p => p.Key.Assembly).ThenBy(p => p.Key.Namespace))
            report.Namespaces.Add(new CodeGroup(assembly, ns, bytes, count, image));
        foreach (var g in report.Namespaces.GroupBy(n => n.Assembly)
                     .Select(g => new CodeGroup(g.Key, null, g.Aggregate(0UL, (t, n) => t + n.Bytes), g.Sum(n => n.Functions),
                                                g.Aggregate(0UL, (t, n) => t + n.ImageBytes)))
                     .OrderByDescending(g => g.Bytes).ThenBy(g => g.Assembly))
            report.Assemblies.Add(g);
        report.ManagedCodeBytes = report.Assemblies.Aggregate(0UL, (t, a) => t + a.Bytes);
        report.ManagedFunctions = report.Assemblies.Sum(a => a.Functions);
    }

    /// <summary>Collects the top-level groups and closes the books: ELF headers, the section table and non-loaded
    /// sections, and alignment padding, so that the parts add up to the file's size.</summary>
    private sealed class Accounting(ElfFile elf, ImageBytesAttribution costs)
    {
        private readonly List<Part> _parts = [];
        private readonly List<Part> _other = [];

        public void Add(Part part) { if (part.FileBytes > 0 || part.MemoryBytes > 0) _parts.Add(part); }
        public void AddOther(Part part) { if (part.FileBytes > 0 || part.MemoryBytes > 0) _other.Add(part); }

        public void Finish(ImageReport report)
        {
            bool headersLoaded = elf.Loads.Any(l => l.Offset == 0 && l.FileSize >= elf.HeadersSize);
            var other = new Part { Name = "ELF structure and padding", Kind = "other", Detail = "headers, tables that are not loaded, alignment" };
            other.Add(new Part
            {
                Name = "ELF header and program headers", Kind = "elf-headers", FileBytes = elf.HeadersSize, MemoryBytes = headersLoaded ? elf.HeadersSize : 0,
                ImageBytes = costs.OfFileRange(0, elf.HeadersSize),
            });
            foreach (var p in _other) other.Add(p);
            var unloaded = elf.Sections.Where(s => !s.IsAllocated && s.Type != 0).ToList();
            ulong unloadedBytes = unloaded.Aggregate(0UL, (t, s) => t + s.FileSize) + elf.SectionTableSize;
            if (unloadedBytes > 0)
                other.Add(new Part
                {
                    Name = "symbols and section table (not loaded)", Kind = "unloaded", FileBytes = unloadedBytes,
                    ImageBytes = unloaded.Aggregate(0UL, (t, s) => t + costs.OfSection(s)) + costs.OfFileRange(elf.SectionHeaderOffset, elf.SectionTableSize),
                    Detail = string.Join(", ", unloaded.Select(s => s.Name).Append("section headers")),
                });
            if (costs.PayloadHeaderBytes > 0)
                other.Add(new Part
                {
                    Name = "compressed payload's header and region table", Kind = "payload-header", ImageBytes = costs.PayloadHeaderBytes,
                    Detail = "uk_payload's header and its record of each region; in guest memory only until the kernel has expanded them",
                });
            ulong file = _parts.Concat(other.Children).Aggregate(0UL, (t, p) => t + p.FileBytes);
            ulong memory = _parts.Concat(other.Children).Aggregate(0UL, (t, p) => t + p.MemoryBytes);
            ulong image = _parts.Concat(other.Children).Aggregate(0UL, (t, p) => t + p.ImageBytes);
            ulong fileSize = (ulong)elf.FileSize, imageSize = (ulong)costs.ImageFileSize;
            if (file > fileSize) report.Notes.Add($"the parts add up to {file - fileSize:N0} bytes more than the file (inconsistent map?)");
            else if (image > imageSize) report.Notes.Add($"the parts' image bytes add up to {image - imageSize:N0} bytes more than the file (inconsistent map?)");
            ulong padFile = fileSize > file ? fileSize - file : 0;
            ulong padMemory = report.LoadedSize > memory ? report.LoadedSize - memory : 0;
            ulong padImage = imageSize > image ? imageSize - image : 0;
            if (padFile > 0 || padMemory > 0 || padImage > 0)
                other.Add(new Part
                {
                    Name = "alignment padding", Kind = "padding", FileBytes = padFile, MemoryBytes = padMemory, ImageBytes = padImage,
                    Detail = costs.IsCompressed
                        ? "between sections and segments (segments start on page boundaries); in the file, around the payload and its blocks"
                        : "between sections and segments (segments start on page boundaries)",
                });
            report.Parts.AddRange(_parts);
            report.Parts.Add(other.Total());
        }
    }
}
