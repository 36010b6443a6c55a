using System.Text;
using System.Text.Json;
using Unikernel.Tools.Inspect;
using Unikernel.Tools.Inspect.Render;

namespace Unikernel.Tools.Tests;

public class InspectTests
{
    // ---- a synthetic image: kernel sections, an app's section-less segments, uk_ksyms after the app ----

    public static readonly (ulong Address, uint Size, string Name)[] Functions =
    [
        (0x100000, 0x20, "uk_pvh_entry"),
        (0x101000, 0x100, "Kernel_Kernel_Boot_KernelEntry__Main"),
        (0x401000, 0x100, "app:S_P_CoreLib_System_String__Concat"),
        (0x401100, 0x40, "app:hello_Program__Main"),
        (0x401140, 0x20, "app:RhpNewFast"),          // in the ILC object, but a C-callable export
        (0x401200, 0x60, "app:_ZN3WKS7gc_heap8allocateEv"),
        (0x401300, 0x30, "app:strlen"),
    ];

    public static TestElf SyntheticElf(bool withApp, byte[]? imageInfo = null, byte[]? files = null, bool tableBeside = false)
    {
        var elf = new TestElf { Entry = 0x100000 };
        elf.Sections.Add(new(".text.boot", 0x100000, new byte[0x100], TestElf.Alloc | TestElf.Exec));
        elf.Sections.Add(new("__managedcode", 0x101000, new byte[0x300], TestElf.Alloc | TestElf.Exec));
        elf.Sections.Add(new(".rodata", 0x102000, new byte[0x80]));
        elf.Sections.Add(new(".data", 0x103000, new byte[0x40], TestElf.Alloc | TestElf.Write));
        elf.Sections.Add(new(".bss", 0x104000, [], TestElf.Alloc | TestElf.Write, Type: 8, MemorySize: 0x2000));
        if (imageInfo is not null) elf.Sections.Add(new(ImageInfoReader.SectionName, 0x105000, imageInfo));
        var functions = withApp ? Functions : Functions.Where(f => !f.Name.StartsWith("app:")).ToArray();
        elf.Sections.Add(new("uk_ksyms", 0x500000, KernelSymbolTable.Build(tableBeside ? [] : functions)));
        if (files is not null) elf.Sections.Add(new("uk_files", 0x508000, files));
        elf.Sections.Add(new(".symtab", 0, new byte[0x90], 0, Type: 2));
        if (withApp)
        {
            elf.Segments.Add(new(0x400000, new byte[0x200], 4));
            elf.Segments.Add(new(0x401000, new byte[0x400], 5));
            elf.Segments.Add(new(0x402000, new byte[0x100], 6, 0x800));
        }
        return elf;
    }

    public static string SyntheticImage(TempDirectory dir, bool withApp, string name = "app.img")
        => SyntheticElf(withApp).WriteTo(dir.File(name));

    /// <summary>The image map uk-ld would write for <see cref="SyntheticElf"/> (segments from the file itself).</summary>
    public static string ImageMap(string imagePath, string appPath)
    {
        var elf = ElfFile.Read(imagePath);
        ulong ksyms = elf.FindSection("uk_ksyms")!.Size;
        var m = new StringBuilder("# uk-ld link map v1\n# entry\tsymbol\taddress\nentry\tuk_pvh_entry\t0x100000\nimage\t0x100000\t0x106000\n\n");
        var appLoads = elf.Loads.Where(l => l.VirtualAddress is >= 0x400000 and < 0x500000).ToList();
        m.Append($"app\t{appPath}\t0x401000\t0x400040\t0x3\t0x400000\t0x403000\t0x4\tfuture-column\n");
        foreach (var (l, i) in appLoads.Select((l, i) => (l, i)))
            m.Append($"app-segment\t0x{i:x}\t{l.FlagsText}\t0x{l.VirtualAddress:x}\t0x{l.Offset:x}\t0x{l.FileSize:x}\t0x{l.MemorySize:x}\t0x0\n");
        m.Append("unit\tdefault\t0x2\n");
        foreach (var l in elf.Loads.Where(l => l.VirtualAddress is >= 0x100000 and < 0x400000 or >= 0x500000))
            m.Append($"segment\tLOAD\t{l.FlagsText}\t0x{l.VirtualAddress:x}\t0x{l.Offset:x}\t0x{l.FileSize:x}\t0x{l.MemorySize:x}\n");
        m.Append("a-record-from-the-future\t1\t2\n");
        m.Append("section\t.text.boot\t0x100000\t0x100\t0x10\tText\n\tinput\tartifacts/boot/boot.o\t.text.boot\t0x100000\t0x100\t0x10\tdefault\n");
        m.Append("section\t__managedcode\t0x101000\t0x300\t0x20\tText\n\tinput\tartifacts/kernel/kernel.o\t__managedcode\t0x101000\t0x300\t0x20\tdefault\n");
        m.Append($"section\tuk_ksyms\t0x500000\t0x{ksyms:x}\t0x8\tSymbols\n\tinput\t<linker>\tuk_ksyms\t0x500000\t0x{ksyms:x}\t0x8\t-\n");
        m.Append("file\tartifacts/boot/boot.o\t0x100\t0x0\t0x40\t0x2000\t0x2140\tdefault\n");
        m.Append("file\tartifacts/kernel/kernel.o\t0x300\t0x80\t0x0\t0x0\t0x380\tdefault\n");
        m.Append($"file\t<linker>\t0x0\t0x{ksyms:x}\t0x0\t0x0\t0x{ksyms:x}\t-\n");
        return m.ToString();
    }

    private const string Runtime = "/nuget/microsoft.netcore.app.runtime.nativeaot.linux-x64/10.0.12/runtimes/linux-x64/native/libRuntime.WorkstationGC.a";
    private const string Libc = "/usr/lib/x86_64-linux-musl/libc.a";

    /// <summary>The app's own map: its three segments and its inputs (ILC object, runtime, libc, start file, linker).</summary>
    public static string AppMap(ulong textSize = 0x400)
    {
        var m = new StringBuilder("# uk-ld link map v1\nentry\t_start\t0x401380\nimage\t0x400000\t0x403000\n");
        m.Append("segment\tLOAD\tR--\t0x400000\t0x0\t0x200\t0x200\n");
        m.Append($"segment\tLOAD\tR-X\t0x401000\t0x1000\t0x{textSize:x}\t0x{textSize:x}\n");
        m.Append("segment\tLOAD\tRW-\t0x402000\t0x2000\t0x100\t0x800\n");
        m.Append("section\t.rodata\t0x400100\t0x100\t0x20\tReadOnly\n");
        m.Append("\tinput\t/obj/native/hello.o\t.rodata\t0x400100\t0xc0\t0x20\tdefault\n");
        m.Append($"\tinput\t{Libc}(printf.lo)\t.rodata\t0x4001c0\t0x40\t0x20\tdefault\n");
        m.Append("section\t.eh_frame_hdr\t0x400200\t0x40\t0x4\tReadOnly\n\tinput\t<linker>\t.eh_frame_hdr\t0x400200\t0x40\t0x4\t-\n");
        m.Append("section\t__managedcode\t0x401000\t0x200\t0x20\tText\n\tinput\t/obj/native/hello.o\t__managedcode\t0x401000\t0x200\t0x20\tdefault\n");
        m.Append("section\t.text\t0x401200\t0x200\t0x10\tText\n");
        m.Append($"\tinput\t{Runtime}(gc.cpp.o)\t.text\t0x401200\t0x100\t0x10\tdefault\n");
        m.Append($"\tinput\t{Libc}(strlen.lo)\t.text\t0x401300\t0x80\t0x10\tdefault\n");
        m.Append("\tinput\t/usr/lib/x86_64-linux-musl/crt1.o\t.text\t0x401380\t0x20\t0x10\tdefault\n");
        m.Append("file\t/obj/native/hello.o\t0x200\t0xc0\t0x80\t0x700\t0xa40\tdefault\n");
        m.Append($"file\t{Runtime}(gc.cpp.o)\t0x100\t0x0\t0x0\t0x0\t0x100\tdefault\n");
        m.Append($"file\t{Runtime}(unused.cpp.o)\t0x0\t0x0\t0x0\t0x0\t0x0\tdefault\n");
        m.Append($"file\t{Libc}(printf.lo)\t0x0\t0x40\t0x0\t0x0\t0x40\tdefault\n");
        m.Append($"file\t{Libc}(strlen.lo)\t0x80\t0x0\t0x0\t0x0\t0x80\tdefault\n");
        m.Append("file\t/usr/lib/x86_64-linux-musl/crt1.o\t0x20\t0x0\t0x0\t0x0\t0x20\tdefault\n");
        m.Append("file\t/tmp/uk-cc-glibc-compat-1.o\t0x10\t0x0\t0x0\t0x0\t0x10\tdefault\n");
        m.Append("file\t<linker>\t0x0\t0x40\t0x0\t0x0\t0x40\t-\n");
        return m.ToString();
    }

    private static Part Group(ImageReport report, string kind) => Assert.Single(report.Parts, p => p.Kind == kind);

    internal static void AssertAddsUp(ImageReport report)
    {
        Assert.Equal((ulong)report.FileSize, report.Parts.Aggregate(0UL, (t, p) => t + p.FileBytes));
        Assert.Equal((ulong)report.ImageFileSize, report.Parts.Aggregate(0UL, (t, p) => t + p.ImageBytes));
        Assert.Equal(report.ExpandedSize, report.Parts.Aggregate(0UL, (t, p) => t + p.ExpandedBytes));
        Assert.Equal(report.LoadedSize, report.Parts.Aggregate(0UL, (t, p) => t + p.MemoryBytes));
        void Check(Part p)
        {
            if (p.Children.Count == 0) return;
            Assert.Equal(p.FileBytes, p.Children.Aggregate(0UL, (t, c) => t + c.FileBytes));
            Assert.Equal(p.ImageBytes, p.Children.Aggregate(0UL, (t, c) => t + c.ImageBytes));
            Assert.Equal(p.ExpandedBytes, p.Children.Aggregate(0UL, (t, c) => t + c.ExpandedBytes));
            foreach (var c in p.Children) Check(c);
        }
        foreach (var p in report.Parts) Check(p);
    }

    // ---- the image's files (uk_files) ----

    [Fact]
    public void TheImagesFilesAreListedWithTheirSizesAndCountedAsAPart()
    {
        using var dir = new TempDirectory();
        byte[] files = ImageFilesReader.Build(
        [
            ("/app/hello", []), ("/app/appsettings.json", new byte[242]), ("/app/wwwroot/css/site.css", new byte[68]),
            .. Enumerable.Range(0, 12).Select(i => ($"/usr/share/zoneinfo/Zone{i}", new byte[100 + i])),
        ], "/app/hello");
        string image = SyntheticElf(withApp: true, files: files).WriteTo(dir.File("files.img"));
        var report = ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = dir.Path });

        var fs = report.Files.FileSystem!;
        Assert.Equal("/app/hello", fs.ExecutablePath);
        Assert.Equal(15, fs.FileCount);
        Assert.Contains(new ImageFileEntry("/app/wwwroot/css/site.css", "file", 68), fs.Entries);
        Assert.Equal((ulong)files.Length, Group(report, "files").FileBytes);
        AssertAddsUp(report);

        var text = new StringWriter();
        TextReport.Write(report, text, new Unikernel.Tools.Cli.TerminalStyle(false));
        Assert.Matches(@"/app/appsettings\.json +242", text.ToString());
        Assert.Matches(@"/app/hello \(the executable\) +0", text.ToString());
        // A folder with many files outside /app is one line.
        Assert.Matches(@"/usr/share/zoneinfo/ \(12 files\) +1,266", text.ToString());

        using var json = JsonDocument.Parse(JsonReport.Build(report).ToJsonString());
        var entries = json.RootElement.GetProperty("files").GetProperty("entries");
        Assert.Contains(entries.EnumerateArray(), e => e.GetProperty("path").GetString() == "/usr/share/zoneinfo/Zone11" &&
                                                       e.GetProperty("size").GetUInt64() == 111);
    }

    [Fact]
    public void PackedFilesShowTheirStoredAndExpandedSizes()
    {
        using var dir = new TempDirectory();
        // LZ4 blocks of literals only: a token, the length beyond 15 in bytes of 255 and a last one below, the bytes.
        static byte[] Literals(byte[] input)
        {
            var block = new List<byte> { 0xF0 };
            int more = input.Length - 15;
            for (; more >= 255; more -= 255) block.Add(255);
            block.Add((byte)more);
            return [.. block, .. input];
        }
        byte[] files = ImageFilesReader.Build(
        [
            ("/app/hello", []), .. Enumerable.Range(0, 12).Select(i => ($"/usr/share/zoneinfo/Zone{i}", Enumerable.Repeat((byte)i, 1000).ToArray())),
        ], "/app/hello", Literals, blockSize: 4096);
        string image = SyntheticElf(withApp: true, files: files).WriteTo(dir.File("packed.img"));
        var report = ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = dir.Path });

        var packed = report.Files.FileSystem!.Packed!;
        Assert.Equal((12, 12_000L, 3, 4096), (packed.FileCount, packed.ExpandedBytes, packed.BlockCount, packed.BlockSize));
        // Blocks of 4,096, 4,096 and 3,808 bytes, each behind a token and 17, 17 and 15 length bytes.
        Assert.Equal(4_096 + 18 + 4_096 + 18 + 3_808 + 16, packed.StoredBytes);
        Assert.Contains(new ImageFileEntry("/usr/share/zoneinfo/Zone11", "file", 1000), report.Files.FileSystem.Entries);
        Assert.Equal((ulong)files.Length, Group(report, "files").FileBytes);

        var text = new StringWriter();
        TextReport.Write(report, text, new Unikernel.Tools.Cli.TerminalStyle(false));
        Assert.Contains("Packed: 12 files, 12,000 bytes expanded, in 3 LZ4 blocks of 4,096 bytes", text.ToString());
        using var json = JsonDocument.Parse(JsonReport.Build(report).ToJsonString());
        var inJson = json.RootElement.GetProperty("files").GetProperty("packed");
        Assert.Equal((12_000, 3), (inJson.GetProperty("expandedBytes").GetInt64(), inJson.GetProperty("blocks").GetInt32()));
    }

    // ---- ELF alone ----

    [Fact]
    public void WithoutAMapTheElfFileAloneIsBrokenDown()
    {
        using var dir = new TempDirectory();
        var report = ImageAnalyzer.Analyze(SyntheticImage(dir, withApp: true), new InspectOptions { CurrentDirectory = dir.Path });
        Assert.True(report.Bootable);
        Assert.Null(report.MapPath);
        Assert.Contains(report.Notes, n => n.Contains("no link map next to the image"));
        var kernel = Group(report, "kernel");
        Assert.Equal(["boot stub code (.text.boot)", "function table (uk_ksyms)", "kernel code", "kernel read-only data", "kernel data and bss"],
                     kernel.Children.Select(c => c.Name));
        Assert.Equal(0x300UL, kernel.Children.Single(c => c.Name == "kernel code").FileBytes);
        Assert.Equal(0x2040UL, kernel.Children.Single(c => c.Name == "kernel data and bss").MemoryBytes);
        var app = Group(report, "app");
        Assert.Equal([0x200UL, 0x400, 0x100], app.Children.Select(c => c.FileBytes));
        Assert.Equal(0x800UL, app.Children[2].MemoryBytes);
        Assert.Equal((2, 5), (report.KernelFunctions, report.AppFunctions));
        Assert.Equal(3, report.Segments.Count(s => s.Owner == "app"));
        AssertAddsUp(report);
        // The app's .NET methods by name alone: CoreLib's String and the app's Program; C and C++ names are not .NET.
        Assert.Equal(["System.Private.CoreLib", "hello"], report.Assemblies.Select(a => a.Assembly));
        Assert.Equal(0x140UL, report.ManagedCodeBytes);
    }

    [Fact]
    public void AKernelWithoutAnAppHasNoAppGroup()
    {
        using var dir = new TempDirectory();
        var report = ImageAnalyzer.Analyze(SyntheticImage(dir, withApp: false));
        Assert.DoesNotContain(report.Parts, p => p.Kind == "app");
        Assert.Empty(report.Assemblies);
        Assert.Equal(0, report.AppFunctions);
        AssertAddsUp(report);
    }

    // ---- with maps ----

    private static (string Image, string AppMap) WithMaps(TempDirectory dir, bool staleMapNextToExe = false)
    {
        string image = SyntheticImage(dir, withApp: true, name: "hello.img");
        Directory.CreateDirectory(dir.File("apps/hello"));
        File.WriteAllBytes(dir.File("apps/hello/hello"), [0x7F]);
        File.WriteAllText(dir.File("hello.img.map"), ImageMap(image, "apps/hello/hello"));
        string native = dir.File("apps/build/bin/hello/release_linux-x64/native");
        Directory.CreateDirectory(native);
        string appMap = Path.Combine(native, "hello.map");
        File.WriteAllText(appMap, AppMap());
        if (staleMapNextToExe) File.WriteAllText(dir.File("apps/hello/hello.map"), AppMap(textSize: 0x999));
        return (image, appMap);
    }

    [Fact]
    public void WithBothMapsThePartsAreKernelRuntimeLibcAndAppCode()
    {
        using var dir = new TempDirectory();
        var (image, appMap) = WithMaps(dir);
        var report = ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = dir.Path });
        Assert.Equal(dir.File("hello.img.map"), report.MapPath);
        Assert.Equal("apps/hello/hello", report.AppPath);
        Assert.Equal("apps/build/bin/hello/release_linux-x64/native/hello.map", report.AppMapPath);   // shown relative to the current directory
        Assert.Equal(["kernel", "runtime", "libc", "app-code", "other"], report.Parts.Select(p => p.Kind));

        var kernel = Group(report, "kernel");
        Assert.Equal(["boot stub (boot.o)", "kernel (kernel.o)", "function table (uk_ksyms)"], kernel.Children.Select(c => c.Name));
        Assert.Equal((0x140UL, 0x2140UL), (kernel.Children[0].FileBytes, kernel.Children[0].MemoryBytes));

        var runtime = Group(report, "runtime");
        var archive = Assert.Single(runtime.Children);
        Assert.Equal("libRuntime.WorkstationGC.a", archive.Name);
        Assert.Equal("gc.cpp.o", Assert.Single(archive.Children).Name);   // members that contribute nothing are left out

        var libc = Group(report, "libc");
        Assert.Equal(["libc.a", "C start-up files (crt1.o)", "glibc compatibility shim (uk-cc)"], libc.Children.Select(c => c.Name));
        Assert.Equal(0xC0UL, libc.Children[0].FileBytes);

        var code = Group(report, "app-code");
        Assert.Equal("app code (hello.o)", code.Name);
        Assert.Equal((0x340UL, 0xA40UL), (code.FileBytes, code.MemoryBytes));
        var methods = code.Children[0];
        Assert.Equal(0x200UL, methods.FileBytes);
        // Only functions inside the ILC object count as .NET code; an export under a C name is kept apart.
        Assert.Equal(["System.Private.CoreLib", "hello", "(C-callable exports)", "alignment and unnamed code"], methods.Children.Select(c => c.Name));
        Assert.Equal(3, report.ManagedFunctions);
        Assert.Equal(0x160UL, report.ManagedCodeBytes);

        var other = Group(report, "other");
        Assert.Contains(other.Children, c => c.Name == "app: linker-generated .eh_frame_hdr" && c.FileBytes == 0x40);
        Assert.Contains(other.Children, c => c.Name == "app: ELF headers and alignment in its segments");
        AssertAddsUp(report);
    }

    [Fact]
    public void AStaleAppMapIsPassedOverForTheOneThatMatches()
    {
        using var dir = new TempDirectory();
        var (image, appMap) = WithMaps(dir, staleMapNextToExe: true);
        var report = ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = "/nonexistent" });
        Assert.Equal(Path.GetFullPath(appMap), report.AppMapPath);
        Assert.Contains(report.Notes, n => n.Contains("ignored") && n.Contains("apps/hello/hello.map"));
    }

    [Fact]
    public void WithoutTheAppMapTheAppIsItsSegments()
    {
        using var dir = new TempDirectory();
        var (image, appMap) = WithMaps(dir);
        File.Delete(appMap);
        var report = ImageAnalyzer.Analyze(image);
        Assert.Null(report.AppMapPath);
        Assert.Equal("app (hello, not broken down)", Group(report, "app").Name);
        Assert.Contains(report.Notes, n => n.Contains("--app-map"));
        AssertAddsUp(report);
    }

    [Fact]
    public void AnExplicitAppMapIsUsed()
    {
        using var dir = new TempDirectory();
        var (image, appMap) = WithMaps(dir);
        string elsewhere = dir.File("elsewhere.map");
        File.Move(appMap, elsewhere);
        var report = ImageAnalyzer.Analyze(image, new InspectOptions { AppMapPath = elsewhere, CurrentDirectory = "/nonexistent" });
        Assert.Equal(elsewhere, report.AppMapPath);
        Assert.Single(report.Parts, p => p.Kind == "app-code");
        Assert.Throws<FileNotFoundException>(() => ImageAnalyzer.Analyze(image, new InspectOptions { AppMapPath = dir.File("none.map") }));
    }

    [Fact]
    public void AMapOfAnotherImageIsNotUsed()
    {
        using var dir = new TempDirectory();
        var (image, _) = WithMaps(dir);
        File.WriteAllText(dir.File("hello.img.map"), ImageMap(image, "apps/hello/hello").Replace("segment\tLOAD\tR-X\t0x100000", "segment\tLOAD\tR-X\t0x900000"));
        var report = ImageAnalyzer.Analyze(image);
        Assert.Null(report.MapPath);
        Assert.Contains(report.Notes, n => n.Contains("does not describe this image"));
        AssertAddsUp(report);
    }

    [Fact]
    public void AMapThatIsNotALinkMapIsANote()
    {
        using var dir = new TempDirectory();
        string image = SyntheticImage(dir, withApp: true, name: "x.img");
        File.WriteAllText(dir.File("x.map"), "not a map\n");
        var report = ImageAnalyzer.Analyze(image);
        Assert.Null(report.MapPath);
        Assert.Contains(report.Notes, n => n.Contains("not a uk-ld link map"));
    }

    // ---- image info ----

    private static readonly string HashA = new('a', 64), HashB = new('b', 64);

    private static byte[] SampleInfo(string version = "1.2.3") =>
        ImageInfoReader.Build("hello", version, Enumerable.Repeat((byte)0xAB, 32).ToArray(),
            [new ImageInput("kernel.o", 1000, HashA, false), new ImageInput("hello", 2000, HashB, true)]);

    [Fact]
    public void ImageInfoIsReadWhenPresent()
    {
        using var dir = new TempDirectory();
        string image = SyntheticElf(withApp: false, SampleInfo()).WriteTo(dir.File("i.img"));
        var report = ImageAnalyzer.Analyze(image);
        Assert.Equal(ImageInfoReader.Status.Present, report.ImageInfo.Status);
        Assert.Equal("hello", report.ImageInfo.Info!.AppName);
        Assert.Equal("sha256:" + string.Concat(Enumerable.Repeat("ab", 32)), report.ImageInfo.Info.ContentHash);
        Assert.Equal([$"kernel.o (linked, 1,000 bytes) sha256:{HashA}", $"hello (app, 2,000 bytes) sha256:{HashB}"], report.ImageInfo.Info.Inputs);
        Assert.True(report.ImageInfo.Info.InputFiles[1].IsApp);
        var text = new StringWriter();
        TextReport.Write(report, text, Cli.TerminalStyle.Plain);
        Assert.Contains("image info hello 1.2.3", text.ToString());
        Assert.Contains("sha256:abab", text.ToString());
    }

    [Fact]
    public void AMalformedImageInfoIsReportedNotThrown()
    {
        using var dir = new TempDirectory();
        string image = SyntheticElf(withApp: false, "UKIMAGE1garbage"u8.ToArray()).WriteTo(dir.File("i.img"));
        var report = ImageAnalyzer.Analyze(image);
        Assert.Equal(ImageInfoReader.Status.Malformed, report.ImageInfo.Status);
    }

    [Fact]
    public void ImageInfoRoundTripsAndRejectsDamage()
    {
        var bytes = SampleInfo("ünïcode");
        var ok = ImageInfoReader.Parse(bytes);
        Assert.Equal(ImageInfoReader.Status.Present, ok.Status);
        Assert.Equal("ünïcode", ok.Info!.Version);

        Assert.Equal(ImageInfoReader.Status.Malformed, ImageInfoReader.Parse([]).Status);
        Assert.Equal(ImageInfoReader.Status.Malformed, ImageInfoReader.Parse("UKIMAGE2"u8.ToArray().Concat(bytes[8..]).ToArray()).Status);
        Assert.Equal(ImageInfoReader.Status.Malformed, ImageInfoReader.Parse(bytes[..30]).Status);   // truncated
        var badOffset = (byte[])bytes.Clone();
        BitConverter.GetBytes(0xFFFFu).CopyTo(badOffset, 48);                                          // the name's offset
        Assert.Equal(ImageInfoReader.Status.Malformed, ImageInfoReader.Parse(badOffset).Status);
        var badCount = (byte[])bytes.Clone();
        BitConverter.GetBytes(1000u).CopyTo(badCount, 12);                                             // more records than fit
        Assert.Equal(ImageInfoReader.Status.Malformed, ImageInfoReader.Parse(badCount).Status);
    }

    [SkippableFact]
    public void TheRealHelloImageCarriesItsInfo()
    {
        string? image = Artifacts.Find("artifacts/images/hello.img");
        Skip.If(image is null, "artifacts/images/hello.img is missing: run 'make build' first");
        var info = ImageInfoReader.Read(ElfFile.Read(image!));
        Assert.Equal(ImageInfoReader.Status.Present, info.Status);
        Assert.Equal("hello", info.Info!.AppName);
        Assert.Matches("^sha256:[0-9a-f]{64}$", info.Info.ContentHash);
        Assert.Contains(info.Info.InputFiles, i => i.IsApp && i.Name == "hello");
        Assert.Contains(info.Info.InputFiles, i => i.Name == "kernel.o");
    }

    // ---- readers ----

    [Fact]
    public void KernelSymbolTableRoundTrips()
    {
        var table = KernelSymbolTable.Parse(KernelSymbolTable.Build(Functions))!;
        Assert.Equal(Functions.Length, table.Count);
        Assert.Equal("S_P_CoreLib_System_String__Concat", table.Single(f => f.Address == 0x401000).PlainName);
        Assert.Equal(5, table.Count(f => f.IsApp));
        Assert.Null(KernelSymbolTable.Parse("XXXX0000000000000000"u8));
        var truncated = KernelSymbolTable.Build(Functions)[..40];
        Assert.Null(KernelSymbolTable.Parse(truncated));
    }

    [Fact]
    public void LinkMapsAreReadByPositionAndUnknownRecordsAreSkipped()
    {
        var map = LinkMap.Parse(AppMap());
        Assert.Equal("_start", map.EntrySymbol);
        Assert.Equal(3, map.Segments.Count);
        Assert.Equal(8, map.Files.Count);
        Assert.Equal(3, map.Sections.Single(s => s.Name == ".text").Inputs.Count);
        Assert.Equal(0x340UL, map.Files[0].FileBytes);
        var image = LinkMap.Parse("# uk-ld link map v1\napp\tx/y\t0x1\t0x2\t0x3\t0x4\t0x5\t0x6\textra\nmystery\t1\n");
        Assert.Equal("x/y", image.App!.Path);
        Assert.Throws<FormatException>(() => LinkMap.Parse("# some other map\n"));
        Assert.Throws<FormatException>(() => LinkMap.Parse("# uk-ld link map v1\nsegment\tLOAD\tR--\tzz\t0x0\t0x1\t0x1\n"));
    }

    [Theory]
    [InlineData("/obj/native/hello.o", ImageAnalyzer.InputKind.AppCode)]
    [InlineData("<linker>", ImageAnalyzer.InputKind.Linker)]
    [InlineData(Runtime + "(gc.cpp.o)", ImageAnalyzer.InputKind.Runtime)]
    [InlineData("/x/libSystem.Native.a(pal_io.c.o)", ImageAnalyzer.InputKind.Runtime)]
    [InlineData("/x/libbootstrapper.o", ImageAnalyzer.InputKind.Runtime)]
    [InlineData(Libc + "(printf.lo)", ImageAnalyzer.InputKind.Libc)]
    [InlineData("/usr/lib/x86_64-linux-musl/crti.o", ImageAnalyzer.InputKind.StartFiles)]
    [InlineData("/tmp/uk-cc-glibc-compat-2269.o", ImageAnalyzer.InputKind.LibcShim)]
    [InlineData("/src/mylib.a(thing.o)", ImageAnalyzer.InputKind.Other)]
    public void AppInputsAreClassified(string path, ImageAnalyzer.InputKind kind)
        => Assert.Equal(kind, ImageAnalyzer.Classify(path, new HashSet<string> { "/obj/native/hello.o" }));

    [Fact]
    public void TheAppMapIsFoundNextToTheExecutableOrInThePublishsNativeFolder()
    {
        using var dir = new TempDirectory();
        // dotnet publish without ArtifactsPath: bin/Release/net10.0/linux-x64/{publish/app, native/app.map}
        string rid = dir.File("bin/Release/net10.0/linux-x64");
        Directory.CreateDirectory(Path.Combine(rid, "publish"));
        Directory.CreateDirectory(Path.Combine(rid, "native"));
        File.WriteAllText(Path.Combine(rid, "native", "app.map"), "");
        Assert.Equal(Path.Combine(rid, "native", "app.map"), Assert.Single(AppMapLocator.MapCandidates(Path.Combine(rid, "publish", "app"))));
        File.WriteAllText(Path.Combine(rid, "publish", "app.map"), "");
        Assert.Equal(Path.Combine(rid, "publish", "app.map"), AppMapLocator.MapCandidates(Path.Combine(rid, "publish", "app")).First());
    }

    [Fact]
    public void ARelativeAppPathIsTriedAgainstTheImagesDirectoriesAndTheCurrentOne()
    {
        var candidates = AppMapLocator.ExecutableCandidates("apps/a/a", "/r/artifacts/images/a.img", "/cwd").ToList();
        Assert.Equal(["/cwd/apps/a/a", "/r/artifacts/images/apps/a/a", "/r/artifacts/apps/a/a", "/r/apps/a/a", "/apps/a/a"], candidates);
        Assert.Equal(["/abs/a"], AppMapLocator.ExecutableCandidates("/abs/a", "/r/x.img", "/cwd"));
    }

    // ---- reports ----

    [Fact]
    public void TheJsonHasTheReportsShape()
    {
        using var dir = new TempDirectory();
        var (image, _) = WithMaps(dir);
        var report = ImageAnalyzer.Analyze(image);
        var output = new StringWriter();
        JsonReport.Write(report, output);
        using var json = JsonDocument.Parse(output.ToString());
        CheckJsonShape(json.RootElement, report);
    }

    internal static void CheckJsonShape(JsonElement root, ImageReport report)
    {
        Assert.Equal(JsonReport.Format, root.GetProperty("format").GetString());
        var image = root.GetProperty("image");
        Assert.Equal(report.FileSize, image.GetProperty("fileSize").GetInt64());
        Assert.Equal(report.LoadedSize, image.GetProperty("loadedSize").GetUInt64());
        Assert.StartsWith("0x", image.GetProperty("entry").GetString());
        Assert.True(image.GetProperty("bootable").GetBoolean());
        Assert.Equal(JsonValueKind.String, root.GetProperty("map").ValueKind);
        Assert.Contains(root.GetProperty("imageInfo").GetProperty("status").GetString(), new[] { "present", "not-present", "malformed" });
        Assert.True(root.GetProperty("segments").GetArrayLength() > 0);
        foreach (var s in root.GetProperty("segments").EnumerateArray())
        {
            Assert.Contains(s.GetProperty("owner").GetString(), new[] { "kernel", "app", "symbols" });
            Assert.StartsWith("0x", s.GetProperty("address").GetString());
        }
        var parts = root.GetProperty("parts");
        Assert.Equal((ulong)report.FileSize, parts.EnumerateArray().Aggregate(0UL, (t, p) => t + p.GetProperty("fileBytes").GetUInt64()));
        foreach (var p in parts.EnumerateArray())
        {
            Assert.False(string.IsNullOrEmpty(p.GetProperty("name").GetString()));
            Assert.False(string.IsNullOrEmpty(p.GetProperty("kind").GetString()));
            p.GetProperty("memoryBytes").GetUInt64();
            p.GetProperty("percent").GetDouble();
            Assert.Equal(JsonValueKind.Array, p.GetProperty("children").ValueKind);
        }
        var functions = root.GetProperty("functions");
        Assert.Equal(report.AppFunctions, functions.GetProperty("app").GetInt32());
        Assert.Equal(report.ManagedCodeBytes, functions.GetProperty("managedBytes").GetUInt64());
        Assert.Equal(report.Assemblies.Count, root.GetProperty("assemblies").GetArrayLength());
        foreach (var a in root.GetProperty("assemblies").EnumerateArray())
        {
            a.GetProperty("name").GetString();
            a.GetProperty("bytes").GetUInt64();
            a.GetProperty("functions").GetInt32();
        }
        foreach (var n in root.GetProperty("namespaces").EnumerateArray())
        {
            n.GetProperty("assembly").GetString();
            n.GetProperty("namespace").GetString();
        }
        Assert.Equal(JsonValueKind.Array, root.GetProperty("notes").ValueKind);
    }

    [Fact]
    public void TheTextReportListsPartsAndTheLargestAssemblies()
    {
        using var dir = new TempDirectory();
        var (image, _) = WithMaps(dir);
        var report = ImageAnalyzer.Analyze(image);
        var output = new StringWriter();
        TextReport.Write(report, output, Cli.TerminalStyle.Plain, top: 1);
        string text = output.ToString();
        Assert.Contains("PART", text);
        Assert.Contains(".NET runtime (NativeAOT)", text);
        Assert.Contains("libc (musl)", text);
        Assert.Contains("app code (hello.o)", text);
        Assert.Contains("Largest assemblies", text);
        Assert.Contains("System.Private.CoreLib", text);
        Assert.Contains("... 2 more assemblies", text);
        Assert.Contains("image info not present", text);
        Assert.DoesNotContain("\u001b[", text);
    }

    [Fact]
    public void TheHtmlTreemapHasABoxPerVisiblePart()
    {
        using var dir = new TempDirectory();
        var (image, _) = WithMaps(dir);
        var report = ImageAnalyzer.Analyze(image);
        string svg = HtmlReport.Svg(report);
        foreach (var part in report.Parts.Where(p => p.FileBytes > 0))
            Assert.Contains($"<title>{System.Net.WebUtility.HtmlEncode(part.Name)}: {TextReport.N(part.FileBytes)} bytes", svg);
        Assert.True(svg.Split("<rect ").Length - 1 >= report.Parts.Count);
        string html = HtmlReport.Build(report);
        Assert.Contains("<title>uk inspect hello.img</title>", html);
        Assert.Contains("Largest assemblies", html);
    }

    // ---- the real image (make build) ----

    [SkippableFact]
    public void TheHelloImageIsBrokenDownFully()
    {
        string? image = Artifacts.Find("artifacts/images/hello.img");
        Skip.If(image is null, "artifacts/images/hello.img is missing: run 'make build' to inspect the real image");
        var report = ImageAnalyzer.Analyze(image!, new InspectOptions { CurrentDirectory = Artifacts.RepositoryRoot! });
        Assert.True(report.Bootable);
        Assert.NotNull(report.MapPath);
        Assert.Equal("hello", Path.GetFileName(report.AppPath));
        Assert.NotNull(report.AppMapPath);
        Assert.Equal(["kernel", "files", "runtime", "libc", "app-code", "other"], report.Parts.Select(p => p.Kind));
        AssertAddsUp(report);
        Assert.Contains(Group(report, "kernel").Children, c => c.Name == "boot stub (boot.o)");
        Assert.Contains(Group(report, "runtime").Children, c => c.Name.StartsWith("libRuntime.") && c.FileBytes > 100_000);
        Assert.Contains(Group(report, "libc").Children, c => c.Name == "libc.a");
        Assert.Equal("System.Private.CoreLib", report.Assemblies[0].Assembly);
        Assert.Contains(report.Assemblies, a => a.Assembly == "hello");
        Assert.Contains(report.Assemblies, a => a.Assembly == "System.Console");
        Assert.True(report.ManagedCodeBytes > 100_000);
        Assert.NotEqual(ImageInfoReader.Status.Malformed, report.ImageInfo.Status);
        Assert.True(report.KernelFunctions > 100 && report.AppFunctions > 1000);

        var output = new StringWriter();
        JsonReport.Write(report, output);
        using var json = JsonDocument.Parse(output.ToString());
        CheckJsonShape(json.RootElement, report);
    }
}

public class InspectWithoutSectionsTests
{
    [Fact]
    public void AnImageWithoutSectionHeadersIsItsSegments()
    {
        using var dir = new TempDirectory();
        string image = dir.File("probe.elf");
        File.WriteAllBytes(image, Unikernel.Tools.Qemu.ProbeGuest.Build());
        var report = ImageAnalyzer.Analyze(image);
        Assert.True(report.Bootable);
        var segments = Assert.Single(report.Parts, p => p.Kind == "kernel");
        Assert.Equal("loaded segments", segments.Name);
        Assert.Single(segments.Children);
        Assert.Contains(report.Notes, n => n.Contains("no section headers"));
        Assert.Equal((ulong)report.FileSize, report.Parts.Aggregate(0UL, (t, p) => t + p.FileBytes));
    }
}
