namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// A section of docs/benchmarks.md that a benchmark rewrites on every run: the text between two HTML comments
/// named after the command that makes it, replaced in place, or appended under <c>heading</c> the first time.
/// Everything outside the markers is left as the authors wrote it.
/// </summary>
public static class GeneratedDocSection
{
    public static void Write(string path, string name, string heading, string report)
    {
        string beginMarker = $"<!-- {name}: generated section begins; edits inside are overwritten -->";
        string endMarker = $"<!-- {name}: generated section ends -->";
        string doc = File.ReadAllText(path);
        string block = beginMarker + "\n\n" + report.TrimEnd() + "\n\n" + endMarker;
        int begin = doc.IndexOf(beginMarker, StringComparison.Ordinal), end = doc.IndexOf(endMarker, StringComparison.Ordinal);
        doc = begin >= 0 && end > begin
            ? doc[..begin] + block + doc[(end + endMarker.Length)..]
            : doc.TrimEnd() + "\n\n## " + heading + "\n\n" + block + "\n";
        File.WriteAllText(path, doc);
    }
}
