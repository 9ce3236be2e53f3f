using Training.Reports;
using Xunit;

namespace Probes.Tests;

/// <summary>How a figure of several runs tells them apart: a colour per run, a marker per series, one legend entry each.</summary>
public class FigureTests
{
    [Fact]
    public void AComparisonColoursEachRunAndMarksEachSeries()
    {
        using var dir = new TempDirectory();
        var figure = new Figure("two-runs", "two runs", "step", "η·λ");
        var lines = new[] { "a: λ₁", "a: λ₂", "b: λ₁", "b: λ₂" }.ToDictionary(l => l, l => figure.Line([0, 1], [1, 2], l));
        figure.StabilityLine();
        figure.Save(dir.Path);
        Assert.Equal(lines["a: λ₁"].Color, lines["a: λ₂"].Color);
        Assert.NotEqual(lines["a: λ₁"].Color, lines["b: λ₁"].Color);
        Assert.Equal(lines["a: λ₁"].MarkerShape, lines["b: λ₁"].MarkerShape);
        Assert.NotEqual(lines["a: λ₁"].MarkerShape, lines["a: λ₂"].MarkerShape);
        Assert.All(lines.Values, l => Assert.Equal("", l.LegendText));
        Assert.Equal(["a", "b", "λ₁", "λ₂"], figure.Plot.Legend.ManualItems.Select(i => i.LabelText));
    }

    [Fact]
    public void OneRunKeepsAnEntryPerSeries()
    {
        using var dir = new TempDirectory();
        var figure = new Figure("one-run", "one run", "step", "η·λ");
        var line = figure.Line([0, 1], [1, 2], "λ₁");
        figure.Save(dir.Path);
        Assert.Equal("λ₁", line.LegendText);
        Assert.Empty(figure.Plot.Legend.ManualItems);
    }
}

public class DecimationTests
{
    [Fact]
    public void APeriodTwoBandBecomesAnEvenEnvelopeThatKeepsEveryExtreme()
    {
        // ±(1 + t/n) with the phase of the oscillation jumping by one step at t = 5,001 (where Figure 2's band once blipped).
        int n = 10_000;
        var xs = Enumerable.Range(0, n).Select(t => (double)t).ToArray();
        var ys = xs.Select(t => (t > 5000 ? t + 1 : t) % 2 == 0 ? 1 + t / n : -(1 + t / n)).ToArray();
        var (dx, dy) = Figure.Decimate(xs, ys);
        Assert.True(dx.Length <= 1600);
        Assert.True(dx.Zip(dx.Skip(1)).All(p => p.First <= p.Second), "x must never decrease");
        Assert.Equal(ys.Max(), dy.Max());
        Assert.Equal(ys.Min(), dy.Min());
        // Bucket by bucket the pair alternates (min, max), (max, min): no segment crosses the band's middle twice in a row.
        for (int b = 0; b + 1 < dy.Length / 2; b++)
            Assert.True(b % 2 == 0 ? dy[2 * b] < 0 && dy[2 * b + 1] > 0 : dy[2 * b] > 0 && dy[2 * b + 1] < 0, $"bucket {b}");
    }
}
