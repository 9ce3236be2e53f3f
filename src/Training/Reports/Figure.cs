using ScottPlot;

namespace Training.Reports;

/// <summary>
/// One ScottPlot figure saved as PNG and SVG. Long traces are decimated for display only (min–max per
/// pixel column, so spikes and period-2 oscillations stay visible); the data files are never touched.
/// </summary>
internal sealed class Figure(string name, string title, string xLabel, string yLabel)
{
    public const int Width = 900, Height = 500;
    private const int MaxPoints = 4000;

    private int _legendEntries;

    public string Name => name;
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
        var s = Plot.Add.Scatter(dx, dy, color);
        s.LegendText = legend;
        if (!string.IsNullOrEmpty(legend)) _legendEntries++;
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
    }

    /// <summary>Writes NAME.png and NAME.svg into <paramref name="folder"/> and returns the PNG path.</summary>
    public string Save(string folder)
    {
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

    /// <summary>Min–max decimation into at most MaxPoints points, keeping the order of x.</summary>
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
            foreach (int i in lo <= hi ? new[] { lo, hi } : new[] { hi, lo })
            {
                outX.Add(xs[i]);
                outY.Add(ys[i]);
            }
        }
        return (outX.ToArray(), outY.ToArray());
    }
}
