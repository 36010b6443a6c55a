namespace Unikernel.Linker.Tests;

/// <summary>
/// What a link may write over: never one of its inputs, never its image with its map (GNU ld refuses both), and the
/// previous output stays in place until the new one replaces it, whatever happens to the link in between.
/// </summary>
[Collection(ConsoleErrorCollection.Name)]
public sealed class OutputTargetTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private (string A, string B) Inputs() =>
        (_harness.Write("a.o", LinkTests.Caller()), _harness.Write("b.o", LinkTests.Callee()));

    private string Refused(LinkOptions options)
    {
        var error = Assert.Throws<LinkerException>(() => Linker.LinkToFiles(options));
        return error.Describe();
    }

    [Fact]
    public void AnOutputNamingAnInputIsRefusedAndTheInputKept()
    {
        var (a, b) = Inputs();
        byte[] original = File.ReadAllBytes(a);
        string otherSpelling = Path.Combine(_harness.Directory, ".", "a.o");
        string symbolicLink = Path.Combine(_harness.Directory, "link.o");
        File.CreateSymbolicLink(symbolicLink, a);
        string hardLink = Path.Combine(_harness.Directory, "hard.o");
        MuslToolchain.Run("ln", [a, hardLink]);

        foreach (string output in new[] { a, otherSpelling, symbolicLink, hardLink })
        {
            Assert.Equal($"{output}: -o names the input '{a}' (the same file): the link would overwrite it; choose another output path",
                Refused(new LinkOptions { OutputPath = output, InputPaths = [a, b] }));
            Assert.Equal(original, File.ReadAllBytes(a));
        }
        Assert.Equal($"{b}: -o names the input '{b}' (the same file): the link would overwrite it; choose another output path",
            Refused(new LinkOptions { OutputPath = b, MapPath = _harness.MapPath, InputPaths = [a, b] }));
        Assert.False(File.Exists(_harness.MapPath));
    }

    [Fact]
    public void AMapNamingTheOutputOrAnInputIsRefused()
    {
        var (a, b) = Inputs();
        // Neither exists yet: compared by full path.
        Assert.Equal($"{_harness.OutputPath}: --map names the output file (-o) itself: the map would replace the image; choose another map path",
            Refused(new LinkOptions { OutputPath = _harness.OutputPath, MapPath = _harness.OutputPath, InputPaths = [a, b] }));
        Assert.False(File.Exists(_harness.OutputPath));

        // Both exist: compared by device and inode.
        _harness.Link(a, b);
        byte[] image = _harness.OutputBytes;
        string otherSpelling = Path.Combine(_harness.Directory, ".", "kernel.elf");
        Assert.StartsWith($"{otherSpelling}: --map names the output file (-o) itself",
            Refused(new LinkOptions { OutputPath = _harness.OutputPath, MapPath = otherSpelling, InputPaths = [a, b] }));
        Assert.Equal(image, _harness.OutputBytes);

        Assert.Equal($"{a}: --map names the input '{a}' (the same file): the map would overwrite it; choose another map path",
            Refused(new LinkOptions { OutputPath = _harness.OutputPath, MapPath = a, InputPaths = [a, b] }));
    }

    [Fact]
    public void AnOutputNamingTheAppIsRefused()
    {
        var (a, b) = Inputs();
        string app = _harness.Write("app", [0x7f, (byte)'E', (byte)'L', (byte)'F']);
        Assert.Equal($"{app}: -o names the app (--app) '{app}' (the same file): the link would overwrite it; choose another output path",
            Refused(new LinkOptions { OutputPath = app, InputPaths = [a, b], AppPath = app }));
    }

    // A device is written into, never replaced: sharing one between the image and the map loses nothing.
    [Fact]
    public void DevNullMayTakeBothTheImageAndTheMap()
    {
        var (a, b) = Inputs();
        Linker.LinkToFiles(new LinkOptions { OutputPath = "/dev/null", MapPath = "/dev/null", InputPaths = [a, b] });
    }

    // A link that dies with an unexpected exception after reading its inputs (here: stderr fails under
    // --print-pass-times) used to lose a large previous output, moved aside and deleted while the link ran.
    [Fact]
    public void ALinkThatCrashesLeavesALargePreviousOutput()
    {
        byte[] old = new byte[3 << 20];
        new Random(5).NextBytes(old);
        File.WriteAllBytes(_harness.OutputPath, old);
        var (a, b) = Inputs();

        var stderr = Console.Error;
        Console.SetError(new FailingWriter());
        try
        {
            Assert.Throws<IOException>(() => Linker.LinkToFiles(new LinkOptions
            {
                OutputPath = _harness.OutputPath, InputPaths = [a, b], PrintPassTimes = true,
            }));
        }
        finally
        {
            Console.SetError(stderr);
        }

        Assert.Equal(old, File.ReadAllBytes(_harness.OutputPath));
        Assert.Equal(["a.o", "b.o", "kernel.elf"],
            Directory.GetFiles(_harness.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private sealed class FailingWriter : StringWriter
    {
        public override void Write(char value) => throw new IOException("stderr is gone");
        public override void Write(string? value) => throw new IOException("stderr is gone");
        public override void WriteLine(string? value) => throw new IOException("stderr is gone");
    }
}

/// <summary>Tests that replace Console.Error run alone: another test's link may print pass times.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleErrorCollection
{
    public const string Name = "Console.Error";
}
