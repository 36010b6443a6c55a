using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/globalization (InvariantGlobalization=false, so the package linked ICU and its data statically) in the
/// unikernel against the same executable on Linux: culture formatting, collation, casing, IDNA, normalization and the
/// culture list must be the same, and must be ICU's (an invariant-mode run would print different lines on both sides).
/// </summary>
public class GlobalizationAppTests
{
    private const string App = "globalization";

    [Fact]
    public async Task CulturesMatchLinux()
    {
        string[] environment = ["LANG=de_DE.UTF-8"];
        var linux = AppImages.RunOnLinux(App, [], environment);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, [], environment);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, linux.ExitStatus);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);

        // ICU answered, not the invariant mode: German digit grouping, Turkish dotted capitals, Swedish order, the
        // current culture from LANG.
        Assert.Contains("icu: True", linux.Lines);
        Assert.Contains("  number   1.234.567,89", linux.Lines);
        Assert.Contains(linux.Lines, l => l.StartsWith("upper tr-TR: İSTANBUL Iİ", StringComparison.Ordinal));
        Assert.Contains("sort sv-SE: apfel ol Zebra zucker Ähre Äpfel Ärger Öl", linux.Lines);
        Assert.Contains("current: 'de-DE' 3,5", linux.Lines);
    }
}
