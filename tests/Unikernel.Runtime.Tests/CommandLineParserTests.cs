using System.Text;
using Kernel.Boot;

namespace Unikernel.Runtime.Tests;

public unsafe class CommandLineParserTests
{
    private sealed record Parsed(CommandLineTokenKind Kind, string Text, string Name);

    private static (List<Parsed> Tokens, CommandLineError Error) Parse(string commandLine, int maxTokens = 64)
    {
        byte[] input = Encoding.UTF8.GetBytes(commandLine);
        byte[] output = new byte[input.Length + maxTokens + 1];
        var tokens = new CommandLineToken[maxTokens];
        fixed (byte* i = input) fixed (byte* o = output) fixed (CommandLineToken* t = tokens)
        {
            int n = CommandLineParser.Parse(i, input.Length, o, output.Length, t, maxTokens, out var error);
            var list = new List<Parsed>();
            for (int k = 0; k < n; k++)
            {
                string text = Encoding.UTF8.GetString(output, t[k].Start, t[k].Length);
                Assert.Equal(0, output[t[k].Start + t[k].Length]); // NUL-terminated for argv/envp
                list.Add(new Parsed(t[k].Kind, text, text.Substring(0, t[k].NameLength)));
            }
            if (n < 0) Assert.NotEqual(CommandLineError.None, error);
            return (list, error);
        }
    }

    [Fact]
    public void ClassifiesKernelOptionsEnvironmentAndArguments()
    {
        var (t, error) = Parse("uk.exit=3 uk.trace PATH=/bin:/usr/bin _X1=y serve --port=80 a=b=c 1X=no");
        Assert.Equal(CommandLineError.None, error);
        Assert.Equal(new[]
        {
            new Parsed(CommandLineTokenKind.KernelOption, "uk.exit=3", "uk.exit"),
            new Parsed(CommandLineTokenKind.KernelOption, "uk.trace", "uk.trace"),
            new Parsed(CommandLineTokenKind.Environment, "PATH=/bin:/usr/bin", "PATH"),
            new Parsed(CommandLineTokenKind.Environment, "_X1=y", "_X1"),
            new Parsed(CommandLineTokenKind.Argument, "serve", "serve"),
            new Parsed(CommandLineTokenKind.Argument, "--port=80", "--port=80"),
            new Parsed(CommandLineTokenKind.Environment, "a=b=c", "a"),
            new Parsed(CommandLineTokenKind.Argument, "1X=no", "1X=no"),
        }, t);
    }

    // Firecracker and QEMU microvm (ACPI off) append Linux's virtio-mmio device list: the kernel's, not the app's.
    [Fact]
    public void VirtioMmioDeviceWordsAreKernelOptions()
    {
        var (t, _) = Parse("serve virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.x -- virtio_mmio.device=1@2:3");
        Assert.Equal(new[]
        {
            new Parsed(CommandLineTokenKind.Argument, "serve", "serve"),
            new Parsed(CommandLineTokenKind.KernelOption, "virtio_mmio.device=512@0xfeb00e00:12", "virtio_mmio.device"),
            new Parsed(CommandLineTokenKind.KernelOption, "virtio_mmio.x", "virtio_mmio.x"),
            new Parsed(CommandLineTokenKind.Argument, "virtio_mmio.device=1@2:3", "virtio_mmio.device=1@2:3"),
        }, t);
    }

    [Fact]
    public void EverythingAfterDoubleDashIsAnArgument()
    {
        var (t, _) = Parse("A=1 -- B=2 uk.exit=1 -- x");
        Assert.Equal(new[] { CommandLineTokenKind.Environment, CommandLineTokenKind.Argument, CommandLineTokenKind.Argument, CommandLineTokenKind.Argument, CommandLineTokenKind.Argument },
                     t.Select(p => p.Kind));
        Assert.Equal(new[] { "A=1", "B=2", "uk.exit=1", "--", "x" }, t.Select(p => p.Text));
    }

    [Fact]
    public void QuotesGroupAndBackslashEscapes()
    {
        var (t, _) = Parse("GREETING=\"hello  world\" \"two words\" a\\ b \"q\\\"uote\" back\\\\slash \"\"");
        Assert.Equal(new[] { "GREETING=hello  world", "two words", "a b", "q\"uote", "back\\slash", "" }, t.Select(p => p.Text));
        Assert.Equal(CommandLineTokenKind.Environment, t[0].Kind);
    }

    [Fact]
    public void QuotedDoubleDashIsAnOrdinaryArgument()
    {
        var (t, _) = Parse("\"--\" A=1");
        Assert.Equal(new[] { CommandLineTokenKind.Argument, CommandLineTokenKind.Environment }, t.Select(p => p.Kind));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n ")]
    public void EmptyCommandLineHasNoTokens(string text)
    {
        var (t, error) = Parse(text);
        Assert.Empty(t);
        Assert.Equal(CommandLineError.None, error);
    }

    [Fact]
    public void StopsAtNul()
    {
        var (t, _) = Parse("a b\0c d");
        Assert.Equal(new[] { "a", "b" }, t.Select(p => p.Text));
    }

    [Fact]
    public void UnterminatedQuoteIsAnError()
    {
        var (_, error) = Parse("A=\"open");
        Assert.Equal(CommandLineError.UnterminatedQuote, error);
    }

    [Fact]
    public void TooManyTokensIsAnError()
    {
        var (_, error) = Parse("a b c d", maxTokens: 3);
        Assert.Equal(CommandLineError.TooManyTokens, error);
    }

    [Fact]
    public void HexEscapesAreBytes()
    {
        byte[] input = Encoding.ASCII.GetBytes("A=\\x0d\\x0A\\xff \"x\\x20y\" \\x5c\\x22");
        byte[] output = new byte[input.Length + 8];
        var tokens = new CommandLineToken[4];
        fixed (byte* i = input) fixed (byte* o = output) fixed (CommandLineToken* t = tokens)
        {
            Assert.Equal(3, CommandLineParser.Parse(i, input.Length, o, output.Length, t, 4, out _));
            Assert.Equal(new byte[] { (byte)'A', (byte)'=', 0x0D, 0x0A, 0xFF }, output.AsSpan(t[0].Start, t[0].Length).ToArray());
            Assert.Equal(CommandLineTokenKind.Environment, t[0].Kind);
            Assert.Equal("x y", Encoding.ASCII.GetString(output, t[1].Start, t[1].Length));
            Assert.Equal("\\\"", Encoding.ASCII.GetString(output, t[2].Start, t[2].Length));
        }
    }

    [Theory]
    [InlineData("a\\x4", "BadEscape")]
    [InlineData("a\\xg0 b", "BadEscape")]
    [InlineData("a\\x", "BadEscape")]
    [InlineData("a\\x00b", "NulByte")]
    [InlineData("uk.env=", "BadEnvironment")]
    [InlineData("uk.env==x", "BadEnvironment")]
    [InlineData("uk.env=NOVALUE", "BadEnvironment")]
    public void MalformedWordsAreErrors(string text, string expected)
    {
        var (_, error) = Parse(text);
        Assert.Equal(expected, error.ToString());
    }

    [Fact]
    public void ExplicitEnvironmentEntriesTakeAnyName()
    {
        var (t, error) = Parse("uk.env=MY-VAR=1 uk.env=uk.x=a=b -- uk.env=X=1");
        Assert.Equal(CommandLineError.None, error);
        Assert.Equal(new[]
        {
            new Parsed(CommandLineTokenKind.Environment, "MY-VAR=1", "MY-VAR"),
            new Parsed(CommandLineTokenKind.Environment, "uk.x=a=b", "uk.x"),
            new Parsed(CommandLineTokenKind.Argument, "uk.env=X=1", "uk.env=X=1"),
        }, t);
    }

    [Theory]
    [InlineData("uk.console.tag=0123456789abcdef A=1", 15, 16)]
    [InlineData("A=1 uk.console.tag=0123456789ABCDEF0123456789abcdef", 19, 32)]
    [InlineData("uk.console.tag=0123456789abcde", -1, 0)]                            // too short
    [InlineData("uk.console.tag=0123456789abcdefg", -1, 0)]                          // not only digits
    [InlineData("xuk.console.tag=0123456789abcdef", -1, 0)]                          // not at a word's start
    [InlineData("\"A=1 uk.console.tag=0123456789abcdef\"", -1, 0)]                  // inside quotes
    [InlineData("A=\\\" uk.console.tag=0123456789abcdef", 20, 16)]                 // an escaped quote opens nothing
    [InlineData("uk.console.tag=0123456789abcdef uk.console.tag=fedcba9876543210", 15, 16)]   // the first one
    public void TheConsoleTagIsFoundOnlyAsAWholeWord(string text, int expectedOffset, int expectedDigits)
    {
        byte[] input = Encoding.ASCII.GetBytes(text);
        fixed (byte* i = input)
        {
            Assert.Equal(expectedOffset, CommandLineParser.FindConsoleTag(i, input.Length, out int digits));
            Assert.Equal(expectedDigits, digits);
        }
    }

    [Fact]
    public void OptionValueAndNameLookup()
    {
        byte[] input = Encoding.ASCII.GetBytes("uk.exit=42 uk.flag");
        byte[] output = new byte[64];
        var tokens = new CommandLineToken[4];
        fixed (byte* i = input) fixed (byte* o = output) fixed (CommandLineToken* t = tokens)
        {
            Assert.Equal(2, CommandLineParser.Parse(i, input.Length, o, output.Length, t, 4, out _));
            Assert.True(CommandLineParser.NameEquals(o, &t[0], "uk.exit"));
            Assert.False(CommandLineParser.NameEquals(o, &t[0], "uk.exi"));
            byte* v = CommandLineParser.Value(o, &t[0], out int length);
            Assert.Equal("42", Encoding.ASCII.GetString(v, length));
            CommandLineParser.Value(o, &t[1], out length);
            Assert.Equal(0, length);
        }
    }

    [Fact]
    public void RandomInputNeverOverrunsTheOutputBuffer()
    {
        var random = new Random(7);
        const string alphabet = "ab=\"\\ \t-uk.";
        for (int round = 0; round < 2000; round++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            byte[] input = Encoding.ASCII.GetBytes(text);
            // Exactly the documented bound (length + 1 per token); a guard byte after it must survive.
            byte[] output = new byte[input.Length + 32 + 1 + 1];
            output[^1] = 0xAA;
            var tokens = new CommandLineToken[32];
            fixed (byte* i = input) fixed (byte* o = output) fixed (CommandLineToken* t = tokens)
                CommandLineParser.Parse(i, input.Length, o, output.Length - 1, t, 32, out _);
            Assert.Equal(0xAA, output[^1]);
        }
    }
}
