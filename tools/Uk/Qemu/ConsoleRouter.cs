using System.Text;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// Splits the guest's serial console into the app's output and the kernel's lines. A kernel line is one that starts with
/// <see cref="ConsoleTag.LineMarker"/> and this boot's secret (<see cref="ConsoleTag"/>), wherever it appears: after a
/// partial app line too (the app's "Enter a number: " then a kernel line). The marker and secret are stripped, and so is
/// the CR of the kernel's CR LF. Everything else, including app lines that start with "uk: ", is the app's, passed on
/// unchanged and as soon as it arrives (only text that could still become the marker is held: it starts with the record
/// separator, which apps rarely write). Safe to call from QEMU's output pumps at once.
/// </summary>
public sealed class ConsoleRouter(string tag, Action<string> onAppOutput, Action<string> onKernelLine)
{
    private readonly string _marker = ConsoleTag.LineMarker + tag;
    private readonly object _lock = new();
    private readonly StringBuilder _held = new();     // app text that may be the start of the marker
    private readonly StringBuilder _kernelLine = new();
    private bool _inKernelLine;

    public void Write(string text)
    {
        lock (_lock)
        {
            var appText = new StringBuilder();
            foreach (char c in text)
            {
                if (_inKernelLine)
                {
                    if (c == '\n') EndKernelLine();
                    else _kernelLine.Append(c);
                    continue;
                }
                if (_held.Length == 0 && c != ConsoleTag.LineMarker) { appText.Append(c); continue; }
                _held.Append(c);
                if (IsMarkerPrefix(_held))
                {
                    if (_held.Length < _marker.Length) continue;
                    _held.Clear();
                    _inKernelLine = true;
                    // The app's text before the marker goes first: the pieces leave in the order they came.
                    if (appText.Length > 0) { onAppOutput(appText.ToString()); appText.Clear(); }
                    continue;
                }
                // Not the marker: the marker's first character occurs nowhere else in it, so only a trailing one may still start it.
                bool restarts = c == ConsoleTag.LineMarker;
                appText.Append(_held, 0, _held.Length - (restarts ? 1 : 0));
                _held.Clear();
                if (restarts) _held.Append(c);
            }
            if (appText.Length > 0) onAppOutput(appText.ToString());
        }
    }

    /// <summary>The guest is gone: pass on what is still held back (a kernel line without its newline is still the kernel's).</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_inKernelLine) EndKernelLine();
            if (_held.Length > 0) { onAppOutput(_held.ToString()); _held.Clear(); }
        }
    }

    private bool IsMarkerPrefix(StringBuilder held)
    {
        if (held.Length > _marker.Length) return false;
        for (int i = 0; i < held.Length; i++) if (held[i] != _marker[i]) return false;
        return true;
    }

    private void EndKernelLine()
    {
        string line = _kernelLine.ToString().TrimEnd('\r');
        _kernelLine.Clear();
        _inKernelLine = false;
        onKernelLine(line);
    }
}
