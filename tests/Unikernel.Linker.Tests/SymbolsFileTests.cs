using LibObjectFile.Elf;
using Unikernel.Boot;
using Unikernel.Formats;

namespace Unikernel.Linker.Tests;

/// <summary>
/// <c>uk-ld --symbols-file FILE</c>: the function table (uk_ksyms) beside the image, tied to it by the image's SHA-256,
/// the image carrying an empty table; and <c>-s</c>, which now leaves a kernel image's .symtab empty too. The real boot.o
/// is linked, with the app of <see cref="AppEmbeddingTests"/>.
/// </summary>
public sealed class SymbolsFileTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private string SymbolsPath => Path.Combine(_harness.Directory, "kernel.elf.syms");

    private string[]? _inputs;
    private string? _app;

    private string[] KernelInputs() => _inputs ??=
    [
        _harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())),
        _harness.Write("kernel.o", AppEmbeddingTests.KernelStub()),
    ];

    private string App() => _app ??= _harness.LinkStaticApp();

    private void LinkImage(string output, string? symbols = null, bool strip = false) =>
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = output,
            InputPaths = KernelInputs(),
            AppPath = App(),
            SymbolsFilePath = symbols,
            StripSymbols = strip,
        });

    private static IReadOnlyList<KernelSymbolsFunction> TableInImage(string image)
    {
        using var stream = File.OpenRead(image);
        var elf = ElfFile.Read(stream);
        var section = elf.Section(KernelSymbolsFormat.SectionName);
        byte[] bytes = File.ReadAllBytes(image).AsSpan((int)section.Position, (int)section.Size).ToArray();
        return KernelSymbolsCodec.Decode(bytes) ?? throw new InvalidDataException("uk_ksyms is not a table");
    }

    [Fact]
    public void TheFunctionTableGoesBesideTheImageAndNamesTheSameFunctions()
    {
        string inImage = Path.Combine(_harness.Directory, "in-image.elf");
        LinkImage(inImage);
        LinkImage(_harness.OutputPath, SymbolsPath);

        Assert.Empty(TableInImage(_harness.OutputPath));
        byte[] image = _harness.OutputBytes;
        var beside = KernelSymbolsSideFile.Decode(File.ReadAllBytes(SymbolsPath), KernelSymbolsSideFile.HashOf(image), out string? problem);
        Assert.Null(problem);
        var expected = TableInImage(inImage);
        Assert.True(expected.Count > 5);
        // The kernel's and the app's functions keep their addresses: only what follows uk_ksyms moves.
        Assert.Equal(expected, beside);
        Assert.Contains(beside!, f => f.Name == "app:helper");
        Assert.Contains(beside!, f => f.Name == "uk_kernel_main");
        Assert.True(image.Length < new FileInfo(inImage).Length);

        // The kernel still finds a (valid, empty) table where uk_boot_info says.
        var elf = _harness.ReadOutput();
        var ksyms = elf.Section(KernelSymbolsFormat.SectionName);
        Assert.Equal((ulong)KernelSymbolsFormat.HeaderSize, ksyms.Size);
        Assert.Equal(ksyms.VirtualAddress, elf.ReadUInt64(image, elf.Address("uk_boot_info") + BootInfoLayout.KsymsStart));
    }

    [Fact]
    public void TheSymbolsFileIsReproducibleAndRefusedForAnotherImage()
    {
        LinkImage(_harness.OutputPath, SymbolsPath);
        byte[] first = File.ReadAllBytes(SymbolsPath);
        LinkImage(_harness.OutputPath, SymbolsPath);
        Assert.Equal(first, File.ReadAllBytes(SymbolsPath));

        byte[] other = _harness.OutputBytes;
        other[^1] ^= 1;
        Assert.Null(KernelSymbolsSideFile.Decode(first, KernelSymbolsSideFile.HashOf(other), out string? problem));
        Assert.Contains("another build of the image", problem);
        Assert.Null(KernelSymbolsSideFile.Decode(first.AsSpan(0, 20), KernelSymbolsSideFile.HashOf(other), out problem));
        Assert.Contains("not a uk-ld symbols file", problem);
        byte[] truncated = first.AsSpan(0, first.Length - 40).ToArray();
        Assert.Null(KernelSymbolsSideFile.Decode(truncated, KernelSymbolsSideFile.HashOf(_harness.OutputBytes), out problem));
        Assert.Contains("not a whole uk_ksyms table", problem);
    }

    [Fact]
    public void DashSLeavesAKernelImagesSymtabEmpty()
    {
        LinkImage(_harness.OutputPath, strip: true);
        var elf = _harness.ReadOutput();
        var symtab = elf.Sections.OfType<ElfSymbolTable>().Single();
        Assert.Single(symtab.Entries); // the null symbol
        Assert.NotEmpty(TableInImage(_harness.OutputPath));   // fault reports still name functions in the guest

        string full = Path.Combine(_harness.Directory, "debug.elf");
        LinkImage(full);
        Assert.True(new FileInfo(full).Length > _harness.OutputBytes.Length);
    }

    // The kernel's .eh_frame is for debuggers only (its stack traces follow frame pointers): -s leaves it out, the debug
    // variant keeps it. Needs ILC's kernel.o, whose every function has an FDE.
    [SkippableFact]
    public void DashSLeavesOutTheKernelsUnwindTables()
    {
        string kernel = Path.Combine(PublishedNativeAotApps.RepositoryRoot, "artifacts/kernel/kernel.o");
        Skip.IfNot(File.Exists(kernel), "artifacts/kernel/kernel.o is not built (make build)");
        string[] inputs = [KernelInputs()[0], kernel];
        string stripped = Path.Combine(_harness.Directory, "stripped.elf"), debug = Path.Combine(_harness.Directory, "debug.elf");
        Linker.LinkToFiles(new LinkOptions { OutputPath = stripped, InputPaths = inputs, StripSymbols = true });
        Linker.LinkToFiles(new LinkOptions { OutputPath = debug, InputPaths = inputs });
        static bool HasEhFrame(string path)
        {
            using var stream = File.OpenRead(path);
            return ElfFile.Read(stream).Sections.Any(s => s.Name.Value == ".eh_frame");
        }
        Assert.True(HasEhFrame(debug));
        Assert.False(HasEhFrame(stripped));
        Assert.True(new FileInfo(stripped).Length + 50_000 < new FileInfo(debug).Length);
    }

    [Fact]
    public void TheCommandLineTakesASymbolsFileForKernelImagesOnly()
    {
        var options = CommandLine.Parse(["-o", "x.img", "--symbols-file", "x.img.syms", "-s", "boot.o"])!;
        Assert.Equal("x.img.syms", options.SymbolsFilePath);
        Assert.True(options.StripSymbols);
        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-static", "-o", "x", "--symbols-file", "x.syms", "a.o"]));
        Assert.Contains("--symbols-file", error.Message);
    }

    [Fact]
    public void ASymbolsFileNamingTheImageOrAnInputIsRefused()
    {
        var inputs = KernelInputs();
        var error = Assert.Throws<LinkerException>(() => Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = _harness.OutputPath, InputPaths = inputs, SymbolsFilePath = _harness.OutputPath,
        }));
        Assert.Contains("--symbols-file names the output file", error.Message);
        error = Assert.Throws<LinkerException>(() => Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = _harness.OutputPath, InputPaths = inputs, SymbolsFilePath = inputs[1],
        }));
        Assert.Contains("--symbols-file names the input", error.Message);
        Assert.False(File.Exists(_harness.OutputPath));
    }
}
