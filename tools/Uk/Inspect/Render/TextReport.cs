using System.Globalization;
using Unikernel.Tools.Cli;

namespace Unikernel.Tools.Inspect.Render;

/// <summary>The table `uk inspect` prints: the image's facts, its parts (group, then parts) with bytes and shares,
/// then the largest assemblies and namespaces of the app's compiled .NET code, then notes.</summary>
public static class TextReport
{
    /// <summary>Children shown per group before the rest is summed into one line.</summary>
    public const int ChildrenShown = 8;
    private const int NameWidth = 52;
    // The part table's columns after the name: "  IMAGE BYTES      %     EXPANDED       LOADED".
    private const int NumberColumnsWidth = 2 + 11 + 1 + 6 + 2 + 11 + 2 + 11;

    public static void Write(ImageReport report, TextWriter output, TerminalStyle style, int top = 10)
    {
        var w = output;
        w.WriteLine(style.Bold($"uk inspect {report.ImagePath}"));
        string kind = report.Bootable ? "PVH-bootable image" : "ELF executable (not a PVH image)";
        if (report.Compression is { } compression)
        {
            Fact(w, style, "image", $"{N(compression.FileSize)} bytes ({Size(compression.FileSize)}) compressed, {N(report.FileSize)} expanded " +
                                    $"({Size(report.FileSize)}), {N(report.LoadedSize)} bytes loaded; {kind}, entry 0x{report.Entry:x}");
            Fact(w, style, "compressed", $"payload {N(compression.PayloadBytes)} bytes (LZ4) expands to {N(compression.ExpandedBytes)} at boot");
            foreach (var segment in compression.Segments)
                Fact(w, style, "  segment", $"0x{segment.Address:x} {segment.Flags} {N(segment.Bytes),12} -> {N(segment.CompressedBytes),12} " +
                                            $"({Percent(segment.CompressedBytes, segment.Bytes).Trim()})  {segment.Holds}");
        }
        else
            Fact(w, style, "image", $"{N(report.FileSize)} bytes ({Size(report.FileSize)}), {N(report.LoadedSize)} bytes loaded; {kind}, entry 0x{report.Entry:x}");
        Fact(w, style, "link map", report.MapPath ?? style.Dim("none"));
        if (report.AppPath is not null) Fact(w, style, "app", report.AppPath);
        if (report.AppPath is not null || report.AppMapPath is not null) Fact(w, style, "app map", report.AppMapPath ?? style.Dim("none"));
        Fact(w, style, "functions", !report.Bootable ? $"{N(report.AppFunctions)} (.symtab)"
            : report.SymbolsFilePath is { } beside ? $"{N(report.KernelFunctions)} kernel, {N(report.AppFunctions)} app (beside the image: {beside}, {N(report.SymbolsFileSize)} bytes)"
            : $"{N(report.KernelFunctions)} kernel, {N(report.AppFunctions)} app (uk_ksyms)");
        WriteImageInfo(report, w, style);
        if (report.Sbom.Status != SbomReader.Status.NotPresent)
            Fact(w, style, "sbom", report.Sbom.Status == SbomReader.Status.Matches
                ? $"CycloneDX {report.Sbom.SpecVersion}, {N(report.Sbom.ComponentCount)} components, matches the image (uk inspect --sbom prints it)"
                : style.Yellow(report.Sbom.Message));
        w.WriteLine();

        WriteParts(report, w, style);

        if (report.Assemblies.Count > 0)
        {
            w.WriteLine();
            w.WriteLine(style.Bold($"Largest assemblies: the app's compiled .NET methods, {N(report.ManagedCodeBytes)} bytes in {N(report.ManagedFunctions)} functions"));
            int aw = Math.Min(NameWidth, Math.Max(24, report.Assemblies.Take(top).Max(a => a.Assembly.Length)));
            w.WriteLine(style.Bold($"{"ASSEMBLY".PadRight(aw)}  {"BYTES",12} {"%",6}  {"FUNCTIONS",9}"));
            foreach (var a in report.Assemblies.Take(top))
                w.WriteLine($"{Fit(a.Assembly, aw).PadRight(aw)}  {N(a.Bytes),12} {Percent(a.Bytes, report.ManagedCodeBytes),6}  {N(a.Functions),9}");
            if (report.Assemblies.Count > top) w.WriteLine(style.Dim($"... {report.Assemblies.Count - top} more assemblies"));

            w.WriteLine();
            w.WriteLine(style.Bold("Largest namespaces"));
            var ns = report.Namespaces.Take(top).Select(n => (Name: $"{n.Namespace} ({n.Assembly})", n)).ToList();
            int nw = Math.Min(NameWidth + 16, Math.Max(24, ns.Max(n => n.Name.Length)));
            w.WriteLine(style.Bold($"{"NAMESPACE (ASSEMBLY)".PadRight(nw)}  {"BYTES",12} {"%",6}  {"FUNCTIONS",9}"));
            foreach (var (name, n) in ns)
                w.WriteLine($"{Fit(name, nw).PadRight(nw)}  {N(n.Bytes),12} {Percent(n.Bytes, report.ManagedCodeBytes),6}  {N(n.Functions),9}");
            if (report.Namespaces.Count > top) w.WriteLine(style.Dim($"... {report.Namespaces.Count - top} more namespaces"));
        }

        WriteFiles(report, w, style);

        if (report.Notes.Count > 0)
        {
            w.WriteLine();
            foreach (var note in report.Notes) w.WriteLine(style.Yellow("note: ") + note);
        }
    }

    // IMAGE BYTES is what a part weighs in the file as it is, so its % and the order of the parts follow it; EXPANDED
    // differs from it only where something is compressed, and the line under the table says how that was shared out.
    private static void WriteParts(ImageReport report, TextWriter w, TerminalStyle style)
    {
        var rows = new List<(string Name, Part Bytes, bool Group)>();
        foreach (var group in report.Parts)
        {
            rows.Add((group.Name, group, true));
            var shown = group.Children.OrderByDescending(c => c.ImageBytes).ThenByDescending(c => c.ExpandedBytes).ThenByDescending(c => c.MemoryBytes).ToList();
            // Keep the group's own order when it is a fixed list (ELF structure), largest first for the rest.
            if (group.Kind == "other") shown = group.Children;
            foreach (var c in shown.Take(ChildrenShown)) rows.Add(("  " + c.Name, c, false));
            if (shown.Count > ChildrenShown)
            {
                var rest = shown.Skip(ChildrenShown).ToList();
                rows.Add(($"  ... {rest.Count} more", new Part
                {
                    Name = "", Kind = "", ImageBytes = Sum(rest, p => p.ImageBytes), ExpandedBytes = Sum(rest, p => p.ExpandedBytes),
                    MemoryBytes = Sum(rest, p => p.MemoryBytes),
                }, false));
            }
        }
        ulong imageSize = (ulong)report.ImageFileSize;
        var total = new Part { Name = "total", Kind = "", ImageBytes = imageSize, ExpandedBytes = report.ExpandedSize, MemoryBytes = report.LoadedSize };
        int width = Math.Min(NameWidth, Math.Max(24, rows.Max(r => r.Name.Length)));
        string Line(string name, Part p) => $"{Fit(name, width).PadRight(width)}  {N(p.ImageBytes),11} {Percent(p.ImageBytes, imageSize),6}  {N(p.ExpandedBytes),11}  {N(p.MemoryBytes),11}";
        w.WriteLine(style.Bold($"{"PART".PadRight(width)}  {"IMAGE BYTES",11} {"%",6}  {"EXPANDED",11}  {"LOADED",11}"));
        foreach (var (name, bytes, isGroup) in rows) w.WriteLine(isGroup ? style.Bold(Line(name, bytes)) : Line(name, bytes));
        w.WriteLine(style.Bold(Line("total", total)));
        if (Attribution(report) is { } note)
            foreach (string line in Wrap(note, width + NumberColumnsWidth)) w.WriteLine(style.Dim(line));
    }

    /// <summary>How the image bytes of a compressed part were found, for under the table; null when nothing is compressed.</summary>
    public static string? Attribution(ImageReport report)
    {
        bool packed = report.Files.FileSystem?.Packed is not null;
        if (report.Compression is not null)
            return "IMAGE BYTES: what each part takes in this file. The LZ4 payload's bytes are charged to the parts whose bytes " +
                   "they expand to: a literal to its own byte, a sequence's token, lengths and offset to the first byte its match " +
                   "copies. EXPANDED: with the payload" + (packed ? " and uk_files' packed files" : "") + " expanded.";
        return packed ? "IMAGE BYTES: in this file; EXPANDED: with uk_files' packed files expanded." : null;
    }

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = new System.Text.StringBuilder();
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line.ToString();
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        if (line.Length > 0) yield return line.ToString();
    }

    private static void WriteImageInfo(ImageReport report, TextWriter w, TerminalStyle style)
    {
        var r = report.ImageInfo;
        switch (r.Status)
        {
            case ImageInfoReader.Status.NotPresent:
                Fact(w, style, "image info", style.Dim("not present"));
                break;
            case ImageInfoReader.Status.Malformed:
                Fact(w, style, "image info", style.Yellow($"malformed ({r.Problem})"));
                break;
            default:
                var info = r.Info!;
                Fact(w, style, "image info", $"{info.AppName ?? "?"} {info.Version ?? ""}".TrimEnd());
                if (info.ContentHash is not null) Fact(w, style, "  content", info.ContentHash);
                foreach (var input in info.Inputs) Fact(w, style, "  input", input);
                foreach (var e in info.Entries.Where(e => e.Key is not ("app" or "version" or "content-hash" or "input")))
                    Fact(w, style, "  " + e.Key, e.Value);
                break;
        }
    }

    /// <summary>Folders outside /app with more files than this are one line each (JSON lists every file).</summary>
    public const int FolderFilesShown = 8;

    // Every file of /app (the publish folder) by path and size; elsewhere (tzdata's hundreds of zones) a folder with
    // many files is one line with its count and bytes.
    private static void WriteFiles(ImageReport report, TextWriter w, TerminalStyle style)
    {
        if (report.Files.Problem is { } problem)
        {
            w.WriteLine();
            w.WriteLine(style.Yellow($"uk_files is malformed ({problem})"));
            return;
        }
        if (report.Files.FileSystem is not { } fs) return;
        w.WriteLine();
        w.WriteLine(style.Bold($"Files in the image: {N(fs.FileCount)} files and links, {N(fs.DataBytes)} bytes of distinct contents " +
                               $"(uk_files: {N(fs.SectionSize)} bytes); the app starts in {Path.GetDirectoryName(fs.ExecutablePath ?? "/app/x")}"));
        if (fs.Packed is { } packed)
            w.WriteLine($"Packed: {N(packed.FileCount)} files, {N(packed.ExpandedBytes)} bytes expanded, in {N(packed.BlockCount)} LZ4 blocks " +
                        $"of {N(packed.BlockSize)} bytes taking {N(packed.StoredBytes)} ({100.0 * packed.StoredBytes / Math.Max(1, packed.ExpandedBytes):F1} %); " +
                        "a block is expanded when a file in it is first read");
        var files = fs.Entries.Where(e => e.Type != "directory").ToList();
        var rows = new List<(string Path, string Bytes)>();
        foreach (var folder in files.GroupBy(f => f.Path[..f.Path.LastIndexOf('/')]))
        {
            var inFolder = folder.ToList();
            bool listed = folder.Key == "/app" || folder.Key.StartsWith("/app/", StringComparison.Ordinal) || inFolder.Count <= FolderFilesShown;
            if (listed)
                rows.AddRange(inFolder.Select(f => (f.Path + (f.Type == "symlink" ? " (symlink)" : f.Path == fs.ExecutablePath ? " (the executable)" : ""), N(f.Size))));
            else
                rows.Add(($"{folder.Key}/ ({N(inFolder.Count)} files)", N(inFolder.Aggregate(0UL, (t, f) => t + f.Size))));
        }
        int width = Math.Min(NameWidth + 16, Math.Max(24, rows.Max(r => r.Path.Length)));
        w.WriteLine(style.Bold($"{"PATH".PadRight(width)}  {"BYTES",12}"));
        foreach (var (path, bytes) in rows) w.WriteLine($"{Fit(path, width).PadRight(width)}  {bytes,12}");
    }

    private static void Fact(TextWriter w, TerminalStyle style, string label, string value)
        => w.WriteLine($"  {style.Cyan(label.PadRight(11))}{value}");

    private static ulong Sum(IEnumerable<Part> parts, Func<Part, ulong> f) => parts.Aggregate(0UL, (t, p) => t + f(p));

    public static string N(ulong v) => v.ToString("N0", CultureInfo.InvariantCulture);
    public static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
    public static string N(int v) => v.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(ulong part, ulong whole)
        => whole == 0 ? "-" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Size(long bytes)
    {
        if (bytes < 1024) return $"{bytes} B";
        if (bytes < 1024 * 1024) return (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB";
        return (bytes / (1024.0 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " MiB";
    }

    private static string Fit(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";
}
