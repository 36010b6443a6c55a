namespace Unikernel.Tools.Deploy;

/// <summary>
/// The parts of an RFC 5424 syslog message `uk logs` shows: <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
/// STRUCTURED-DATA [MSG]</c>. The kernel's shipper (docs/logs.md) puts the instance id in HOSTNAME and the stream
/// (stdout, stderr, kernel) in MSGID.
/// </summary>
public sealed record SyslogMessage(int Priority, string Timestamp, string Host, string AppName, string MessageId, string Text)
{
    /// <summary>The message, or null when <paramref name="line"/> is not RFC 5424.</summary>
    public static SyslogMessage? Parse(string line)
    {
        if (line.Length < 4 || line[0] != '<') return null;
        int close = line.IndexOf('>');
        if (close is < 2 or > 4 || !int.TryParse(line.AsSpan(1, close - 1), System.Globalization.NumberStyles.None, null, out int priority) || priority > 191) return null;
        int at = close + 1;
        string?[] fields = new string?[6];   // VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
        for (int i = 0; i < fields.Length; i++)
        {
            int space = line.IndexOf(' ', at);
            if (space < 0) return null;
            fields[i] = line[at..space];
            at = space + 1;
        }
        if (fields[0] != "1") return null;
        // STRUCTURED-DATA: "-" or one or more [ID PARAM="VALUE" ...] elements, where a value may hold an escaped ']'.
        if (at < line.Length && line[at] == '-') at++;
        else
        {
            bool inValue = false;
            while (at < line.Length && line[at] == '[')
            {
                for (at++; at < line.Length; at++)
                {
                    char c = line[at];
                    if (inValue && c == '\\') { at++; continue; }
                    if (c == '"') inValue = !inValue;
                    else if (c == ']' && !inValue) { at++; break; }
                }
            }
        }
        string text = at < line.Length && line[at] == ' ' ? line[(at + 1)..] : "";
        if (text.StartsWith('\uFEFF')) text = text[1..];
        return new SyslogMessage(priority, fields[1]!, fields[2]!, fields[3]!, fields[5]!, text);
    }
}
