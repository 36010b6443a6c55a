using System.Text;
using System.Text.Json;
using Kernel.Boot;
using Unikernel.Tools.Export;
using Unikernel.Tools.Qemu;

namespace Unikernel.Runtime.Tests;

/// <summary>
/// What the kernel reads from a Firecracker boot: the boot_args `uk export firecracker` writes, with the device word
/// Firecracker adds among the boot arguments (linux-loader's Cmdline inserts `virtio_mmio.device=SIZE@BASE:IRQ` before a
/// "--"), parsed by the kernel's own parser: the environment, the arguments and the device, each as what it is.
/// </summary>
public unsafe class FirecrackerBootArgsTests
{
    private const string DeviceWord = "virtio_mmio.device=4K@0xd0000000:5";

    private static string BootArgs(string[] environment, string[] arguments)
    {
        var vm = new VmSpec
        {
            Name = "hello", MemoryBytes = 128UL << 20, ImageHash = new byte[32],
            CommandLine = KernelCommandLine.Build([], environment, arguments),
        };
        string json = FirecrackerConfig.Build(vm, new() { KernelPath = "/srv/hello.img" });
        return JsonDocument.Parse(json).RootElement.GetProperty("boot-source").GetProperty("boot_args").GetString()!;
    }

    /// <summary>Firecracker's insertion: after the boot arguments, before "--" and what follows it.</summary>
    private static string WithDevice(string bootArgs)
    {
        int separator = (" " + bootArgs + " ").IndexOf(" -- ", StringComparison.Ordinal);
        if (separator < 0) return bootArgs.Length == 0 ? DeviceWord : bootArgs + " " + DeviceWord;
        string before = bootArgs[..separator].TrimEnd();
        return (before.Length > 0 ? before + " " : "") + DeviceWord + " " + bootArgs[separator..].TrimStart();
    }

    private static List<(CommandLineTokenKind Kind, string Text)> Parse(string commandLine)
    {
        byte[] input = Encoding.ASCII.GetBytes(commandLine);
        byte[] output = new byte[input.Length + 257];
        var tokens = new CommandLineToken[256];
        fixed (byte* i = input) fixed (byte* o = output) fixed (CommandLineToken* t = tokens)
        {
            int n = CommandLineParser.Parse(i, input.Length, o, output.Length, t, tokens.Length, out var error);
            Assert.True(n >= 0, $"kernel rejected '{commandLine}': {error}");
            var result = new List<(CommandLineTokenKind, string)>();
            for (int k = 0; k < n; k++) result.Add((tokens[k].Kind, Encoding.UTF8.GetString(output, tokens[k].Start, tokens[k].Length)));
            return result;
        }
    }

    [Theory]
    [InlineData(new[] { "GREETING=hello world" }, new[] { "one", "two words" })]
    [InlineData(new[] { "A=1" }, new string[0])]
    [InlineData(new string[0], new[] { "--flag", "x=y" })]
    [InlineData(new string[0], new string[0])]
    public void TheKernelReadsTheEntriesAndTheDeviceFirecrackerAdds(string[] environment, string[] arguments)
    {
        var parsed = Parse(WithDevice(BootArgs(environment, arguments)));
        var expected = environment.Select(e => (CommandLineTokenKind.Environment, e))
            .Append((CommandLineTokenKind.KernelOption, DeviceWord))
            .Concat(arguments.Select(a => (CommandLineTokenKind.Argument, a)))
            .ToList();
        Assert.Equal(expected, parsed);
    }
}
