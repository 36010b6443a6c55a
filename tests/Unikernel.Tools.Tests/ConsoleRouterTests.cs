using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

public class ConsoleRouterTests
{
    private static (string App, string Kernel, ConsoleRouter Router) Route(bool quiet, params string[] chunks)
    {
        var app = new StringWriter();
        var kernel = new StringWriter();
        var router = new ConsoleRouter(app, quiet ? null : kernel);
        foreach (var c in chunks) router.Write(c);
        router.Complete();
        return (app.ToString(), kernel.ToString(), router);
    }

    [Fact]
    public void KernelLinesGoToTheKernelWriterWithoutCarriageReturns()
    {
        var (app, kernel, _) = Route(false, "uk: ready\r\nHello\nuk: exit status 0\r\n");
        Assert.Equal("Hello\n", app);
        Assert.Equal("uk: ready\nuk: exit status 0\n", kernel);
    }

    [Fact]
    public void ChunksSplitAnywhereGiveTheSameResult()
    {
        const string text = "uk: boot\r\nline one\nuk: not at line start? uk: no\r\nu\nuk\nuk:x\nlast without newline";
        var whole = Route(false, text);
        for (int size = 1; size <= 7; size++)
        {
            var chunks = Enumerable.Range(0, (text.Length + size - 1) / size).Select(i => text.Substring(i * size, Math.Min(size, text.Length - i * size))).ToArray();
            var split = Route(false, chunks);
            Assert.Equal(whole.App, split.App);
            Assert.Equal(whole.Kernel, split.Kernel);
        }
        Assert.Equal("line one\nu\nuk\nuk:x\nlast without newline", whole.App);
        Assert.Equal("uk: boot\nuk: not at line start? uk: no\n", whole.Kernel);
    }

    [Fact]
    public void AppTextIsPassedOnAtOnceAndUnchanged()
    {
        var app = new StringWriter();
        var router = new ConsoleRouter(app, new StringWriter());
        router.Write("Enter a number: ");
        Assert.Equal("Enter a number: ", app.ToString());   // no newline needed
        router.Write("x\r\ny");
        Assert.Equal("Enter a number: x\r\ny", app.ToString());
    }

    [Fact]
    public void APossibleKernelPrefixIsHeldUntilItIsDecided()
    {
        var app = new StringWriter();
        var router = new ConsoleRouter(app, new StringWriter());
        router.Write("uk");
        Assert.Equal("", app.ToString());
        router.Write("ulele\n");
        Assert.Equal("ukulele\n", app.ToString());
    }

    [Fact]
    public void QuietHidesKernelLinesButKeepsTheLastOnes()
    {
        var lines = string.Concat(Enumerable.Range(0, ConsoleRouter.KeptLines + 10).Select(i => $"uk: line {i}\r\n"));
        var (app, kernel, router) = Route(true, lines, "app\n");
        Assert.Equal("app\n", app);
        Assert.Equal("", kernel);
        Assert.Equal(ConsoleRouter.KeptLines, router.HiddenKernelLines.Count);
        Assert.Equal($"uk: line {ConsoleRouter.KeptLines + 9}", router.HiddenKernelLines[^1]);
    }
}

public class ConsoleRouterBlankLineTests
{
    [Theory]
    [InlineData("\r\nuk: up\r\nhi\n")]
    [InlineData("\r|\n|uk: up\r\n|hi\n")]   // chunks, split at '|'
    public void AnEmptyCrLfLineIsTheKernelsAndAnEmptyLfLineTheApps(string text)
    {
        var chunks = text.Split('|');
        var app = new StringWriter();
        var kernel = new StringWriter();
        var router = new ConsoleRouter(app, kernel);
        foreach (var c in chunks) router.Write(c);
        router.Write("\n");
        router.Complete();
        Assert.Equal("hi\n\n", app.ToString());
        Assert.Equal("\nuk: up\n", kernel.ToString());
    }

    [Fact]
    public void ACarriageReturnInsideAnAppLineStaysTheApps()
    {
        var app = new StringWriter();
        var router = new ConsoleRouter(app, new StringWriter());
        router.Write("50%\r100%\r\n");
        router.Complete();
        Assert.Equal("50%\r100%\r\n", app.ToString());
    }
}
