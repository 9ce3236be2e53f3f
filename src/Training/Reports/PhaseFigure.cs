using QuadraticFit.Simulation;
using ScottPlot;

namespace Training.Reports;

/// <summary>
/// The Figure 4 heatmap: median final η·λ_max on the paper's axes (log σ̃_z across, log σ̃_J² up). Cells where
/// most seeds diverged have no value and are left blank with a cross; cells still moving at the step cap
/// carry a ring, so neither is read as a final value.
/// </summary>
internal static class PhaseFigure
{
    public static void Draw(IReadOnlyList<PhaseCell> cells, double[] zs, double[] js, string path, string title)
    {
        int gz = zs.Length, gj = js.Length;
        var heat = new double[gj, gz];
        for (int a = 0; a < gz; a++)
            for (int b = 0; b < gj; b++)
                heat[gj - 1 - b, a] = cells[a * gj + b].Diverged ? double.NaN : cells[a * gj + b].MedianSharpness;   // rows: σ̃_J from the top
        var plot = new Plot();
        double x0 = Math.Log10(zs[0]), x1 = Math.Log10(zs[^1]), y0 = 2 * Math.Log10(js[0]), y1 = 2 * Math.Log10(js[^1]);
        if (heat.Cast<double>().Any(double.IsFinite))
        {
            var map = plot.Add.Heatmap(heat);
            map.Extent = new CoordinateRect(x0, x1, y0, y1);
            plot.Add.ColorBar(map).Label = "median final η·λ_max";
        }
        else
        {
            // Every cell diverged: nothing to colour (ScottPlot cannot scale an all-NaN map); the crosses say it all.
            plot.Axes.SetLimits(x0 - 0.5, x1 + 0.5, y0 - 0.5, y1 + 0.5);
        }
        double Cx(int a) => gz == 1 ? x0 : x0 + (x1 - x0) * a / (gz - 1.0);
        double Cy(int b) => gj == 1 ? y0 : y0 + (y1 - y0) * b / (gj - 1.0);
        var diverged = Enumerable.Range(0, cells.Count).Where(i => cells[i].Diverged).ToArray();
        if (diverged.Length > 0)
        {
            var m = plot.Add.Markers(diverged.Select(i => Cx(i / gj)).ToArray(), diverged.Select(i => Cy(i % gj)).ToArray(), MarkerShape.Eks, 8,
                Colors.Black);
            m.LegendText = "diverged (most seeds)";
        }
        var moving = Enumerable.Range(0, cells.Count).Where(i => !cells[i].Diverged && cells[i].UnsettledFraction > 0.5).ToArray();
        if (moving.Length > 0)
        {
            var m = plot.Add.Markers(moving.Select(i => Cx(i / gj)).ToArray(), moving.Select(i => Cy(i % gj)).ToArray(), MarkerShape.OpenCircle, 8,
                Colors.White);
            m.LegendText = "still moving at the cap";
        }
        plot.Title(title);
        plot.XLabel("log₁₀ σ̃_z");
        plot.YLabel("log₁₀ σ̃_J²");
        plot.SavePng(path, 800, 650);
    }
}
