using System.Text;
using System.Text.RegularExpressions;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// On a disk boot the serial console first carries the firmware's and the loader's text (SeaBIOS's banner, OVMF's
/// "BdsDxe: loading Boot0001", terminal resets, a loader's error), then the kernel's first tagged line. That text is
/// neither the app's nor tagged: it is held until the kernel's first line (or the end) and then passed on as kernel-side
/// lines ("firmware: ..."), with terminal control sequences removed, so the app's output is what a -kernel boot prints.
/// </summary>
public sealed partial class FirmwarePrelude(Action<string> onAppOutput, Action<string> onKernelLine)
{
    public const string LinePrefix = "firmware: ";
    private readonly StringBuilder _held = new();
    private bool _kernelStarted;

    public void App(string text)
    {
        if (_kernelStarted) onAppOutput(text);
        else _held.Append(text);
    }

    public void Kernel(string line)
    {
        if (!_kernelStarted) Release();
        onKernelLine(line);
    }

    /// <summary>The boot is over: a loader that failed before the kernel started said why in the held text.</summary>
    public void Complete()
    {
        if (!_kernelStarted) Release();
    }

    private void Release()
    {
        _kernelStarted = true;
        foreach (var line in ControlSequence().Replace(_held.ToString(), "").Split('\n'))
        {
            string text = line.Trim('\r', ' ');
            if (text.Length > 0) onKernelLine(LinePrefix + text);
        }
        _held.Clear();
    }

    /// <summary>ANSI/VT100 escapes the firmwares write: CSI sequences (ESC [ ... final byte) and two-byte ones (ESC c).</summary>
    [GeneratedRegex(@"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_a-z]")]
    private static partial Regex ControlSequence();
}
