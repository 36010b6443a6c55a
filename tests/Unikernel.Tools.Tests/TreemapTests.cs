using Unikernel.Tools.Inspect;

namespace Unikernel.Tools.Tests;

public class TreemapTests
{
    private const double Epsilon = 1e-6;

    public static TheoryData<double[], double, double> Cases() => new()
    {
        { [6, 6, 4, 3, 2, 2, 1], 6, 4 },                 // the paper's example
        { [1], 100, 50 },
        { [5, 5, 5, 5], 10, 10 },
        { [1000, 1, 1, 1, 1, 1], 300, 200 },
        { [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9], 1200, 720 },
        { [0.001, 1e6, 42, 42, 7], 200, 1000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AreasAreProportionalAndTheRectanglesTileTheBoundsWithoutOverlap(double[] values, double width, double height)
        => CheckLayout(values, new Rect(10, 20, width, height));

    [Fact]
    public void RandomLayoutsKeepTheProperties()
    {
        var random = new Random(12345);
        for (int round = 0; round < 200; round++)
        {
            int n = random.Next(1, 60);
            var values = Enumerable.Range(0, n).Select(_ => Math.Pow(10, random.NextDouble() * 5)).ToArray();
            CheckLayout(values, new Rect(random.Next(0, 50), random.Next(0, 50), random.Next(1, 1500), random.Next(1, 900)));
        }
    }

    [Fact]
    public void EqualValuesInASquareBecomeSquares()
    {
        var rects = Treemap.Squarify([1, 1, 1, 1], new Rect(0, 0, 10, 10));
        foreach (var r in rects)
        {
            Assert.Equal(5, r.Width, 6);
            Assert.Equal(5, r.Height, 6);
        }
    }

    [Fact]
    public void SquarifiedBeatsSlicing()
    {
        // The paper's example: worst aspect ratio stays small (slice-and-dice would give thin strips).
        var rects = Treemap.Squarify([6, 6, 4, 3, 2, 2, 1], new Rect(0, 0, 6, 4));
        double worst = rects.Max(r => Math.Max(r.Width / r.Height, r.Height / r.Width));
        Assert.True(worst < 3, $"worst aspect ratio {worst}");
    }

    [Fact]
    public void ResultsKeepTheInputOrderAndZeroValuesGetEmptyRectangles()
    {
        var rects = Treemap.Squarify([1, 0, 3, -2, double.NaN], new Rect(0, 0, 8, 2));
        Assert.Equal(5, rects.Length);
        Assert.Equal(4, rects[0].Area, 6);
        Assert.Equal(12, rects[2].Area, 6);
        Assert.Equal(0, rects[1].Area);
        Assert.Equal(0, rects[3].Area);
        Assert.Equal(0, rects[4].Area);
    }

    [Fact]
    public void EmptyInputOrEmptyBoundsGiveEmptyRectangles()
    {
        Assert.Empty(Treemap.Squarify([], new Rect(0, 0, 10, 10)));
        Assert.All(Treemap.Squarify([1, 2], new Rect(0, 0, 0, 10)), r => Assert.Equal(0, r.Area));
    }

    private static void CheckLayout(double[] values, Rect bounds)
    {
        var rects = Treemap.Squarify(values, bounds);
        Assert.Equal(values.Length, rects.Length);
        double total = values.Sum();
        double tolerance = Epsilon * bounds.Area + 1e-9;
        for (int i = 0; i < values.Length; i++)
        {
            var r = rects[i];
            Assert.True(r.Width >= 0 && r.Height >= 0, $"negative size {r}");
            Assert.True(r.X >= bounds.X - Epsilon && r.Y >= bounds.Y - Epsilon && r.Right <= bounds.Right + Epsilon && r.Bottom <= bounds.Bottom + Epsilon,
                        $"{r} leaves {bounds}");
            double expected = values[i] / total * bounds.Area;
            Assert.True(Math.Abs(r.Area - expected) <= Math.Max(tolerance, expected * 1e-6), $"value {values[i]}: area {r.Area}, expected {expected}");
        }
        Assert.Equal(bounds.Area, rects.Sum(r => r.Area), bounds.Area * 1e-9);
        for (int i = 0; i < rects.Length; i++)
            for (int j = i + 1; j < rects.Length; j++)
            {
                double overlapX = Math.Min(rects[i].Right, rects[j].Right) - Math.Max(rects[i].X, rects[j].X);
                double overlapY = Math.Min(rects[i].Bottom, rects[j].Bottom) - Math.Max(rects[i].Y, rects[j].Y);
                Assert.False(overlapX > Epsilon && overlapY > Epsilon, $"{rects[i]} and {rects[j]} overlap");
            }
    }
}
