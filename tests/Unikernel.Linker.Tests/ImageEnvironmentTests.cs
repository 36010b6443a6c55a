using System.Text;
using Unikernel.Boot;
using Unikernel.Formats;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker.Tests;

/// <summary>
/// The image's default environment: uk-ld --env-file reads a docker-style env file (formats/Host/EnvironmentFile.cs) and
/// puts the kernel's environment block (NAME=VALUE, each ended by NUL) at /etc/uk/environ in uk_files; what Linux would
/// refuse, or the build's own environment, never gets in.
/// </summary>
public sealed class ImageEnvironmentTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>The image as the host tools read it: a compressed one (uk-ld --compress) expanded, byte for byte the
    /// uncompressed file (CompressionTests holds the compressed form itself).</summary>
    private static byte[] ReadImage(string path) => UkPayloadCodec.Expand(File.ReadAllBytes(path));

    [Fact]
    public void TheEnvFileBecomesTheEnvironmentBlockAtEtcUkEnviron()
    {
        string envFile = Write("defaults.env", "\uFEFF# defaults\n  ASPNETCORE_ENVIRONMENT=Production\r\n\nLogging__LogLevel__Microsoft.Hosting.Lifetime=Warning\nK=a=b \"c\"\nEMPTY=\nnäme=välue\n");
        var files = FilesOf(Link("--env-file", envFile));

        var environ = Assert.Single(files.Items, item => item.Path == ImageFiles.EnvironmentPath);
        Assert.Equal(UkFilesFormat.TypeRegular | 0x1A4u, environ.Mode);
        Assert.Equal("ASPNETCORE_ENVIRONMENT=Production\0Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning\0K=a=b \"c\"\0EMPTY=\0näme=välue\0",
                     Encoding.UTF8.GetString(environ.Data));
    }

    [Fact]
    public void WithoutAnEnvFileTheImageHasNoEnvironmentFile() =>
        Assert.DoesNotContain(FilesOf(Link()).Items, item => item.Path == ImageFiles.EnvironmentPath);

    [Theory]
    [InlineData("OK=1\n=x\n", ":2: no variable name before '='")]
    [InlineData("OK=1\nHOME\n", ":2: 'HOME' has no '=VALUE' (a value from the build's own environment would make the image depend on it)")]
    [InlineData("MY VAR=1\n", ":1: variable 'MY VAR' contains whitespace")]
    public void AnEntryTheImageCannotTakeIsAnErrorNamingTheLine(string contents, string expected)
    {
        string envFile = Write("bad.env", contents);
        var error = Assert.Throws<LinkerException>(() => Link("--env-file", envFile));
        Assert.Contains($"--env-file: {envFile}{expected}", error.Message);
        Assert.False(File.Exists(Path.Combine(_harness.Directory, "app.img")));
    }

    [Fact]
    public void TheEnvFileNeedsAnApp()
    {
        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "x.img", "kernel.o", "--env-file", "a.env"]));
        Assert.Contains("--env-file sets the environment of the app of --app", error.Message);
    }

    [Fact]
    public void TooMuchForTheKernelIsRefusedHere()
    {
        var lines = Enumerable.Range(0, EnvironmentFile.MaxEntries + 1).Select(i => $"N{i}=1");
        var error = Assert.Throws<FormatException>(() => EnvironmentFile.Encode(EnvironmentFile.Parse(string.Join('\n', lines), "f", null)));
        Assert.Equal($"{EnvironmentFile.MaxEntries + 1} environment entries: the kernel takes at most {EnvironmentFile.MaxEntries}", error.Message);
        Assert.Throws<FormatException>(() => EnvironmentFile.Encode([new("BIG", new string('x', EnvironmentFile.MaxBlockBytes))]));
    }

    [Fact]
    public void ABareNameTakesTheReadersValueOrIsSkipped()
    {
        var entries = EnvironmentFile.Parse("SET\nUNSET\nX=1\n", "f", name => name == "SET" ? "from host" : null);
        Assert.Equal([new("SET", "from host"), new("X", "1")], entries);
    }

    private string Write(string name, string text) => _harness.Write(name, Encoding.UTF8.GetBytes(text));

    private string Link(params string[] more)
    {
        string app = Path.Combine(_harness.Directory, "hello");
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = app,
            Kind = OutputKind.StaticExecutable,
            BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
            EntrySymbol = LinkOptions.DefaultExecutableEntrySymbol,
            InputPaths = [_harness.Write("hello.o", AppEmbeddingTests.AppObject())],
        });
        string output = Path.Combine(_harness.Directory, "app.img");
        string[] args = ["-o", output, _harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())), _harness.Write("kernel.o", AppEmbeddingTests.KernelStub()),
                         "--app", app, .. more];
        Linker.LinkToFiles(CommandLine.Parse(args)!);
        return output;
    }

    private static UkFilesContents FilesOf(string output)
    {
        byte[] image = ReadImage(output);
        using var stream = new MemoryStream(ReadImage(output));
        var elf = LibObjectFile.Elf.ElfFile.Read(stream);
        ulong bootInfo = elf.Address("uk_boot_info");
        ulong start = elf.ReadUInt64(image, bootInfo + BootInfoLayout.FilesStart);
        ulong end = elf.ReadUInt64(image, bootInfo + BootInfoLayout.FilesEnd);
        return UkFilesCodec.Decode(elf.ReadMemory(image, start, (int)(end - start)));
    }
}
