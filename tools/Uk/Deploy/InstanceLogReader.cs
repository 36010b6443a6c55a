namespace Unikernel.Tools.Deploy;

/// <summary>
/// An instance's log for `uk logs`: its console (<see cref="ConsoleLogReader"/>: everything, from the first boot line),
/// or with <c>shipped</c> the lines it shipped to the deployment's collector (collected.log, RFC 5424, shown as
/// "TIMESTAMP STREAM MESSAGE").
/// </summary>
public sealed class InstanceLogReader(InstanceRecord instance, bool shipped)
{
    private readonly ConsoleLogReader _console = new(instance);
    private long _offset;
    private string _partial = "";

    public InstanceRecord Instance => instance;

    public List<string> ReadNewLines() => shipped ? ReadCollected() : _console.ReadNewLines();

    private List<string> ReadCollected()
    {
        var lines = new List<string>();
        if (!File.Exists(instance.CollectedLog)) return lines;
        using var file = new FileStream(instance.CollectedLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (file.Length <= _offset) return lines;
        file.Position = _offset;
        var bytes = new byte[file.Length - _offset];
        int read = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        _offset += read;
        string text = _partial + System.Text.Encoding.UTF8.GetString(bytes, 0, read);
        int end = text.LastIndexOf('\n');
        _partial = text[(end + 1)..];
        if (end < 0) return lines;
        foreach (string line in text[..end].Split('\n'))
            lines.Add(SyslogMessage.Parse(line) is { } m ? $"{m.Timestamp} {m.MessageId} {m.Text}" : line);
        return lines;
    }
}
