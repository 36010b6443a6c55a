using System.Globalization;
using System.Net;
using System.Text;
using static Unikernel.Benchmarks.Comparison.ComparisonBenchmark;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// docs/benchmarks-boot.svg: wall time to the app's first line and to exit (median bars, min-max whiskers)
/// and image size (log scale) for every variant of the comparison, as plain SVG text.
/// </summary>
public static class BootChart
{
    private const int Width = 960, Left = 250, Right = 150, Row = 26, BarHeight = 16;

    private static string Color(Kind kind) => kind switch
    {
        Kind.Unikernel => "#1f77b4",
        Kind.Linux => "#d95f02",
        Kind.Floor => "#7f7f7f",
        _ => "#1b9e77",
    };

    public static string Render(IReadOnlyList<Variant> variants, Settings settings, string machine)
    {
        // One time panel per app (its own scale: a Linux boot would flatten everything else), the floor in each.
        var floor = variants.Where(v => v.Kind == Kind.Floor && v.Wall.Count > 0).ToList();
        var panels = settings.Apps.Select(app => (App: app, Rows: variants.Where(v => v.App == app && v.Wall.Count > 0).Concat(floor).ToList()))
                                  .Where(p => p.Rows.Count > 0).ToList();
        var sized = variants.DistinctBy(v => v.Kind == Kind.Floor ? "floor" : v.Kind + v.App).ToList();
        int y0 = 100;
        int countedRows = variants.Count(v => v.Virtual.Count > 0);
        int height = y0 + panels.Sum(p => p.Rows.Count * Row + 70) + (countedRows > 0 ? countedRows * Row + 70 : 0) + sized.Count * Row + 110;
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Inv($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n"));
        Text(svg, 16, 24, "The same .NET app: our image vs a Linux microVM vs the QEMU floor vs native", 16, "bold");
        Text(svg, 16, 44, $"QEMU microvm + TCG (no KVM), -m {settings.MemoryMiB}M, median of {settings.Runs} interleaved runs; `make bench` ({DateTime.Now:yyyy-MM-dd})", 11, null, "#555");
        Text(svg, 16, 60, machine, 11, null, "#555");
        Text(svg, 16, 86, "Wall time from starting the process to the app's first line (dark; whisker: min-max) and to exit (light)", 13, "bold");

        foreach (var (app, rows) in panels)
        {
            int top = y0 + 18;
            double scale = NiceCeiling(rows.Max(v => Math.Max(Median(v.Wall.Select(w => w.ExitMs)), v.Wall.Max(w => w.FirstMs))));
            double X(double ms) => Left + (Width - Left - Right) * ms / scale;
            Text(svg, 16, top - 6, app, 12, "bold", "#333");
            Axis(svg, top, rows.Count * Row, scale, X, v => $"{v:N0} ms");
            for (int i = 0; i < rows.Count; i++)
            {
                var v = rows[i];
                int y = top + i * Row + (Row - BarHeight) / 2;
                double first = Median(v.Wall.Select(w => w.FirstMs)), exit = Median(v.Wall.Select(w => w.ExitMs));
                double lo = v.Wall.Min(w => w.FirstMs), hi = v.Wall.Max(w => w.FirstMs);
                string label = v.Kind == Kind.Floor ? v.Label : v.Label[(v.App.Length + 2)..];
                Text(svg, Left - 8, y + 12, label, 12, null, "#000", "end");
                svg.Append(Inv($"<rect x=\"{Left}\" y=\"{y}\" width=\"{Math.Max(1, X(exit) - Left):F1}\" height=\"{BarHeight}\" fill=\"{Color(v.Kind)}\" fill-opacity=\"0.3\"/>\n"));
                svg.Append(Inv($"<rect x=\"{Left}\" y=\"{y + 3}\" width=\"{Math.Max(1, X(first) - Left):F1}\" height=\"{BarHeight - 6}\" fill=\"{Color(v.Kind)}\"/>\n"));
                svg.Append(Inv($"<path d=\"M{X(lo):F1} {y + 8}H{X(hi):F1}M{X(lo):F1} {y + 4}V{y + 12}M{X(hi):F1} {y + 4}V{y + 12}\" stroke=\"#000\" stroke-width=\"1\"/>\n"));
                Text(svg, Math.Max(X(exit), X(hi)) + 6, y + 12, $"{first:N1} / {exit:N1} ms", 11, null, "#333");
            }
            y0 = top + rows.Count * Row + 52;
        }

        // Virtual time to the first line, log scale: the noise-free comparison.
        var counted = variants.Where(v => v.Virtual.Count > 0).ToList();
        if (counted.Count > 0)
        {
            int top = y0 + 18;
            double lowNs = 1e6, highNs = Math.Pow(10, Math.Ceiling(Math.Log10(counted.Max(v => v.Virtual.Max(x => x.First)))));
            double XV(double ns) => Left + (Width - Left - Right) * (Math.Log10(Math.Max(ns, lowNs)) - 6) / (Math.Log10(highNs) - 6);
            Text(svg, 16, top - 10, "Virtual time to the app's first line under -icount shift=0 (1 ns per guest instruction), log scale", 13, "bold");
            for (double t = lowNs; t <= highNs; t *= 10)
            {
                svg.Append(Inv($"<line x1=\"{XV(t):F1}\" y1=\"{top}\" x2=\"{XV(t):F1}\" y2=\"{top + counted.Count * Row}\" stroke=\"#ddd\"/>\n"));
                Text(svg, XV(t), top + counted.Count * Row + 16, $"{t / 1e6:N0} ms", 11, null, "#555", "middle");
            }
            for (int i = 0; i < counted.Count; i++)
            {
                var v = counted[i];
                int y = top + i * Row + (Row - BarHeight) / 2;
                double first = Median(v.Virtual.Select(x => (double)x.First));
                Text(svg, Left - 8, y + 12, v.Label, 12, null, "#000", "end");
                svg.Append(Inv($"<rect x=\"{Left}\" y=\"{y}\" width=\"{Math.Max(1, XV(first) - Left):F1}\" height=\"{BarHeight}\" fill=\"{Color(v.Kind)}\"/>\n"));
                Text(svg, XV(first) + 6, y + 12, $"{first / 1e6:N1} ms ({first:N0} ns)", 11, null, "#333");
            }
            y0 = top + counted.Count * Row + 52;
        }

        // Image size, log scale.
        int sizeTop = y0 + 18, sizeHeight = sized.Count * Row;
        double minBytes = 1_000, maxBytes = Math.Pow(10, Math.Ceiling(Math.Log10(sized.Max(v => v.TotalBytes))));
        double XS(double bytes) => Left + (Width - Left - Right) * (Math.Log10(Math.Max(bytes, minBytes)) - 3) / (Math.Log10(maxBytes) - 3);
        Text(svg, 16, sizeTop - 10, "What is booted, in bytes (log scale): our image; Linux = vmlinux + initramfs; native = the executable alone", 13, "bold");
        for (double b = minBytes; b <= maxBytes; b *= 10)
        {
            svg.Append(Inv($"<line x1=\"{XS(b):F1}\" y1=\"{sizeTop}\" x2=\"{XS(b):F1}\" y2=\"{sizeTop + sizeHeight}\" stroke=\"#ddd\"/>\n"));
            Text(svg, XS(b), sizeTop + sizeHeight + 16, Bytes(b), 11, null, "#555", "middle");
        }
        for (int i = 0; i < sized.Count; i++)
        {
            var v = sized[i];
            int y = sizeTop + i * Row + (Row - BarHeight) / 2;
            string label = v.Kind == Kind.Floor ? v.Label : v.Label.Replace(": our image", ": our image (.img)").Replace(": native (host Linux)", ": native executable");
            Text(svg, Left - 8, y + 12, label, 12, null, "#000", "end");
            svg.Append(Inv($"<rect x=\"{Left}\" y=\"{y}\" width=\"{Math.Max(1, XS(v.TotalBytes) - Left):F1}\" height=\"{BarHeight}\" fill=\"{Color(v.Kind)}\"/>\n"));
            Text(svg, XS(v.TotalBytes) + 6, y + 12, v.TotalBytes >= 100_000 ? $"{v.TotalBytes / 1e6:N2} MB" : $"{v.TotalBytes / 1e3:N1} kB", 11, null, "#333");
        }
        int legendY = height - 20;
        int lx = 16;
        foreach (var (kind, name) in new[] { (Kind.Unikernel, "our image"), (Kind.Linux, "Linux microVM (Debian cloud kernel + initramfs)"), (Kind.Floor, "QEMU floor"), (Kind.Native, "native on the host") })
        {
            svg.Append(Inv($"<rect x=\"{lx}\" y=\"{legendY - 10}\" width=\"12\" height=\"12\" fill=\"{Color(kind)}\"/>\n"));
            Text(svg, lx + 18, legendY, name, 12);
            lx += 40 + name.Length * 7;
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Axis(StringBuilder svg, int top, int height, double scale, Func<double, double> x, Func<double, string> label)
    {
        double step = scale / 5;
        for (double t = 0; t <= scale + step / 2; t += step)
        {
            svg.Append(Inv($"<line x1=\"{x(t):F1}\" y1=\"{top}\" x2=\"{x(t):F1}\" y2=\"{top + height}\" stroke=\"#ddd\"/>\n"));
            Text(svg, x(t), top + height + 16, label(t), 11, null, "#555", "middle");
        }
    }

    private static double NiceCeiling(double value)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double f in new[] { 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
            if (f * magnitude >= value) return f * magnitude;
        return 10 * magnitude;
    }

    private static string Bytes(double b) => b switch
    {
        >= 1e9 => $"{b / 1e9:0} GB", >= 1e6 => $"{b / 1e6:0} MB", >= 1e3 => $"{b / 1e3:0} kB", _ => $"{b:0} B",
    };

    private static void Text(StringBuilder svg, double x, double y, string text, int size, string? weight = null, string fill = "#000", string anchor = "start")
        => svg.Append(Inv($"<text x=\"{x:F1}\" y=\"{y:F1}\" font-size=\"{size}\" fill=\"{fill}\" text-anchor=\"{anchor}\"{(weight != null ? $" font-weight=\"{weight}\"" : "")}>{WebUtility.HtmlEncode(text)}</text>\n"));

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
