using System.Globalization;

namespace Unikernel.Tools.Inspect;

/// <summary>
/// A link map as uk-ld writes it (the format: formats/LinkMapFormat.cs; the writer:
/// linker/Unikernel.Linker/Output/LinkMapWriter.cs): rows are read by position and extra columns are ignored.
/// Unknown record kinds are skipped.
/// </summary>
public sealed class LinkMap
{
    public const string FormatLine = LinkMapFormat.FormatLine;

    public sealed record Segment(string Flags, ulong Address, ulong Offset, ulong FileSize, ulong MemorySize);
    public sealed record Input(string File, string Section, ulong Address, ulong Size, string Unit);
    public sealed record Section(string Name, ulong Address, ulong Size, string Segment, List<Input> Inputs);
    /// <summary>A <c>file</c> row: what one input file (or archive member) contributes, by kind.</summary>
    public sealed record FileContribution(string Path, ulong Text, ulong ReadOnly, ulong Data, ulong Bss, string Unit)
    {
        public ulong FileBytes => Text + ReadOnly + Data;
        public ulong MemoryBytes => Text + ReadOnly + Data + Bss;
    }
    /// <summary>The <c>app</c> record of an image linked with --app.</summary>
    public sealed record AppRecord(string Path, ulong Entry, ulong Start, ulong End, ulong Functions);
    public sealed record AppSegment(string Flags, ulong Address, ulong Offset, ulong FileSize, ulong MemorySize);

    public string? Path { get; init; }
    public string? EntrySymbol { get; private set; }
    public ulong EntryAddress { get; private set; }
    public ulong ImageStart { get; private set; }
    public ulong ImageEnd { get; private set; }
    public AppRecord? App { get; private set; }
    public List<AppSegment> AppSegments { get; } = [];
    public List<Segment> Segments { get; } = [];
    public List<Section> Sections { get; } = [];
    public List<FileContribution> Files { get; } = [];

    public static LinkMap Read(string path) => Parse(File.ReadAllText(path), path);

    public static LinkMap Parse(string text, string? path = null)
    {
        var map = new LinkMap { Path = path };
        var lines = text.Split('\n');
        if (lines.Length == 0 || lines[0].TrimEnd('\r') != FormatLine)
            throw new FormatException($"{path ?? "link map"}: not a uk-ld link map (first line is not '{FormatLine}')");
        Section? current = null;
        for (int n = 1; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            bool indented = line[0] == '\t';
            var f = (indented ? line[1..] : line).Split('\t');
            try
            {
                switch (f[0])
                {
                    case LinkMapFormat.Entry when f.Length >= 3:
                        map.EntrySymbol = f[1]; map.EntryAddress = Hex(f[2]); break;
                    case LinkMapFormat.Image when f.Length >= 3:
                        map.ImageStart = Hex(f[1]); map.ImageEnd = Hex(f[2]); break;
                    case LinkMapFormat.App when f.Length >= 8:
                        map.App = new AppRecord(f[1], Hex(f[2]), Hex(f[5]), Hex(f[6]), Hex(f[7])); break;
                    case LinkMapFormat.AppSegment when f.Length >= 8:
                        map.AppSegments.Add(new AppSegment(f[2], Hex(f[3]), Hex(f[4]), Hex(f[5]), Hex(f[6]))); break;
                    case LinkMapFormat.Segment when f.Length >= 7:
                        map.Segments.Add(new Segment(f[2], Hex(f[3]), Hex(f[4]), Hex(f[5]), Hex(f[6]))); break;
                    case LinkMapFormat.Section when f.Length >= 6:
                        current = new Section(f[1], Hex(f[2]), Hex(f[3]), f[5], []);
                        map.Sections.Add(current);
                        break;
                    case LinkMapFormat.Input when indented && f.Length >= 6 && current is not null:
                        current.Inputs.Add(new Input(f[1], f[2], Hex(f[3]), Hex(f[4]), f.Length >= 7 ? f[6] : LinkMapFormat.DefaultUnit)); break;
                    case LinkMapFormat.File when f.Length >= 7:
                        map.Files.Add(new FileContribution(f[1], Hex(f[2]), Hex(f[3]), Hex(f[4]), Hex(f[5]), f.Length >= 8 ? f[7] : LinkMapFormat.DefaultUnit)); break;
                }
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path ?? "link map"}:{n + 1}: {e.Message}");
            }
        }
        return map;
    }

    /// <summary>True when this map's segments are the given app segments (same addresses and sizes): the app map
    /// describes the executable that was embedded, not an older or newer build of it.</summary>
    public bool DescribesSegments(IReadOnlyList<AppSegment> appSegments)
        => appSegments.Count > 0 && appSegments.Count == Segments.Count
           && appSegments.Zip(Segments).All(p => p.First.Address == p.Second.Address && p.First.FileSize == p.Second.FileSize
                                                 && p.First.MemorySize == p.Second.MemorySize);

    private static ulong Hex(string s)
    {
        var digits = s.StartsWith(LinkMapFormat.HexPrefix, StringComparison.OrdinalIgnoreCase) ? s.AsSpan(LinkMapFormat.HexPrefix.Length) : s.AsSpan();
        if (!ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
            throw new FormatException($"'{s}' is not a hex number");
        return value;
    }
}
