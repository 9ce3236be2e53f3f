using QuadraticFit.Simulation;
using ScottPlot;

namespace Training.Reports;

/// <summary>An early gradient-flow curve with the series point it belongs to.</summary>
internal sealed record FlowCurveAt(SharpeningPoint Point, FlowCurve Curve);

/// <summary>The figures of <c>probes quad sharpening</c> and <c>probes quad nonlinearity</c>.</summary>
internal static class QuadStatisticsFigures
{
    public static Figure Sharpening(List<SharpeningPoint> points, List<SizeCoefficient> coefficients, int seeds)
    {
        var figure = new Figure("sharpening", $"Theorem 4.1: E[λ̈_max(0)]/E[λ_max(0)] ({seeds} models per point, ±1 s.e.; lines: averaged formula)",
            "σ̃_z²", "E[λ̈_max(0)] / E[λ_max(0)]");
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var c in coefficients)
        {
            var color = palette.GetColor(i++);
            var mine = points.Where(x => x.D == c.D && x.P == c.P).OrderBy(x => x.SigmaZTilde).ToList();
            var xs = mine.Select(x => x.SigmaZTilde * x.SigmaZTilde).ToArray();
            var bars = figure.Plot.Add.ErrorBar(xs, mine.Select(x => x.Estimate.Ratio.Mean).ToArray(),
                mine.Select(x => x.Estimate.Ratio.StandardError).ToArray());
            bars.Color = color;
            figure.Points(xs, mine.Select(x => x.Estimate.Ratio.Mean).ToArray(), $"D = {c.D}, P = {c.P}: c̃ = {c.Measured.Mean:G3}", color);
            var line = figure.Line(xs, mine.Select(x => x.Estimate.Predicted.Mean).ToArray(), $"formula, D = {c.D}", color);
            line.LinePattern = LinePattern.Dashed;
        }
        if (coefficients.Select(c => c.Limit).Distinct().ToList() is [double limit])
        {
            double top = points.Max(x => x.SigmaZTilde * x.SigmaZTilde);
            var asymptote = figure.Line([0, top], [0, limit * top], $"large-size limit (2P/D)·σ̃_z² = {limit:G3}·σ̃_z²", Colors.Black);
            asymptote.LinePattern = LinePattern.Dotted;
        }
        return figure;
    }

    /// <summary>c̃ = ratio/σ̃_z² against D: the approach to the large-size limit.</summary>
    public static Figure BySize(List<SizeCoefficient> coefficients)
    {
        var figure = new Figure("sharpening-by-size", "Theorem 4.1's coefficient c̃ = E[λ̈]/(E[λ]·σ̃_z²) as D, P grow (±1 s.e.)", "D (outputs)",
            "c̃");
        var xs = coefficients.Select(c => (double)c.D).ToArray();
        var measured = coefficients.Select(c => c.Measured.Mean).ToArray();
        figure.Plot.Add.ErrorBar(xs, measured, coefficients.Select(c => c.Measured.StandardError).ToArray()).Color = Colors.C0;
        figure.Line(xs, measured, "Monte Carlo", Colors.C0, markers: true);
        figure.Plot.Add.ErrorBar(xs, coefficients.Select(c => c.Predicted.Mean).ToArray(),
            coefficients.Select(c => c.Predicted.StandardError).ToArray()).Color = Colors.C1;
        figure.Line(xs, coefficients.Select(c => c.Predicted.Mean).ToArray(), "Q-, z-averaged formula", Colors.C1, markers: true);
        var limits = coefficients.Select(c => c.Limit).ToArray();
        figure.Line(xs, limits, "large-size limit 2P/D", Colors.Black).LinePattern = LinePattern.Dotted;
        return figure;
    }

    public static Figure Flows(List<FlowCurveAt> curves, int seeds)
    {
        var at = curves[0].Point;
        var figure = new Figure("flow", $"Early gradient flow, D = {at.D}, P = {at.P}, {seeds} models (dashed: 1 + ½·ratio·t²)",
            "t", "E[λ_max(t)] / E[λ_max(0)]");
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var (pt, curve) in curves)
        {
            var color = palette.GetColor(i++);
            figure.Line(curve.Times, curve.RelativeLambda.Select(e => e.Mean).ToArray(), $"σ̃_z = {pt.SigmaZTilde}", color);
            var quadratic = figure.Line(curve.Times, curve.Times.Select(t => 1 + 0.5 * pt.Estimate.Ratio.Mean * t * t).ToArray(), "", color);
            quadratic.LinePattern = LinePattern.Dashed;
        }
        return figure;
    }

    /// <summary>r_NL/η against σ̃_z for every (η, σ̃_J), coloured by σ̃_J: the collapse onto one line is the law.</summary>
    public static Figure Nonlinearity(List<NonlinearityPoint> points, PowerLaw law, int d, int p,
        QuadraticFit.Models.QConvention convention = QuadraticFit.Models.QConvention.Goe)
    {
        var figure = new Figure("nonlinearity", $"r_NL/η (Eq. 27) at D = {d}, P = {p}, every η and σ̃_J (±1 s.e.): one line if r_NL ∝ η·σ̃_z", "σ̃_z",
            "r_NL / η");
        var palette = new ScottPlot.Palettes.Category10();
        var sigmaJs = points.Select(x => x.SigmaJTilde).Distinct().OrderBy(x => x).ToList();
        foreach (var g in points.GroupBy(x => (x.Eta, x.SigmaJTilde)))
        {
            var color = palette.GetColor(sigmaJs.IndexOf(g.Key.SigmaJTilde));
            var mine = g.OrderBy(x => x.SigmaZTilde).ToList();
            var xs = mine.Select(x => x.SigmaZTilde).ToArray();
            var ys = mine.Select(x => x.Ratio.Mean / x.Eta).ToArray();
            figure.Plot.Add.ErrorBar(xs, ys, mine.Select(x => x.Ratio.StandardError / x.Eta).ToArray()).Color = color;
            bool first = g.Key.Eta == points.Where(x => x.SigmaJTilde == g.Key.SigmaJTilde).Min(x => x.Eta);
            figure.Points(xs, ys, first ? $"σ̃_J = {g.Key.SigmaJTilde}" : "", color);
        }
        double lo = points.Min(x => x.SigmaZTilde), hi = points.Max(x => x.SigmaZTilde);
        double eta = points.Select(x => x.Eta).Average();
        double A(double z) => law.Prefactor * Math.Pow(z, law.SigmaZ?.Value ?? 1) * Math.Pow(eta, (law.Eta?.Value ?? 1) - 1);
        figure.Line([lo, hi], [A(lo), A(hi)], $"fit: {law.Prefactor:G3}·σ̃_z^{law.SigmaZ?.Value ?? 1:F3}", Colors.Black);
        double exact = NonlinearitySeries.Prefactor(d, p, convention), limit = NonlinearitySeries.LimitPrefactor(d, p, convention);
        figure.Line([lo, hi], [exact * lo, exact * hi], $"exact: {exact:G3}·σ̃_z", Colors.Gray);
        figure.Line([lo, hi], [limit * lo, limit * hi], $"large-size law: {limit:G3}·σ̃_z", Colors.Gray).LinePattern = LinePattern.Dotted;
        return figure;
    }
}
