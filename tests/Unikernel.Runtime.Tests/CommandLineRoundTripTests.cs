using System.Text;
using Kernel.Boot;
using Unikernel.Tools.Qemu;

namespace Unikernel.Runtime.Tests;

/// <summary>
/// Differential test of the two halves of the command-line contract: whatever `uk run` writes
/// (KernelCommandLine) the kernel must parse (CommandLineParser) back into the same entries.
/// </summary>
public unsafe class CommandLineRoundTripTests
{
    private static List<(CommandLineTokenKind Kind, string Text)> ParseWithKernel(string commandLine)
        => ParseBytesWithKernel(commandLine).Select(t => (t.Kind, Encoding.UTF8.GetString(t.Bytes))).ToList();

    private static List<(CommandLineTokenKind Kind, byte[] Bytes)> ParseBytesWithKernel(string commandLine)
    {
        Assert.All(commandLine, c => Assert.InRange(c, ' ', '~'));   // uk writes printable ASCII only
        byte[] input = Encoding.ASCII.GetBytes(commandLine);
        byte[] output = new byte[input.Length + 257];
        var tokens = new CommandLineToken[256];
        fixed (byte* i = input) fixed (byte* o = output) fixed (CommandLineToken* t = tokens)
        {
            int n = CommandLineParser.Parse(i, input.Length, o, output.Length, t, tokens.Length, out var error);
            Assert.True(n >= 0, $"kernel rejected '{commandLine}': {error}");
            var result = new List<(CommandLineTokenKind, byte[])>();
            for (int k = 0; k < n; k++) result.Add((t[k].Kind, output.AsSpan(t[k].Start, t[k].Length).ToArray()));
            return result;
        }
    }

    [Theory]
    [InlineData(new[] { "uk.exit=3" }, new[] { "GREETING=hello world", "EMPTY=" }, new[] { "first", "second arg", "--not-a-separator", "A=looks-like-env", "" })]
    [InlineData(new string[0], new[] { "QUOTE=say \"hi\"", "SLASH=C:\\dir\\" }, new[] { "tab\there", "uk.option-like" })]
    [InlineData(new string[0], new string[0], new string[0])]
    public void WhatUkWritesTheKernelReadsBack(string[] options, string[] environment, string[] arguments)
    {
        string commandLine = KernelCommandLine.Build(options, environment, arguments);
        var parsed = ParseWithKernel(commandLine);
        var expected = options.Select(o => (CommandLineTokenKind.KernelOption, o))
            .Concat(environment.Select(e => (CommandLineTokenKind.Environment, e)))
            .Concat(arguments.Select(a => (CommandLineTokenKind.Argument, a)))
            .ToList();
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void RandomArgumentsSurviveTheRoundTrip()
    {
        var random = new Random(1234);
        const string alphabet = "aZ09 =\"\\\t-_.:/";
        for (int round = 0; round < 500; round++)
        {
            var args = Enumerable.Range(0, random.Next(0, 6))
                .Select(_ => new string(Enumerable.Range(0, random.Next(0, 8)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()))
                .ToArray();
            var parsed = ParseWithKernel(KernelCommandLine.Build([], [], args));
            Assert.Equal(args, parsed.Select(p => p.Text));
            Assert.All(parsed, p => Assert.Equal(CommandLineTokenKind.Argument, p.Kind));
        }
    }

    // Every byte Linux allows in an argument, a value or a name (all but NUL) comes back as it was, and in its place:
    // a CR, LF or tab splits no word (-e $'GREETING=hi\ruk.strace' once turned on the kernel's system call tracing).
    [Fact]
    public void EveryByteValueSurvivesInArgumentsValuesAndNames()
    {
        for (int b = 1; b < 256; b++)
        {
            // Bytes 0x80-0xFF reach uk inside UTF-8 sequences; a lone one is written here as the character U+0080..U+00FF.
            string c = ((char)b).ToString();
            string argument = $"a{c}b", value = $"V=x{c}uk.strace", name = $"N{c}AME=1";
            var parsed = ParseBytesWithKernel(KernelCommandLine.Build([], [value, name], [argument, c]));
            Assert.Equal([CommandLineTokenKind.Environment, CommandLineTokenKind.Environment, CommandLineTokenKind.Argument, CommandLineTokenKind.Argument],
                         parsed.Select(p => p.Kind));
            Assert.Equal([Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(name), Encoding.UTF8.GetBytes(argument), Encoding.UTF8.GetBytes(c)],
                         parsed.Select(p => p.Bytes));
        }
    }

    [Theory]
    [InlineData("GREETING=hi\ruk.strace")]
    [InlineData("GREETING=hi\nuk.exit=3")]
    [InlineData("GREETING=hi\tuk.strace")]
    [InlineData("GREETING=a\\\" uk.strace \"")]
    public void AValueCannotSmuggleInAKernelOption(string entry)
    {
        var parsed = ParseWithKernel(KernelCommandLine.Build([], [entry], []));
        Assert.Equal([(CommandLineTokenKind.Environment, entry)], parsed);
    }

    [Theory]
    [InlineData("ÄPFEL=grün")]
    [InlineData("MY-VAR=1")]
    [InlineData("1X=2")]
    [InlineData("uk.exit=4")]
    [InlineData("virtio_mmio.device=1")]
    public void AnyEnvironmentNameStaysAnEnvironmentEntry(string entry)
        => Assert.Equal([(CommandLineTokenKind.Environment, entry)], ParseWithKernel(KernelCommandLine.Build([], [entry], [])));

    [Fact]
    public void TheCommandLineIsPrintableAsciiAndPlainWordsStayReadable()
        => Assert.Equal("uk.exit=3 A=1 \"B=two words\" C=\\x0d\\xc3\\xa4 -- x \"\"",
                        KernelCommandLine.Build(["uk.exit=3"], ["A=1", "B=two words", "C=\rä"], ["x", ""]));

    [Fact]
    public void WhatTheKernelCannotTakeIsRefusedByUk()
    {
        Assert.Contains("words", Assert.Throws<ArgumentException>(() => KernelCommandLine.Build([], [], Enumerable.Repeat("x", KernelCommandLine.MaxWords + 1))).Message);
        KernelCommandLine.Build([], [], Enumerable.Repeat("x", KernelCommandLine.MaxWords));
        Assert.Contains("bytes", Assert.Throws<ArgumentException>(() => KernelCommandLine.Build([], ["A=" + new string('x', KernelCommandLine.MaxBytes - 1)], [])).Message);
        KernelCommandLine.Build([], ["A=" + new string('x', KernelCommandLine.MaxBytes - 2)], []);
        Assert.Contains("NUL", Assert.Throws<ArgumentException>(() => KernelCommandLine.Build([], [], ["a\0b"])).Message);
        // What uk keeps in reserve is what it adds itself: the tag and a virtio_mmio word stay within the kernel's limits.
        Assert.True(KernelCommandLine.MaxBytes + ConsoleTag.OptionLength + 64 <= KernelCommandLine.KernelMaxBytes);
        Assert.Equal(CommandLineParser.MaxTokens, KernelCommandLine.KernelMaxWords);
    }

    [Fact]
    public void EnvironmentEntriesMustHaveAKey()
        => Assert.Throws<ArgumentException>(() => KernelCommandLine.Build([], ["=value"], []));
}
