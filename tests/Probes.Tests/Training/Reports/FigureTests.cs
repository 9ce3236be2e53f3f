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
