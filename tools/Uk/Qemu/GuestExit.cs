using System.Text.RegularExpressions;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// How a boot ended, from QEMU's exit code: the guest's status, or why there is none. The status comes only from
/// isa-debug-exit, which turns the byte N the kernel writes into QEMU exit code 2N+1 -- a channel the app cannot use (port
/// I/O faults in ring 3). The kernel's own "uk: exit status N" line (authenticated by the console tag, never text the app
/// printed) only restores the top bit that 2N+1 loses in an 8-bit exit code (an app killed by a signal: 128 + signal), and
/// tells QEMU exit code 1 (guest status 0) from QEMU's own failure (also 1: a bad option, an image it cannot load).
/// </summary>
public sealed partial record GuestExit(int Status, string? Problem)
{
    /// <summary>QEMU itself failed (it could not start the guest): uk's own failure, as `docker run` reports its own.</summary>
    public const int QemuFailed = 125;
    /// <summary>The guest stopped without handing over a status: a reset, a triple fault, a power-off by other means.</summary>
    public const int NoStatus = 126;
    /// <summary>The guest ran out of time (as `timeout` reports it).</summary>
    public const int TimedOut = 124;

    /// <param name="kernelLines">The kernel's authenticated console lines (ConsoleRouter), without the tag.</param>
    /// <param name="qemuError">QEMU's own stderr.</param>
    public static GuestExit Decode(int qemuExitCode, IReadOnlyList<string> kernelLines, string qemuError)
    {
        int? printed = null;
        for (int i = kernelLines.Count - 1; i >= 0 && printed is null; i--)
            if (ExitStatusLine().Match(kernelLines[i]) is { Success: true } m && int.TryParse(m.Groups[1].Value, out int n) && n is >= 0 and <= 255)
                printed = n;

        if (qemuExitCode == 0)
            return new(NoStatus, "the guest stopped without an exit status (QEMU exited with 0: a reset or a triple fault)");
        // Exit code 1 is guest status 0 when the kernel said so, or when QEMU said nothing (it reports its own errors on
        // stderr; an image from before the console tag prints no tagged line).
        string message = FirstLine(qemuError);
        if ((qemuExitCode & 1) == 1 && qemuExitCode is > 0 and <= 255 && (qemuExitCode > 1 || printed is not null || message.Length == 0))
        {
            int low = qemuExitCode >> 1;
            return new(printed is { } p && (p & 0x7F) == low ? p : low, null);
        }
        return new(QemuFailed, message.Length > 0 ? $"QEMU failed: {message}" : $"QEMU failed with exit code {qemuExitCode} before the guest reported an exit status");
    }

    /// <summary>QEMU's first non-empty line ("qemu-system-x86_64: ..."), as it said it.</summary>
    public static string FirstLine(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";

    [GeneratedRegex(@"^uk: exit status (\d{1,3})$")]
    private static partial Regex ExitStatusLine();
}
