using System.Text;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// Splits the guest's serial console for `uk run`: lines that start with "uk: " are the kernel's and go to the kernel
/// writer (stderr), with the serial line's CR LF turned into LF, and so does an empty CR LF line (the kernel writes CR LF,
/// the app's newlines arrive as bare LF: the kernel does not translate them); everything else is the app's stdout and stderr, passed
/// through unchanged and as soon as it arrives (a partial line is held only while it could still become "uk: " or
/// an empty CR LF line).
/// With no kernel writer (--quiet) the kernel's lines are kept, the last <see cref="KeptLines"/> of them, for a report
/// when the guest fails. Safe to call from QEMU's output pumps at once.
/// </summary>
public sealed class ConsoleRouter(TextWriter app, TextWriter? kernel)
{
    public const string KernelPrefix = "uk: ";
    public const int KeptLines = 50;

    private enum LineKind { Undecided, App, Kernel }

    private readonly object _lock = new();
    private readonly StringBuilder _line = new();
    private readonly Queue<string> _hidden = new();
    private LineKind _kind = LineKind.Undecided;

    /// <summary>The kernel lines --quiet hid (the last <see cref="KeptLines"/>).</summary>
    public IReadOnlyList<string> HiddenKernelLines { get { lock (_lock) return _hidden.ToList(); } }

    public void Write(string text)
    {
        lock (_lock)
        {
            var appText = new StringBuilder();
            foreach (char c in text)
            {
                switch (_kind)
                {
                    case LineKind.App:
                        appText.Append(c);
                        if (c == '\n') _kind = LineKind.Undecided;
                        break;
                    case LineKind.Kernel:
                        _line.Append(c);
                        if (c == '\n') EndKernelLine();
                        break;
                    default:
                        _line.Append(c);
                        if (_line.Length >= KernelPrefix.Length && StartsWith(_line, KernelPrefix))
                        {
                            _kind = LineKind.Kernel;
                            if (c == '\n') EndKernelLine();
                        }
                        else if (c == '\n' && _line.Length == 2 && _line[0] == '\r')
                        {
                            EndKernelLine();   // an empty CR LF line: the kernel's (the app's newlines are bare LF)
                        }
                        else if (c == '\n' || !(KernelPrefix.StartsWith(_line.ToString(), StringComparison.Ordinal) || _line is [ '\r' ]))
                        {
                            appText.Append(_line);
                            _line.Clear();
                            _kind = c == '\n' ? LineKind.Undecided : LineKind.App;
                        }
                        break;
                }
            }
            if (appText.Length > 0)
            {
                app.Write(appText.ToString());
                app.Flush();
            }
        }
    }

    /// <summary>The guest is gone: write what is still held back.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_line.Length == 0) return;
            if (_kind == LineKind.Kernel) EndKernelLine();
            else { app.Write(_line.ToString()); app.Flush(); }
            _line.Clear();
            _kind = LineKind.Undecided;
        }
    }

    private void EndKernelLine()
    {
        string line = _line.ToString().TrimEnd('\n').TrimEnd('\r');
        _line.Clear();
        _kind = LineKind.Undecided;
        if (kernel is not null)
        {
            kernel.Write(line + "\n");
            kernel.Flush();
            return;
        }
        _hidden.Enqueue(line);
        while (_hidden.Count > KeptLines) _hidden.Dequeue();
    }

    private static bool StartsWith(StringBuilder sb, string prefix)
    {
        if (sb.Length < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++) if (sb[i] != prefix[i]) return false;
        return true;
    }
}
