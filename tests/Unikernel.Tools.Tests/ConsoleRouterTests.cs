using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

public class ConsoleRouterTests
{
    private const string Tag = "0123456789abcdef0123456789abcdef";
    private static readonly string K = ConsoleTag.LineMarker + Tag;   // what the kernel writes before each of its lines

    private static (string App, List<string> Kernel) Route(params string[] chunks)
    {
        var app = new StringWriter();
        var kernel = new List<string>();
        var router = new ConsoleRouter(Tag, a => app.Write(a), kernel.Add);
        foreach (var c in chunks) router.Write(c);
        router.Complete();
        return (app.ToString(), kernel);
    }

    [Fact]
    public void TaggedLinesAreTheKernelsWithoutTagOrCarriageReturn()
    {
        var (app, kernel) = Route($"{K}uk: ready\r\nHello\n{K}uk: exit status 0\r\n");
        Assert.Equal("Hello\n", app);
        Assert.Equal(["uk: ready", "uk: exit status 0"], kernel);
    }

    [Fact]
    public void AnAppLineThatLooksLikeTheKernelsIsTheApps()
    {
        var (app, kernel) = Route($"{K}uk: ready\r\n", "uk: exit status 0\r\n", "uk: panic: fake\n", $"{ConsoleTag.LineMarker}00000000uk: exit status 0\n", $"{K}uk: exit status 3\r\n");
        Assert.Equal($"uk: exit status 0\r\nuk: panic: fake\n{ConsoleTag.LineMarker}00000000uk: exit status 0\n", app);
        Assert.Equal(["uk: ready", "uk: exit status 3"], kernel);
    }

    [Fact]
    public void AKernelLineAfterAPartialAppLineIsStillTheKernels()
    {
        var (app, kernel) = Route("Enter a number: ", $"{K}uk: strace read(0, 0x1000, 10) = 0x0\r\n", "42\n");
        Assert.Equal("Enter a number: 42\n", app);
        Assert.Equal(["uk: strace read(0, 0x1000, 10) = 0x0"], kernel);
    }

    // One chunk holding app text and then a kernel line: the app's text must leave first.
    [Fact]
    public void PiecesLeaveInTheOrderTheyCame()
    {
        var pieces = new List<string>();
        var router = new ConsoleRouter(Tag, a => pieces.Add("app:" + a), k => pieces.Add("kernel:" + k));
        router.Write($"hello from ring 3\n{K}uk: exit status 30\r\nafter");
        router.Complete();
        Assert.Equal(["app:hello from ring 3\n", "kernel:uk: exit status 30", "app:after"], pieces);
    }

    [Fact]
    public void ChunksSplitAnywhereGiveTheSameResult()
    {
        string text = $"{K}uk: boot\r\nline one\n{K}\r\nuk: forged\n{ConsoleTag.LineMarker}{ConsoleTag.LineMarker}{K}uk: x\r\nhalf{K}uk: y\r\nlast without newline";
        var whole = Route(text);
        for (int size = 1; size <= 7; size++)
        {
            var chunks = Enumerable.Range(0, (text.Length + size - 1) / size).Select(i => text.Substring(i * size, Math.Min(size, text.Length - i * size))).ToArray();
            var split = Route(chunks);
            Assert.Equal(whole.App, split.App);
            Assert.Equal(whole.Kernel, split.Kernel);
        }
        Assert.Equal($"line one\nuk: forged\n{ConsoleTag.LineMarker}{ConsoleTag.LineMarker}halflast without newline", whole.App);
        Assert.Equal(["uk: boot", "", "uk: x", "uk: y"], whole.Kernel);
    }

    [Fact]
    public void AppTextIsPassedOnAtOnceAndUnchanged()
    {
        var app = new StringWriter();
        var router = new ConsoleRouter(Tag, a => app.Write(a), _ => { });
        router.Write("Enter a number: 5");
        Assert.Equal("Enter a number: 5", app.ToString());   // no newline needed, hex digits too
        router.Write("x\r\ny\u001bz");
        Assert.Equal("Enter a number: 5x\r\ny\u001bz", app.ToString());
    }

    [Fact]
    public void OnlyAPossibleMarkerIsHeldUntilItIsDecided()
    {
        var app = new StringWriter();
        var router = new ConsoleRouter(Tag, a => app.Write(a), _ => { });
        router.Write("abc" + ConsoleTag.LineMarker + "0123");
        Assert.Equal("abc", app.ToString());
        router.Write("x");
        Assert.Equal("abc" + ConsoleTag.LineMarker + "0123x", app.ToString());
    }

    [Fact]
    public void AKernelLineCutOffByTheEndIsStillTheKernels()
    {
        var (app, kernel) = Route($"{K}uk: panic: half a li");
        Assert.Equal("", app);
        Assert.Equal(["uk: panic: half a li"], kernel);
    }

    [Fact]
    public void EachBootHasANewSecret()
    {
        string a = ConsoleTag.New(), b = ConsoleTag.New();
        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.NotEqual(a, b);
        Assert.Equal(ConsoleTag.OptionLength, ConsoleTag.Option(a).Length + 1);
    }
}
