using System.Text;
using Unikernel.Boot;
using Unikernel.Formats;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker.Tests;

/// <summary>
/// uk_files (docs/boot-abi.md): what --files puts into an image, where the kernel finds it (uk_boot_info's FilesStart and
/// FilesEnd, after uk_ksyms in one segment), the manifest's checks, and reproducibility.
/// </summary>
public sealed class ImageFilesTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>The image as the host tools read it: a compressed one (uk-ld --compress) expanded, byte for byte the
    /// uncompressed file (CompressionTests holds the compressed form itself).</summary>
    private static byte[] ReadImage(string path) => UkPayloadCodec.Expand(File.ReadAllBytes(path));

    private string[]? _kernelInputs;

    private string[] KernelInputs() => _kernelInputs ??=
    [
        _harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())),
        _harness.Write("kernel.o", AppEmbeddingTests.KernelStub()),
    ];

    /// <param name="alsoNamed">A function name the app also has (an alias of one of its functions).</param>
    private string LinkApp(string name = "hello", string? alsoNamed = null, bool strip = false)
    {
        string output = Path.Combine(_harness.Directory, name);
        var app = AppEmbeddingTests.AppObject();
        if (alsoNamed is not null) app.Function(alsoNamed, ".text", 16, 1);
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = output,
            Kind = OutputKind.StaticExecutable,
            BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
            EntrySymbol = LinkOptions.DefaultExecutableEntrySymbol,
            InputPaths = [_harness.Write(name + ".o", app)],
            StripSymbols = strip,
        });
        return output;
    }

    private string Manifest(params string[] lines) => _harness.Write("files.txt", Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

    private byte[] LinkImage(string output, string? manifest, params string[] more)
    {
        string[] args = ["-o", output, .. KernelInputs(), "--app", LinkApp(), .. manifest is null ? Array.Empty<string>() : ["--files", manifest], .. more];
        Linker.LinkToFiles(CommandLine.Parse(args)!);
        return ReadImage(output);
    }

    private static UkFilesContents FilesOf(string output, byte[] image)
    {
        using var stream = new MemoryStream(ReadImage(output));
        var elf = LibObjectFile.Elf.ElfFile.Read(stream);
        ulong bootInfo = elf.Address("uk_boot_info");
        ulong start = elf.ReadUInt64(image, bootInfo + BootInfoLayout.FilesStart);
        ulong end = elf.ReadUInt64(image, bootInfo + BootInfoLayout.FilesEnd);
        ulong ksymsEnd = elf.ReadUInt64(image, bootInfo + BootInfoLayout.KsymsEnd);
        var section = elf.Section(ImageFiles.SectionName);
        Assert.Equal((section.VirtualAddress, section.VirtualAddress + section.Size), (start, end));
        Assert.True(start >= ksymsEnd && start - ksymsEnd < 8, "uk_files follows uk_ksyms in its segment");
        return UkFilesCodec.Decode(elf.ReadMemory(image, start, (int)(end - start)));
    }

    [Fact]
    public void ManifestFilesAndLinksAppearUnderTheirImagePathsWithTheExecutableInApp()
    {
        string settings = _harness.Write("appsettings.json", "{\"a\":1}"u8.ToArray());
        string css = _harness.Write("site.css", "body{}"u8.ToArray());
        string zone = _harness.Write("Berlin", "TZif-berlin"u8.ToArray());
        string output = Path.Combine(_harness.Directory, "hello.img");
        byte[] image = LinkImage(output, Manifest(
            $"file\t/app/wwwroot/css/site.css\t{css}",
            $"file\t/app/appsettings.json\t{settings}",
            $"file\t/usr/share/zoneinfo/Europe/Berlin\t{zone}",
            $"file\t/usr/share/zoneinfo/CET-copy\t{zone}",
            "link\t/etc/localtime\t/usr/share/zoneinfo/Europe/Berlin"));

        var files = FilesOf(output, image);
        Assert.Equal("/app/hello", files.ExecutablePath);
        Assert.Equal(
        [
            "/", "/app", "/app/appsettings.json", "/app/hello", "/app/wwwroot", "/app/wwwroot/css", "/app/wwwroot/css/site.css",
            "/etc", "/etc/localtime", "/usr", "/usr/share", "/usr/share/zoneinfo", "/usr/share/zoneinfo/CET-copy",
            "/usr/share/zoneinfo/Europe", "/usr/share/zoneinfo/Europe/Berlin",
        ], files.Items.Select(i => i.Path));
        var byPath = files.Items.ToDictionary(i => i.Path);
        Assert.Equal("{\"a\":1}"u8.ToArray(), byPath["/app/appsettings.json"].Data);
        Assert.Equal(0x81A4u, byPath["/app/appsettings.json"].Mode);
        Assert.Equal(0x81EDu, byPath["/app/hello"].Mode);
        Assert.Empty(byPath["/app/hello"].Data);
        Assert.Equal(0x41EDu, byPath["/app/wwwroot"].Mode);
        Assert.True(byPath["/etc/localtime"].IsSymlink);
        Assert.Equal("/usr/share/zoneinfo/Europe/Berlin", Encoding.UTF8.GetString(byPath["/etc/localtime"].Data));
        // Two files with the same bytes share them.
        Assert.Equal(7 + 6 + 11 + 33, files.DataBytes);
    }

    /// <summary>
    /// --time-zones-if-read (the SDK's UnikernelTimeZones=auto): the zone files and /etc/localtime stay out of an app
    /// that has neither .NET's TimeZoneInfo nor musl's tzset, whichever name of an address carries it; a stripped app,
    /// which cannot be checked, and a link without the option keep them.
    /// </summary>
    [Theory]
    [InlineData(null, false, true, false)]
    [InlineData("do_tzset", false, true, true)]
    [InlineData("__tzset", false, true, true)]
    [InlineData("S_P_CoreLib_System_TimeZoneInfo__GetLocalTimeZoneCore", false, true, true)]
    [InlineData("S_P_CoreLib_System_TimeZoneInfoOptions__Foo", false, true, false)]
    [InlineData(null, true, true, true)]
    [InlineData(null, false, false, true)]
    public void TimeZonesIfReadLeavesZoneFilesOutOfAnAppThatCannotReadThem(string? alsoNamed, bool strip, bool option, bool kept)
    {
        string zone = _harness.Write("Berlin", "TZif-berlin"u8.ToArray());
        string settings = _harness.Write("appsettings.json", "{}"u8.ToArray());
        string manifest = Manifest(
            $"file\t/usr/share/zoneinfo/Europe/Berlin\t{zone}",
            $"file\t/app/appsettings.json\t{settings}",
            "link\t/etc/localtime\t/usr/share/zoneinfo/Europe/Berlin");
        string output = Path.Combine(_harness.Directory, "zones.img");
        string[] args = ["-o", output, .. KernelInputs(), "--app", LinkApp(alsoNamed: alsoNamed, strip: strip), "--files", manifest,
                         .. option ? new[] { "--time-zones-if-read" } : []];
        Linker.LinkToFiles(CommandLine.Parse(args)!);

        var paths = FilesOf(output, ReadImage(output)).Items.Select(i => i.Path).ToList();
        Assert.Contains("/app/appsettings.json", paths);
        Assert.Equal(kept, paths.Contains("/usr/share/zoneinfo/Europe/Berlin"));
        Assert.Equal(kept, paths.Contains("/etc/localtime"));
    }

    [Fact]
    public void EveryImageWithAnAppHasItsExecutableInApp()
    {
        string output = Path.Combine(_harness.Directory, "plain.img");
        var files = FilesOf(output, LinkImage(output, manifest: null));
        Assert.Equal(["/", "/app", "/app/hello"], files.Items.Select(i => i.Path));
        Assert.Equal("/app/hello", files.ExecutablePath);
        Assert.Equal(0u, files.ModifiedTime);
        Assert.Equal(1_700_000_000u, FilesOf(output, LinkImage(output, null, "--files-time", "1700000000")).ModifiedTime);
    }

    [Fact]
    public void TheSameFilesGiveTheSameImageWhateverTheManifestOrderAndAChangedFileChangesIt()
    {
        string a = _harness.Write("a.txt", "A"u8.ToArray());
        string b = _harness.Write("b.txt", "B"u8.ToArray());
        byte[] first = LinkImage(Path.Combine(_harness.Directory, "1.img"), Manifest($"file\t/app/a.txt\t{a}", $"file\t/app/b.txt\t{b}"));
        File.SetLastWriteTimeUtc(a, DateTime.UtcNow.AddDays(-3));
        byte[] second = LinkImage(Path.Combine(_harness.Directory, "2.img"), Manifest($"file\t/app/b.txt\t{b}", $"file\t/app/a.txt\t{a}"));
        Assert.Equal(first, second);
        File.WriteAllBytes(a, "changed"u8.ToArray());
        byte[] third = LinkImage(Path.Combine(_harness.Directory, "3.img"), Manifest($"file\t/app/a.txt\t{a}", $"file\t/app/b.txt\t{b}"));
        Assert.NotEqual(first, third);
    }

    [Theory]
    [InlineData("file\t/proc/self/x\t{0}", "under /proc, where the kernel mounts its own file system")]
    [InlineData("file\t/tmp/x\t{0}", "under /tmp")]
    [InlineData("file\tapp/x\t{0}", "is not absolute")]
    [InlineData("file\t/app/../etc/x\t{0}", "'.' or '..'")]
    [InlineData("file\t/app/x\t/nonexistent/file", "cannot read '/nonexistent/file'")]
    [InlineData("copy\t/app/x\t{0}", "expected 'file<TAB>IMAGE-PATH<TAB>HOST-PATH'")]
    [InlineData("file\t/app/hello\t{0}", "'/app/hello' is given twice")]
    [InlineData("file\t/app/hello/x\t{0}", "lies under 'hello', which is a file")]
    public void ABadManifestLineIsAnErrorNamingTheLine(string line, string expected)
    {
        string host = _harness.Write("x", "x"u8.ToArray());
        string manifest = Manifest(string.Format(line, host));
        var error = Assert.Throws<LinkerException>(() => LinkImage(Path.Combine(_harness.Directory, "bad.img"), manifest));
        Assert.Contains(expected, error.Problem);
        Assert.StartsWith(manifest, error.File);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData("4294967296")]
    public void AFilesTimeThatIsNotSecondsIsAnError(string value)
    {
        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "x.img", "k.o", "--app", "a", "--files-time", value]));
        Assert.Contains("--files-time", error.Problem);
    }

    [Fact]
    public void FilesNeedAnApp()
    {
        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "x.img", "k.o", "--files", "m.txt"]));
        Assert.Contains("--files", error.Problem);
    }
}
