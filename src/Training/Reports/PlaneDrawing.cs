using QuadraticFit.Models;
using QuadraticFit.Planes;
using ScottPlot;

namespace Training.Reports;

/// <summary>What the (z̃, T(0)) phase planes draw: the forbidden region, the arrows of a map, curves, starts.</summary>
internal static class PlaneDrawing
{
    /// <summary>The forbidden grid points as a grey shading of small squares (no real θ has these states).</summary>
    public static void Forbidden(Figure figure, IReadOnlyList<D1P2State> states, PlaneWindow window)
    {
        if (states.Count == 0) return;
        var m = figure.Plot.Add.Markers(states.Select(s => s.Z).ToArray(), states.Select(s => s.T0).ToArray(), MarkerShape.FilledSquare,
            Math.Max(2f, 560f / Math.Max(window.Nz, window.Nt)), Colors.Gray.WithAlpha(0.35));
        m.LegendText = "forbidden (no real θ)";
    }

    /// <summary>
    /// Each arrow points along the map from its grid point with a fixed length (a fraction of the window), so
    /// the portrait shows the direction of the flow, as the paper's do, not its speed.
    /// </summary>
    public static void Arrows(Figure figure, IEnumerable<FlowArrow> arrows, PlaneWindow window, double fraction = 1.0 / 30)
    {
        double width = window.ZHi - window.ZLo, height = window.THi - window.TLo;
        foreach (var a in arrows)
        {
            double dx = (a.To.Z - a.From.Z) / width, dy = (a.To.T0 - a.From.T0) / height, norm = Math.Sqrt(dx * dx + dy * dy);
            if (!(norm > 1e-15)) continue;
            var tip = new Coordinates(a.From.Z + dx / norm * width * fraction, a.From.T0 + dy / norm * height * fraction);
            var arrow = figure.Plot.Add.Arrow(new Coordinates(a.From.Z, a.From.T0), tip);
            // A thin shaft and a sharp head, filled without an outline: outlined, ScottPlot's arrows at this size blur into smudges.
            arrow.ArrowFillColor = Colors.Black.WithAlpha(0.6);
            arrow.ArrowLineWidth = 0;
            arrow.ArrowWidth = 1f;
            arrow.ArrowheadWidth = 6;
            arrow.ArrowheadLength = 7;
        }
    }

    /// <summary>A curve of the plane, drawn only inside the window and where it exists.</summary>
    public static void Curve(Figure figure, PlaneCurve curve, PlaneWindow window, Color color)
    {
        var kept = curve.Z.Zip(curve.T0).Where(p => double.IsFinite(p.Second) && p.Second >= window.TLo && p.Second <= window.THi).ToArray();
        if (kept.Length == 0) return;
        var line = figure.Plot.Add.Markers(kept.Select(p => p.First).ToArray(), kept.Select(p => p.Second).ToArray(), MarkerShape.FilledCircle,
            2.5f, color);
        line.LegendText = curve.Name;
    }

    public static void Limits(Figure figure, PlaneWindow window) => figure.Plot.Axes.SetLimits(window.ZLo, window.ZHi, window.TLo, window.THi);
}
