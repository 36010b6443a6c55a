using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

/// <summary>On a disk boot, the firmware's text before the kernel's first line becomes "firmware: " lines (without
/// terminal escapes), never the app's output; after the kernel's first line everything passes as before.</summary>
public sealed class FirmwarePreludeTests
{
    private const string Tag = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void FirmwareTextBeforeTheKernelBecomesFirmwareLines()
    {
        var app = new List<string>();
        var kernel = new List<string>();
        var prelude = new FirmwarePrelude(app.Add, kernel.Add);
        var router = new ConsoleRouter(Tag, prelude.App, prelude.Kernel);
        router.Write("\u001bc\u001b[?7l\u001b[2J\u001b[0mSeaBIOS (version 1.16.2)\r\nBooting from ");
        router.Write("Hard Disk...\r\n\u001e" + Tag + "uk: kernel up\r\nHello\r\n");
        router.Complete();
        prelude.Complete();
        Assert.Equal(["firmware: SeaBIOS (version 1.16.2)", "firmware: Booting from Hard Disk...", "uk: kernel up"], kernel);
        Assert.Equal("Hello\r\n", string.Concat(app));
    }

    [Fact]
    public void ALoaderErrorWithoutAKernelLineIsStillReported()
    {
        var kernel = new List<string>();
        var prelude = new FirmwarePrelude(_ => Assert.Fail("no app output"), kernel.Add);
        prelude.App("\u001b[2J\u001b[01;01HBdsDxe: starting Boot0001\r\nUK UEFI loader: cannot open \\UK\\IMAGE.ELF\r\n");
        prelude.Complete();
        Assert.Equal(["firmware: BdsDxe: starting Boot0001", @"firmware: UK UEFI loader: cannot open \UK\IMAGE.ELF"], kernel);
    }
}
