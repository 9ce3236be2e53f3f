using QuadraticFit.Models;
using QuadraticFit.Planes;
using ScottPlot;
using Training.Runs;

namespace Training.Reports;

/// <summary>
/// The paper's figures of the D = 1, P = 2 model (§3 and Appendix B): Figure 1 (the loss landscape and GD on it),
/// Figure 2 (left: several η from one θ₀), Figures 7–9 (phase planes). Each writes its data as CSV beside its
/// PNGs and returns the numbers that go with it. The models and the planes are computed in QuadraticFit.
/// </summary>
internal static class D1P2Figures
{
    /// <summary>Figure 1: Q = diag(1, −0.1), E = 0, η = 1, GD from θ = (1.5, −4.32) on log₁₀ L; every step, then every other step.</summary>
    public static PaperFigure Figure1(string folder, int steps = 400)
    {
        var model = new D1P2Model(lambda: -0.1, conserved: 0, eta: 1);
        var path = model.ParameterPath((1.5, -4.32), steps);
        var states = path.Select(model.StateOf).ToList();
        using (var csv = new CsvTrace(Path.Combine(folder, "figure1-path.csv"), ["step", "theta_1", "theta_2", "z_tilde", "t0", "loss"]))
            for (int t = 0; t < path.Count; t++)
                csv.Write(new Dictionary<string, double>
                {
                    ["step"] = t, ["theta_1"] = path[t].A, ["theta_2"] = path[t].B, ["z_tilde"] = states[t].Z, ["t0"] = states[t].T0,
                    ["loss"] = model.Loss(path[t]),
                });
        var files = new List<string> { Path.Combine(folder, "figure1-path.csv") };
        foreach (var (name, stride) in new[] { ("figure1-every-step", 1), ("figure1-every-other-step", 2) })
            files.Add(Landscape(model, path, stride, Path.Combine(folder, name + ".png"),
                stride == 1 ? "Figure 1 (left): GD on L(θ), every step" : "Figure 1 (right): every other step"));
        var curvature = new Figure("figure1-curvature", "Figure 1: T(0) = η·λ along the path", "step", "T(0) = η·λ_max of J J^T");
        curvature.Line([.. Enumerable.Range(0, states.Count).Select(t => (double)t)], [.. states.Select(s => s.T0)], "T(0)");
        curvature.StabilityLine(2 - 0.1 / 2, "2 − ε/2 (Theorem 3.1)");
        files.Add(curvature.Save(folder));
        return new PaperFigure(1, PaperFigure.Captions[1], new Dictionary<string, double>
        {
            ["initial_t0"] = states[0].T0, ["lowest_t0"] = states.Min(s => s.T0), ["final_t0"] = states[^1].T0,
            ["final_loss"] = model.Loss(path[^1]), ["theorem_limit"] = 2 - 0.1 / 2,
        }, files);
    }

    /// <summary>log₁₀ L on a window around the path, the path's points (every <paramref name="stride"/>-th) joined, the start an x.</summary>
    private static string Landscape(D1P2Model model, List<(double A, double B)> path, int stride, string png, string title)
    {
        // The window is the path's own box with a margin: stretched to the origin (θ₂ from −6 to 1.5 for a path 0.15 tall) the
        // path was a smear a few pixels high.
        double aSpan = path.Max(p => p.A) - path.Min(p => p.A), bSpan = path.Max(p => p.B) - path.Min(p => p.B);
        double aMargin = Math.Max(0.3 * aSpan, 0.05), bMargin = Math.Max(0.3 * bSpan, 0.05);
        double aLo = path.Min(p => p.A) - aMargin, aHi = path.Max(p => p.A) + aMargin;
        double bLo = path.Min(p => p.B) - bMargin, bHi = path.Max(p => p.B) + bMargin;
        const int cells = 160;
        var heat = new double[cells, cells];
        for (int i = 0; i < cells; i++)            // rows from the top: θ₂ descending
            for (int j = 0; j < cells; j++)
            {
                double a = aLo + (aHi - aLo) * (j + 0.5) / cells, b = bHi - (bHi - bLo) * (i + 0.5) / cells;
                heat[i, j] = Math.Log10(model.Loss((a, b)) + 1e-8);
            }
        var plot = new Plot();
        var map = plot.Add.Heatmap(heat);
        map.Extent = new CoordinateRect(aLo, aHi, bLo, bHi);
        plot.Add.ColorBar(map).Label = "log₁₀ L(θ)";
        var kept = path.Where((_, t) => t % stride == 0).ToArray();
        var line = plot.Add.Scatter(kept.Select(p => p.A).ToArray(), kept.Select(p => p.B).ToArray(), Colors.White.WithAlpha(0.8));
        line.MarkerSize = 3;
        line.LineWidth = 0.5f;
        plot.Add.Marker(path[0].A, path[0].B, MarkerShape.Eks, 14, Colors.Red);
        plot.Title(title);
        plot.XLabel("θ₁ (Q eigenvalue 1)");
        plot.YLabel("θ₂ (Q eigenvalue −0.1)");
        plot.SavePng(png, 800, 650);
        return png;
    }

    /// <summary>Figure 2 (left): ε = 5·10⁻³, one θ₀ (z̃ = −0.5, T(0) = 1.5 at η = 1), GD at several η; λ_max against 2/η.</summary>
    public static PaperFigure Figure2Left(string folder, double[]? etas = null, int steps = 3000)
    {
        const double epsilon = 5e-3;
        etas ??= [0.9, 1.0, 1.1, 1.2];
        var theta0 = D1P2Model.WithEpsilon(epsilon).ParametersOf(new D1P2State(-0.5, 1.5));
        var figure = new Figure("figure2-left", $"Figure 2 (left): D = 1, P = 2, ε = {epsilon}: λ_max for several η", "step", "λ_max of J J^T");
        var numbers = new Dictionary<string, double> { ["theorem_limit"] = 2 - epsilon / 2 };
        var csvPath = Path.Combine(folder, "figure2-left.csv");
        using (var csv = new CsvTrace(csvPath, ["eta", "step", "lambda_max", "eta_lambda_max"]))
            foreach (double eta in etas)
            {
                var model = new D1P2Model(-epsilon, 0, eta);
                var states = model.ParameterPath(theta0, steps).Select(model.StateOf).ToList();
                for (int t = 0; t < states.Count; t++)
                    csv.Write(new Dictionary<string, double>
                    {
                        ["eta"] = eta, ["step"] = t, ["lambda_max"] = states[t].T0 / eta, ["eta_lambda_max"] = states[t].T0,
                    });
                var color = figure.Plot.Add.GetNextColor();
                figure.Line([.. Enumerable.Range(0, states.Count).Select(t => (double)t)], [.. states.Select(s => s.T0 / eta)], $"η = {eta}", color);
                var limit = figure.Plot.Add.HorizontalLine(2 / eta, 1, color, LinePattern.Dashed);
                limit.LegendText = $"2/η = {2 / eta:F3}";
                numbers[$"final_eta_lambda_at_eta_{eta}"] = states[^1].T0;
            }
        return new PaperFigure(2, PaperFigure.Captions[2], numbers, [csvPath, figure.Save(folder)]);
    }

    /// <summary>
    /// Figure 7: the symmetric model (eigenvalues 1 and −1) for Ẽ = 0 and Ẽ = 0.5: forbidden region, arrows,
    /// both one-step nullclines; and the final T(0) of an evenly spaced grid of starts.
    /// </summary>
    public static PaperFigure Figure7(string folder, double[]? conserved = null)
    {
        conserved ??= [0, 0.5];
        var window = new PlaneWindow(-1.5, 1.5, 0, 4);
        var files = new List<string>();
        var numbers = new Dictionary<string, double>();
        foreach (double e in conserved)
        {
            var model = new D1P2Model(-1, e);
            files.Add(Portrait(model, window, $"figure7-portrait-e{e}", $"Figure 7: symmetric model (eigenvalues ±1), Ẽ = {e}", folder));
            var grid = window with { Nz = 30, Nt = 30 };
            var finals = D1P2Plane.GridFinals(model, grid);
            files.Add(WriteFinals(finals, Path.Combine(folder, $"figure7-finals-e{e}.csv")));
            files.Add(FinalsPlot(finals, grid, $"figure7-finals-e{e}", $"Figure 7 (right): final T(0) from a grid of starts, Ẽ = {e}", folder));
            var converged = finals.Where(f => double.IsFinite(f.FinalT0)).ToList();
            numbers[$"converged_fraction_e{e}"] = converged.Count / (double)Math.Max(finals.Count, 1);
            numbers[$"sharpened_fraction_e{e}"] = converged.Count(f => f.FinalT0 > f.Start.T0 + 1e-9) / (double)Math.Max(finals.Count, 1);
            numbers[$"near_edge_fraction_e{e}"] = converged.Count(f => Math.Abs(f.FinalT0 - 2) < 0.1) / (double)Math.Max(finals.Count, 1);
        }
        return new PaperFigure(7, PaperFigure.Captions[7], numbers, files);
    }

    /// <summary>Figure 8: a = 10 (eigenvalues 1, −0.1) and a = −2 (eigenvalues 1, 0.5), Ẽ = 0: forbidden region and nullclines.</summary>
    public static PaperFigure Figure8(string folder)
    {
        var window = new PlaneWindow(-1.5, 1.5, 0, 4);
        var files = new List<string>();
        var numbers = new Dictionary<string, double>();
        foreach (var (lambda, side) in new[] { (-0.1, "left"), (0.5, "right") })
        {
            var model = new D1P2Model(lambda, 0);
            double a = -1 / lambda;
            files.Add(Portrait(model, window, $"figure8-{side}", $"Figure 8 ({side}): eigenvalues 1 and {lambda} (a = {a:G3}), Ẽ = 0", folder));
            var dense = window with { Nz = 120, Nt = 120 };
            numbers[$"reachable_fraction_a{a:G3}"] = dense.Grid().Count(model.IsReachable) / (double)(dense.Nz * dense.Nt);
        }
        return new PaperFigure(8, PaperFigure.Captions[8], numbers, files);
    }

    /// <summary>
    /// Figure 9: ε = 0.05, Ẽ = 0: the two-step nullclines near (0, 2) with two-step arrows (left), and the histogram
    /// of the final T(0) of random reachable starts (right).
    /// </summary>
    public static PaperFigure Figure9(string folder, double epsilon = 0.05, int starts = 2000)
    {
        var model = D1P2Model.WithEpsilon(epsilon);
        var near = new PlaneWindow(-0.3, 0.3, 1.5, 2.5, 20, 20);
        var files = new List<string>
        {
            Portrait(model, near, "figure9-left", $"Figure 9 (left): two-step nullclines, ε = {epsilon}", folder, twoStep: true),
        };
        var curves = D1P2Plane.TwoStepNullclines(model, near);
        var gap = curves[0].T0.Zip(curves[1].T0).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second))
            .Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(double.NaN).Max();
        var finals = D1P2Plane.RandomFinals(model, new PlaneWindow(-1, 1, 0, 3), starts, seed: 0);
        files.Add(WriteFinals(finals, Path.Combine(folder, "figure9-finals.csv")));
        var converged = finals.Select(f => f.FinalT0).Where(double.IsFinite).ToArray();
        var histogram = new Figure("figure9-right", $"Figure 9 (right): final T(0) of {finals.Count} random starts, ε = {epsilon}", "final T(0)",
            "starts");
        const double width = 0.05;
        var bins = converged.GroupBy(t => Math.Floor(t / width)).OrderBy(g => g.Key).ToArray();
        var bars = histogram.Plot.Add.Bars(bins.Select(b => (b.Key + 0.5) * width).ToArray(), bins.Select(b => (double)b.Count()).ToArray());
        foreach (var bar in bars.Bars) bar.Size = width * 0.9;
        histogram.Plot.Add.VerticalLine(2 - epsilon / 2, 1, Colors.Black, LinePattern.Dashed).LegendText = "2 − ε/2 (Theorem 3.1)";
        files.Add(histogram.Save(folder));
        return new PaperFigure(9, PaperFigure.Captions[9], new Dictionary<string, double>
        {
            ["largest_nullcline_gap"] = gap, ["starts"] = finals.Count, ["converged_fraction"] = converged.Length / (double)Math.Max(finals.Count, 1),
            ["near_edge_fraction_of_converged"] = converged.Count(t => t > 1.9 && t <= 2.0) / (double)Math.Max(converged.Length, 1),
            ["theorem_limit"] = 2 - epsilon / 2,
        }, files);
    }

    /// <summary>One phase portrait: forbidden shading, arrows of the one-step (or two-step) map, the matching nullclines.</summary>
    private static string Portrait(D1P2Model model, PlaneWindow window, string name, string title, string folder, bool twoStep = false)
    {
        var figure = new Figure(name, title, "z̃ = η·z", "T(0) = η·λ_max of J J^T");
        PlaneDrawing.Forbidden(figure, D1P2Plane.Forbidden(model, window with { Nz = 90, Nt = 90 }), window with { Nz = 90, Nt = 90 });
        PlaneDrawing.Arrows(figure, D1P2Plane.Arrows(model, window, twoStep), window);
        var curves = twoStep ? D1P2Plane.TwoStepNullclines(model, window) : D1P2Plane.OneStepNullclines(model, window);
        PlaneDrawing.Curve(figure, curves[0], window, Colors.Blue);
        PlaneDrawing.Curve(figure, curves[1], window, Colors.Orange);
        using (var csv = new CsvTrace(Path.Combine(folder, name + "-nullclines.csv"), ["z_tilde", "z_nullcline_t0", "t_nullcline_t0"]))
            for (int i = 0; i < curves[0].Z.Length; i++)
                csv.Write(new Dictionary<string, double>
                {
                    ["z_tilde"] = curves[0].Z[i], ["z_nullcline_t0"] = curves[0].T0[i], ["t_nullcline_t0"] = curves[1].T0[i],
                });
        PlaneDrawing.Limits(figure, window);
        return figure.Save(folder);
    }

    private static string WriteFinals(List<FinalState> finals, string path)
    {
        using var csv = new CsvTrace(path, ["z_tilde_0", "t0_0", "final_t0"]);
        foreach (var f in finals)
            csv.Write(new Dictionary<string, double> { ["z_tilde_0"] = f.Start.Z, ["t0_0"] = f.Start.T0, ["final_t0"] = f.FinalT0 });
        return path;
    }

    /// <summary>The grid of starts coloured by their final T(0); blank: forbidden, diverged or still moving.</summary>
    private static string FinalsPlot(List<FinalState> finals, PlaneWindow grid, string name, string title, string folder)
    {
        var heat = new double[grid.Nt, grid.Nz];
        for (int i = 0; i < grid.Nt; i++)
            for (int j = 0; j < grid.Nz; j++) heat[i, j] = double.NaN;
        foreach (var f in finals)
        {
            int j = (int)Math.Round((f.Start.Z - grid.ZLo) / (grid.ZHi - grid.ZLo) * grid.Nz - 0.5);
            int i = (int)Math.Round((f.Start.T0 - grid.TLo) / (grid.THi - grid.TLo) * grid.Nt - 0.5);
            if (i >= 0 && i < grid.Nt && j >= 0 && j < grid.Nz) heat[grid.Nt - 1 - i, j] = f.FinalT0;     // rows from the top
        }
        var plot = new Plot();
        var map = plot.Add.Heatmap(heat);
        map.Extent = new CoordinateRect(grid.ZLo, grid.ZHi, grid.TLo, grid.THi);
        plot.Add.ColorBar(map).Label = "final T(0)";
        plot.Title(title + " (blank: forbidden, diverged or still moving)");
        plot.XLabel("z̃₀");
        plot.YLabel("T(0)₀");
        string png = Path.Combine(folder, name + ".png");
        plot.SavePng(png, 800, 650);
        return png;
    }
}
