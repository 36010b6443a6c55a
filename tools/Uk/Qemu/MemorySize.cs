using System.Globalization;
using System.Text.RegularExpressions;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// `uk run -m SIZE` in QEMU's syntax (a number, MiB unless it ends in B, K, M, G or T, either case; a fraction allowed:
/// 1.5G), checked by uk so that a mistyped size is a usage error with one line instead of a QEMU failure.
/// </summary>
public static partial class MemorySize
{
    /// <summary>QEMU's microvm and pc machines need at least a few MiB; more than 1 TiB is no machine's.</summary>
    public const ulong Minimum = 1UL << 20, Maximum = 1UL << 40;

    /// <exception cref="ArgumentException">What is wrong with <paramref name="text"/>, naming it.</exception>
    public static ulong Parse(string text)
    {
        var m = Syntax().Match(text);
        if (!m.Success) throw new ArgumentException($"-m {text}: expected a size such as 128M, 1G or 512 (MiB)");
        double number = double.Parse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        int shift = m.Groups[2].Value.ToUpperInvariant() switch { "B" => 0, "K" => 10, "" or "M" => 20, "G" => 30, _ => 40 };
        double bytes = Math.Round(number * (1UL << shift));
        if (bytes < Minimum) throw new ArgumentException($"-m {text}: less than 1 MiB of guest RAM");
        if (bytes > Maximum) throw new ArgumentException($"-m {text}: more than 1 TiB of guest RAM");
        return (ulong)bytes;
    }

    [GeneratedRegex(@"^([0-9]{1,15}(?:\.[0-9]{1,9})?)([BbKkMmGgTt]?)$")]
    private static partial Regex Syntax();
}
