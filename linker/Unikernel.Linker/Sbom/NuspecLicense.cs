using System.Text;

namespace Unikernel.Linker.Sbom;

/// <summary>
/// The licence elements of a .nuspec: <c>package/metadata/license</c> (with its <c>type</c> attribute) and
/// <c>package/metadata/licenseUrl</c>, and the package's <c>id</c> and <c>version</c>. A small reader of the XML that nuspecs use (elements, attributes, comments,
/// processing instructions, CDATA, the five predefined entities and character references) instead of System.Xml, which
/// would more than double the size of uk-ld's NativeAOT executable; a document outside that subset (a DTD) is refused.
/// Element names are matched by local name, since NuGet's namespace differs between versions.
/// </summary>
public static class NuspecLicense
{
    public sealed record Elements(string? License, string? LicenseType, string? LicenseUrl, string? Id = null, string? Version = null);

    public static Elements Read(string xml)
    {
        var path = new List<string>();
        string? license = null, type = null, url = null, id = null, version = null;
        var text = new StringBuilder();
        int i = 0;
        while (i < xml.Length)
        {
            if (xml[i] != '<')
            {
                int next = xml.IndexOf('<', i);
                if (next < 0) next = xml.Length;
                text.Append(Decode(xml[i..next]));
                i = next;
                continue;
            }
            if (Starts(xml, i, "<!--")) { i = End(xml, i, "-->"); continue; }
            if (Starts(xml, i, "<?")) { i = End(xml, i, "?>"); continue; }
            if (Starts(xml, i, "<![CDATA["))
            {
                int end = End(xml, i, "]]>");
                text.Append(xml, i + 9, end - 3 - (i + 9));
                i = end;
                continue;
            }
            if (Starts(xml, i, "<!"))
                throw new FormatException("a document type declaration (not in a nuspec)");
            int close = xml.IndexOf('>', i);
            if (close < 0)
                throw new FormatException("a tag is not closed");
            string tag = xml[(i + 1)..close];
            i = close + 1;
            if (tag.StartsWith('/'))
            {
                if (path.Count == 0)
                    throw new FormatException($"an end tag <{tag}> without a start tag");
                string local = path[^1];
                if (path.Count == 3 && path[0] == "package" && path[1] == "metadata")
                {
                    if (local == "license") license = text.ToString().Trim();
                    else if (local == "licenseUrl") url = text.ToString().Trim();
                    else if (local == "id") id = text.ToString().Trim();
                    else if (local == "version") version = text.ToString().Trim();
                }
                path.RemoveAt(path.Count - 1);
                continue;
            }
            bool empty = tag.EndsWith('/');
            if (empty) tag = tag[..^1];
            int nameEnd = 0;
            while (nameEnd < tag.Length && !char.IsWhiteSpace(tag[nameEnd])) nameEnd++;
            string name = LocalName(tag[..nameEnd]);
            if (!empty)
            {
                path.Add(name);
                text.Clear();
                if (path.Count == 3 && path[0] == "package" && path[1] == "metadata" && name == "license")
                    type = Attribute(tag[nameEnd..], "type");
            }
        }
        if (path.Count != 0)
            throw new FormatException($"<{path[^1]}> is not closed");
        return new Elements(license, type, url, id, version);
    }

    private static bool Starts(string xml, int at, string prefix) => string.CompareOrdinal(xml, at, prefix, 0, prefix.Length) == 0;

    private static int End(string xml, int at, string terminator)
    {
        int end = xml.IndexOf(terminator, at, StringComparison.Ordinal);
        if (end < 0)
            throw new FormatException($"'{terminator}' is missing");
        return end + terminator.Length;
    }

    private static string LocalName(string name) => name[(name.IndexOf(':') + 1)..];

    private static string? Attribute(string attributes, string wanted)
    {
        int i = 0;
        while (i < attributes.Length)
        {
            while (i < attributes.Length && char.IsWhiteSpace(attributes[i])) i++;
            int equals = attributes.IndexOf('=', i);
            if (equals < 0) break;
            string name = attributes[i..equals].Trim();
            int open = equals + 1;
            while (open < attributes.Length && char.IsWhiteSpace(attributes[open])) open++;
            if (open >= attributes.Length || attributes[open] is not ('"' or '\''))
                throw new FormatException($"attribute {name} has no quoted value");
            int close = attributes.IndexOf(attributes[open], open + 1);
            if (close < 0)
                throw new FormatException($"attribute {name}'s value is not closed");
            if (LocalName(name) == wanted)
                return Decode(attributes[(open + 1)..close]);
            i = close + 1;
        }
        return null;
    }

    /// <summary>The predefined entities and character references (XML 1.0, 4.6 and 4.1).</summary>
    private static string Decode(string text)
    {
        if (!text.Contains('&')) return text;
        var decoded = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '&') { decoded.Append(text[i]); continue; }
            int semicolon = text.IndexOf(';', i);
            if (semicolon < 0) throw new FormatException("an '&' without ';'");
            string entity = text[(i + 1)..semicolon];
            decoded.Append(entity switch
            {
                "amp" => "&", "lt" => "<", "gt" => ">", "quot" => "\"", "apos" => "'",
                _ when entity.StartsWith("#x", StringComparison.Ordinal) => char.ConvertFromUtf32(Convert.ToInt32(entity[2..], 16)),
                _ when entity.StartsWith('#') => char.ConvertFromUtf32(int.Parse(entity[1..], System.Globalization.CultureInfo.InvariantCulture)),
                _ => throw new FormatException($"the entity &{entity}; (a nuspec uses only XML's predefined ones)"),
            });
            i = semicolon;
        }
        return decoded.ToString();
    }
}
