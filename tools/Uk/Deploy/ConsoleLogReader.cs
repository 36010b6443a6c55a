using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// Reads an instance's console log (QEMU's serial output, kept in its directory) from where it left off, split into
/// lines: the app's output and the kernel's lines, told apart by the boot's console tag as `uk run` does
/// (<see cref="ConsoleRouter"/>), the tag stripped.
/// </summary>
public sealed class ConsoleLogReader
{
    private readonly InstanceRecord _instance;
    private readonly ConsoleRouter _router;
    private readonly StringBuilder _partial = new();
    private readonly List<string> _lines = [];
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private long _offset;

    public ConsoleLogReader(InstanceRecord instance)
    {
        _instance = instance;
        _router = new ConsoleRouter(instance.ConsoleTag, AppText, line => _lines.Add(line));
    }

    public InstanceRecord Instance => _instance;

    private void AppText(string text)
    {
        foreach (char c in text)
        {
            if (c == '\n') { _lines.Add(_partial.ToString().TrimEnd('\r')); _partial.Clear(); }
            else _partial.Append(c);
        }
    }

    /// <summary>The whole lines written since the last call.</summary>
    public List<string> ReadNewLines()
    {
        _lines.Clear();
        try
        {
            using var file = new FileStream(_instance.ConsoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (file.Length > _offset)
            {
                file.Position = _offset;
                var bytes = new byte[file.Length - _offset];
                int read = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
                _offset += read;
                var chars = new char[_decoder.GetCharCount(bytes, 0, read)];
                _decoder.GetChars(bytes, 0, read, chars, 0);
                _router.Write(new string(chars));
            }
        }
        catch (FileNotFoundException) { }
        catch (DirectoryNotFoundException) { }
        return [.. _lines];
    }
}
