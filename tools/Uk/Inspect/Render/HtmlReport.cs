using System.Globalization;
using System.Net;
using System.Text;

namespace Unikernel.Tools.Inspect.Render;

/// <summary>
/// `uk inspect --html FILE`: one self-contained HTML file (inline CSS, an inline SVG, no script, nothing fetched) with a
/// squarified treemap of the image file's bytes (groups, their parts, archive members, assemblies and namespaces;
/// hover a box for its name and size) and the same tables as the text report.
/// </summary>
public static class HtmlReport
{
    public const double Width = 1200, Height = 720;
    private const double Header = 16, Pad = 2, MinLabelWidth = 36, MinNestWidth = 40, MinNestHeight = 34;
    private const int MaxDepth = 4;

    private static readonly Dictionary<string, double> Hues = new()
    {
        ["kernel"] = 212, ["runtime"] = 28, ["libc"] = 122, ["app-code"] = 352, ["app"] = 352, ["native"] = 175, ["other"] = 40,
    };

    public static string Build(ImageReport report, int top = 10)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        h.Append($"<title>uk inspect {E(Path.GetFileName(report.ImagePath))}</title>\n");
        h.Append("""
            <style>
            body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
            h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:24px 0 8px}
            table{border-collapse:collapse} td,th{padding:2px 10px;text-align:left;vertical-align:top}
            th{border-bottom:1px solid #999} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
            tr.g td{font-weight:600;border-top:1px solid #ddd} tr.c td:first-child{padding-left:26px}
            .facts td:first-child{color:#666} .note{color:#8a5a00} .dim{color:#888}
            svg{display:block;border:1px solid #ccc;max-width:100%;height:auto} svg text{font:11px system-ui,sans-serif;pointer-events:none}
            </style></head><body>

            """);
        h.Append($"<h1>{E(Path.GetFileName(report.ImagePath))}</h1>\n<table class=\"facts\">\n");
        Fact(h, "image", $"{report.ImagePath}: {TextReport.N(report.FileSize)} bytes ({TextReport.Size(report.FileSize)}), {TextReport.N(report.LoadedSize)} bytes loaded; " +
                         (report.Bootable ? "PVH-bootable image" : "ELF executable"));
        if (report.Compression is { } compression)
            Fact(h, "compressed", $"{TextReport.N(compression.FileSize)} bytes on disk; payload {TextReport.N(compression.PayloadBytes)} bytes (LZ4) " +
                                  $"expands to {TextReport.N(compression.ExpandedBytes)} at boot: " +
                                  string.Join("; ", compression.Segments.Select(s => $"0x{s.Address:x} {s.Holds} {TextReport.N(s.Bytes)} -> {TextReport.N(s.CompressedBytes)}")) +
                                  ".");
        Fact(h, "link map", report.MapPath ?? "none");
        if (report.AppPath is not null) Fact(h, "app", report.AppPath);
        if (report.AppPath is not null || report.AppMapPath is not null) Fact(h, "app map", report.AppMapPath ?? "none");
        Fact(h, "functions", $"{TextReport.N(report.KernelFunctions)} kernel, {TextReport.N(report.AppFunctions)} app");
        var info = report.ImageInfo;
        Fact(h, "image info", info.Status switch
        {
            ImageInfoReader.Status.NotPresent => "not present",
            ImageInfoReader.Status.Malformed => $"malformed ({info.Problem})",
            _ => string.Join("; ", info.Info!.Entries.Select(e => $"{e.Key}: {e.Value}")),
        });
        h.Append("</table>\n");

        h.Append("<h2>Where the image's bytes go</h2>\n");
        h.Append(Svg(report));

        h.Append("<h2>Parts</h2>\n<table><tr><th>part</th><th class=\"n\">image bytes</th><th class=\"n\">%</th><th class=\"n\">expanded</th>" +
                 "<th class=\"n\">loaded bytes</th><th>what</th></tr>\n");
        foreach (var g in report.Parts)
        {
            Row(h, "g", g, (ulong)report.ImageFileSize);
            foreach (var c in g.Children) Row(h, "c", c, (ulong)report.ImageFileSize);
        }
        h.Append($"<tr class=\"g\"><td>total</td><td class=\"n\">{TextReport.N(report.ImageFileSize)}</td><td class=\"n\">100.0%</td>" +
                 $"<td class=\"n\">{TextReport.N(report.ExpandedSize)}</td><td class=\"n\">{TextReport.N(report.LoadedSize)}</td><td></td></tr>\n</table>\n");
        if (TextReport.Attribution(report) is { } attribution) h.Append($"<p class=\"dim\">{E(attribution)}</p>\n");

        if (report.Assemblies.Count > 0)
        {
            h.Append($"<h2>Largest assemblies</h2>\n<p class=\"dim\">The app's compiled .NET methods: {TextReport.N(report.ManagedCodeBytes)} bytes in {TextReport.N(report.ManagedFunctions)} functions.</p>\n");
            h.Append("<table><tr><th>assembly</th><th class=\"n\">bytes</th><th class=\"n\">%</th><th class=\"n\">functions</th></tr>\n");
            foreach (var a in report.Assemblies.Take(top))
                h.Append($"<tr><td>{E(a.Assembly)}</td><td class=\"n\">{TextReport.N(a.Bytes)}</td><td class=\"n\">{TextReport.Percent(a.Bytes, report.ManagedCodeBytes)}</td><td class=\"n\">{TextReport.N(a.Functions)}</td></tr>\n");
            h.Append("</table>\n<h2>Largest namespaces</h2>\n<table><tr><th>namespace</th><th>assembly</th><th class=\"n\">bytes</th><th class=\"n\">%</th><th class=\"n\">functions</th></tr>\n");
            foreach (var n in report.Namespaces.Take(top))
                h.Append($"<tr><td>{E(n.Namespace ?? "")}</td><td>{E(n.Assembly)}</td><td class=\"n\">{TextReport.N(n.Bytes)}</td><td class=\"n\">{TextReport.Percent(n.Bytes, report.ManagedCodeBytes)}</td><td class=\"n\">{TextReport.N(n.Functions)}</td></tr>\n");
            h.Append("</table>\n");
        }
        if (report.Notes.Count > 0)
        {
            h.Append("<h2>Notes</h2>\n<ul>\n");
            foreach (var note in report.Notes) h.Append($"<li class=\"note\">{E(note)}</li>\n");
            h.Append("</ul>\n");
        }
        h.Append("<p class=\"dim\">Made by <code>uk inspect</code>.</p>\n</body></html>\n");
        return h.ToString();
    }

    /// <summary>The treemap: nested squarified layouts of the parts' file bytes.</summary>
    public static string Svg(ImageReport report)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"treemap of the image's bytes\">\n");
        var top = report.Parts.Where(p => p.FileBytes > 0).ToList();
        var rects = Treemap.Squarify(top.Select(p => (double)p.FileBytes).ToList(), new Rect(0, 0, Width, Height));
        for (int i = 0; i < top.Count; i++)
            Node(s, top[i], rects[i], Hues.GetValueOrDefault(top[i].Kind, 0), top[i].Kind == "other" ? 8 : 55, 0, (ulong)report.FileSize);
        s.Append("</svg>\n");
        return s.ToString();
    }

    private static void Node(StringBuilder s, Part part, Rect r, double hue, double saturation, int depth, ulong total)
    {
        if (r.Width < 0.5 || r.Height < 0.5) return;
        double lightness = Math.Min(88, 48 + depth * 11);
        string fill = string.Create(CultureInfo.InvariantCulture, $"hsl({hue:0},{saturation:0}%,{lightness:0}%)");
        string tip = $"{part.Name}: {TextReport.N(part.FileBytes)} bytes ({TextReport.Percent(part.FileBytes, total)} of the file)" + (part.Detail is null ? "" : $"\n{part.Detail}");
        s.Append(CultureInfo.InvariantCulture, $"<g><title>{E(tip)}</title><rect x=\"{r.X:0.##}\" y=\"{r.Y:0.##}\" width=\"{r.Width:0.##}\" height=\"{r.Height:0.##}\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"1\"/>");
        var children = part.Children.Where(c => c.FileBytes > 0).ToList();
        bool nest = children.Count > 0 && depth < MaxDepth && r.Width >= MinNestWidth && r.Height >= MinNestHeight;
        if (r.Width >= MinLabelWidth && r.Height >= 14)
        {
            string label = Label($"{part.Name} {TextReport.Size((long)part.FileBytes)}", r.Width - 6);
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{r.X + 3:0.##}\" y=\"{r.Y + 12:0.##}\" fill=\"{(lightness > 60 ? "#222" : "#fff")}\">{E(label)}</text>");
        }
        s.Append("</g>\n");
        if (!nest) return;
        var inner = r.Inset(Pad, Header, Pad, Pad);
        var rects = Treemap.Squarify(children.Select(c => (double)c.FileBytes).ToList(), inner);
        for (int i = 0; i < children.Count; i++) Node(s, children[i], rects[i], hue, saturation, depth + 1, total);
    }

    /// <summary>Cuts a label to what fits in <paramref name="width"/> pixels (about 7 px a character at 11 px, a
    /// generous estimate across sans-serif fonts).</summary>
    private static string Label(string text, double width)
    {
        int max = (int)(width / 7);
        if (text.Length <= max) return text;
        return max <= 1 ? "" : text[..(max - 1)] + "…";
    }

    private static void Fact(StringBuilder h, string label, string value) => h.Append($"<tr><td>{E(label)}</td><td>{E(value)}</td></tr>\n");

    private static void Row(StringBuilder h, string cls, Part p, ulong total)
        => h.Append($"<tr class=\"{cls}\"><td>{E(p.Name)}</td><td class=\"n\">{TextReport.N(p.ImageBytes)}</td><td class=\"n\">{TextReport.Percent(p.ImageBytes, total)}</td>" +
                    $"<td class=\"n\">{TextReport.N(p.ExpandedBytes)}</td><td class=\"n\">{TextReport.N(p.MemoryBytes)}</td><td class=\"dim\">{E(p.Detail ?? "")}</td></tr>\n");

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
