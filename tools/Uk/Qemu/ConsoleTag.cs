using System.Security.Cryptography;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// The per-boot secret that tells the kernel's console lines from the app's (one serial console carries both, in order).
/// `uk` passes it as the kernel option uk.console.tag=HEX; the kernel starts each of its lines with
/// <see cref="LineMarker"/> and the secret (runtime/Kernel/Console/KernelConsole.cs) and never shows it to the app, so a
/// line the app prints, "uk: exit status 0" included, is never taken for the kernel's (<see cref="ConsoleRouter"/>).
/// </summary>
public static class ConsoleTag
{
    public const string OptionName = "uk.console.tag";
    /// <summary>ASCII record separator, before the secret.</summary>
    public const char LineMarker = '\u001e';
    /// <summary>The option's length on the command line, with the space after it.</summary>
    public const int OptionLength = 15 + 32 + 1;

    /// <summary>128 random bits as 32 lower-case hexadecimal digits.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string Option(string tag) => $"{OptionName}={tag}";
}
