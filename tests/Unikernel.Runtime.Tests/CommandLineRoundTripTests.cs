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
    {
        byte[] input = Encoding.UTF8.GetBytes(commandLine);
        byte[] output = new byte[input.Length + 257];
        var tokens = new CommandLineToken[256];
        fixed (byte* i = input) fixed (byte* o = output) fixed (CommandLineToken* t = tokens)
        {
            int n = CommandLineParser.Parse(i, input.Length, o, output.Length, t, tokens.Length, out var error);
            Assert.True(n >= 0, $"kernel rejected '{commandLine}': {error}");
            var result = new List<(CommandLineTokenKind, string)>();
            for (int k = 0; k < n; k++) result.Add((t[k].Kind, Encoding.UTF8.GetString(output, t[k].Start, t[k].Length)));
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

    [Fact]
    public void EnvironmentEntriesMustHaveAKey()
        => Assert.Throws<ArgumentException>(() => KernelCommandLine.Build([], ["=value"], []));
}
