using ScottPlot;

namespace Training.Reports;

/// <summary>
/// One ScottPlot figure saved as PNG and SVG. Long traces are decimated for display only (min–max per
/// pixel column, so spikes and period-2 oscillations stay visible); the data files are never touched.
/// </summary>
internal sealed class Figure(string name, string title, string xLabel, string yLabel)
{
    public const int Width = 900, Height = 500;
    // Two points (min, max) per pixel column of the data area: with more, Skia rasterises a period-2 band unevenly (Figure 2 showed
    // jumps in band width at steps ~1,880–2,000 that the data does not have).
    private const int MaxPoints = 1600;

    private int _legendEntries;
    private readonly List<(ScottPlot.Plottables.Scatter Scatter, string Legend)> _lines = [];
    private readonly List<string> _levels = [];

    public string Name => name;

    /// <summary>Whether any series has a point: a figure of columns a run leaves empty (GD's under Adam) is not drawn blank.</summary>
    public bool HasData => _points > 0;

    private int _points;
    public Plot Plot { get; } = Create(title, xLabel, yLabel);

    private static Plot Create(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    public ScottPlot.Plottables.Scatter Line(double[] xs, double[] ys, string legend, Color? color = null, bool markers = false)
    {
        var (dx, dy) = Decimate(xs, ys);
        _points += dx.Length;
        var s = Plot.Add.Scatter(dx, dy, color);
        s.LegendText = legend;
        if (!string.IsNullOrEmpty(legend)) _legendEntries++;
        _lines.Add((s, legend));
        s.LineWidth = markers ? 0 : 1.5f;
        s.MarkerSize = markers ? 4 : 0;
        return s;
    }

    public ScottPlot.Plottables.Scatter Points(double[] xs, double[] ys, string legend, Color? color = null) =>
        Line(xs, ys, legend, color, markers: true);

    /// <summary>The GD stability line η·λ = 2.</summary>
    public void StabilityLine(double level = 2, string legend = "η·λ = 2 (2/η)")
    {
        var line = Plot.Add.HorizontalLine(level);
        line.LinePattern = LinePattern.Dashed;
        line.Color = Colors.Black;
        line.LegendText = legend;
        _legendEntries++;
        _levels.Add(legend);
    }

    /// <summary>Writes NAME.png and NAME.svg into <paramref name="folder"/> and returns the PNG path.</summary>
    public string Save(string folder)
    {
        StyleByRun();
        // Outside the data area, so it never hides a trace: below for a few entries, a column on the right for many (a compare
        // of 30 runs), with the figure as tall as the column needs (the bottom row showed only the first 15).
        bool many = _legendEntries > 8;
        Plot.ShowLegend(many ? Edge.Right : Edge.Bottom);
        int width = many ? Width + 250 : Width, height = many ? Math.Max(Height, 20 * _legendEntries + 120) : Height;
        var png = Path.Combine(folder, name + ".png");
        Plot.SavePng(png, width, height);
        Plot.SaveSvg(Path.Combine(folder, name + ".svg"), width, height);
        return png;
    }

    // Series are told apart by marker, not dash pattern: SkiaSharp's SVG canvas cannot dash a path and says so on stdout.
    private static readonly MarkerShape[] Shapes = [MarkerShape.None, MarkerShape.FilledCircle, MarkerShape.OpenSquare,
        MarkerShape.FilledTriangleUp, MarkerShape.OpenDiamond, MarkerShape.Cross];

    /// <summary>
    /// Lines labelled "run: series" from several runs (a comparison): one colour per run and one line pattern (or marker) per
    /// series, with a legend of runs and a legend of series, instead of a colour and an entry for every run × series.
    /// Marker plots (no line) take the shapes from the second on, so every series has a visible marker.
    /// </summary>
    private void StyleByRun()
    {
        var parts = _lines.Where(l => l.Legend.Contains(": ")).Select(l => (l.Scatter, Run: l.Legend[..l.Legend.IndexOf(": ")],
            Series: l.Legend[(l.Legend.IndexOf(": ") + 2)..])).ToList();
        var runs = parts.Select(p => p.Run).Distinct().ToList();
        var series = parts.Select(p => p.Series).Distinct().ToList();
        if (runs.Count < 2 || series.Count < 2) return;
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (scatter, run, name) in parts)
        {
            int i = series.IndexOf(name);
            scatter.Color = palette.GetColor(runs.IndexOf(run));
            scatter.MarkerShape = scatter.LineWidth > 0 ? Shapes[i % Shapes.Length] : Shapes[1 + i % (Shapes.Length - 1)];
            scatter.MarkerSize = 5;
            scatter.LegendText = "";
        }
        foreach (var run in runs)
            Plot.Legend.ManualItems.Add(new LegendItem { LabelText = run, LineColor = palette.GetColor(runs.IndexOf(run)), LineWidth = 3 });
        foreach (var name in series)
        {
            var example = parts.First(p => p.Series == name).Scatter;
            Plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = name, LineColor = Colors.Black, LineWidth = example.LineWidth, MarkerShape = example.MarkerShape,
                MarkerColor = Colors.Black, MarkerSize = 5,
            });
        }
        // The manual items join the entries of the lines that kept their legend (the threshold, lines of no run).
        _legendEntries = Plot.Legend.ManualItems.Count + _levels.Count + _lines.Count(l => !l.Legend.Contains(": ") && l.Legend.Length > 0);
    }

    /// <summary>
    /// Min–max decimation into at most MaxPoints points: each bucket's least and greatest value, at the bucket's first x, the
    /// order alternating bucket by bucket (min then max, max then min), so a period-2 band is drawn as an even envelope. In the
    /// order of the data the pair flips wherever the phase of the oscillation does, and the line crosses itself there (the
    /// blips Figure 2 showed). Every extreme is kept; x never decreases.
    /// </summary>
    public static (double[] X, double[] Y) Decimate(double[] xs, double[] ys)
    {
        if (xs.Length <= MaxPoints) return (xs, ys);
        int buckets = MaxPoints / 2;
        var outX = new List<double>(MaxPoints);
        var outY = new List<double>(MaxPoints);
        for (int b = 0; b < buckets; b++)
        {
            int from = (int)((long)b * xs.Length / buckets), to = (int)((long)(b + 1) * xs.Length / buckets);
            if (to <= from) continue;
            int lo = from, hi = from;
            for (int i = from; i < to; i++)
            {
                if (ys[i] < ys[lo]) lo = i;
                if (ys[i] > ys[hi]) hi = i;
            }
            foreach (int i in b % 2 == 0 ? new[] { lo, hi } : new[] { hi, lo })
            {
                outX.Add(xs[from]);
                outY.Add(ys[i]);
            }
        }
        return (outX.ToArray(), outY.ToArray());
    }
}
