namespace Unikernel.Tools.Inspect;

public readonly record struct Rect(double X, double Y, double Width, double Height)
{
    public double Area => Width * Height;
    public double Right => X + Width;
    public double Bottom => Y + Height;
    public Rect Inset(double left, double top, double right, double bottom)
        => new(X + left, Y + top, Math.Max(0, Width - left - right), Math.Max(0, Height - top - bottom));
}

/// <summary>
/// Squarified treemap layout (Bruls, Huizing and van Wijk, 2000): fills a rectangle with one rectangle per value, each
/// with an area proportional to its value, laid out in rows along the shorter side and keeping the rectangles as close
/// to square as the greedy rule allows. Rectangles tile the bounds without overlapping.
/// </summary>
public static class Treemap
{
    /// <summary>One rectangle per value, in the order of <paramref name="values"/>; non-positive values get an empty rectangle.</summary>
    public static Rect[] Squarify(IReadOnlyList<double> values, Rect bounds)
    {
        var result = new Rect[values.Count];
        var order = Enumerable.Range(0, values.Count).Where(i => values[i] > 0 && double.IsFinite(values[i]))
            .OrderByDescending(i => values[i]).ThenBy(i => i).ToList();
        for (int i = 0; i < result.Length; i++) result[i] = new Rect(bounds.X, bounds.Y, 0, 0);
        double total = order.Sum(i => values[i]);
        if (order.Count == 0 || total <= 0 || bounds.Area <= 0) return result;

        double scale = bounds.Area / total;
        var remaining = bounds;
        var row = new List<int>();
        double rowArea = 0;
        int next = 0;
        while (next < order.Count)
        {
            int item = order[next];
            double area = values[item] * scale;
            double side = Math.Min(remaining.Width, remaining.Height);
            if (row.Count == 0 || Worst(row, rowArea, area, side, values, scale) <= Worst(row, rowArea, 0, side, values, scale))
            {
                row.Add(item);
                rowArea += area;
                next++;
                continue;
            }
            remaining = LayoutRow(row, rowArea, remaining, values, scale, result, last: false);
            row.Clear();
            rowArea = 0;
        }
        LayoutRow(row, rowArea, remaining, values, scale, result, last: true);
        return result;
    }

    /// <summary>The worst aspect ratio in the row (with <paramref name="extra"/> added when it is positive).</summary>
    private static double Worst(List<int> row, double rowArea, double extra, double side, IReadOnlyList<double> values, double scale)
    {
        double sum = rowArea + extra;
        if (sum <= 0 || side <= 0) return double.MaxValue;
        double max = extra, min = extra > 0 ? extra : double.MaxValue;
        foreach (int i in row)
        {
            double a = values[i] * scale;
            max = Math.Max(max, a);
            min = Math.Min(min, a);
        }
        double s2 = sum * sum, w2 = side * side;
        return Math.Max(w2 * max / s2, s2 / (w2 * min));
    }

    /// <summary>Places a row along the shorter side of <paramref name="remaining"/>; returns what is left.</summary>
    private static Rect LayoutRow(List<int> row, double rowArea, Rect remaining, IReadOnlyList<double> values, double scale, Rect[] result, bool last)
    {
        if (row.Count == 0) return remaining;
        if (remaining.Width >= remaining.Height)
        {
            // A column at the left: full height, width = area / height.
            double width = last ? remaining.Width : Math.Min(remaining.Width, rowArea / remaining.Height);
            double y = remaining.Y;
            for (int k = 0; k < row.Count; k++)
            {
                double height = k == row.Count - 1 ? remaining.Bottom - y : values[row[k]] * scale / width;
                result[row[k]] = new Rect(remaining.X, y, width, Math.Max(0, height));
                y += height;
            }
            return new Rect(remaining.X + width, remaining.Y, Math.Max(0, remaining.Width - width), remaining.Height);
        }
        else
        {
            // A row at the top: full width, height = area / width.
            double height = last ? remaining.Height : Math.Min(remaining.Height, rowArea / remaining.Width);
            double x = remaining.X;
            for (int k = 0; k < row.Count; k++)
            {
                double width = k == row.Count - 1 ? remaining.Right - x : values[row[k]] * scale / height;
                result[row[k]] = new Rect(x, remaining.Y, Math.Max(0, width), height);
                x += width;
            }
            return new Rect(remaining.X, remaining.Y + height, remaining.Width, Math.Max(0, remaining.Height - height));
        }
    }
}
