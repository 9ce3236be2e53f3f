using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using QuadraticFit.Simulation;
using ScottPlot;
using Training.Reports;
using Training.Runs;
using Training.Train;
using static Training.Cli.QuadCommand;

namespace Training.Cli;

/// <summary>
/// <c>probes quad sharpening</c> (Theorem 4.1's series for growing D, P) and <c>probes quad nonlinearity</c>
/// (r_NL of Eq. 27): Monte Carlo statistics of random quadratic models at initialisation, to CSV and figures.
/// </summary>
public static class QuadStatisticsCommands
{
    public static Command Sharpening()
    {
        var sizes = Opt("--sizes", "D:P pairs, comma-separated (keep D/P fixed to see the large-size limit).", "10:20,20:40,40:80,80:160");
        var sigmaZ = Opt("--sigma-z", "σ̃_z values, comma-separated (σ_z = σ̃_z/D).", "0.25,0.5,1,2");
        var sigmaJ = Opt("--sigma-j", "σ̃_J (σ_J = σ̃_J/(DP)^¼); the ratio does not depend on it.", 1.0);
        var seeds = Opt("--seeds", "Random models per point (each point draws its own).", 400);
        var flowTime = Opt("--flow-time", "Length of the early gradient-flow curves (0: none).", 0.3);
        var flowSteps = Opt("--flow-steps", "RK4 steps of each flow curve.", 30);
        var flowSeeds = Opt("--flow-seeds", "Models per flow curve.", 40);
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-sharpening)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("sharpening",
            "Theorem 4.1: E[λ̈_max(0)]/E[λ_max(0)] under gradient flow against σ̃_z² for growing D, P, by Monte Carlo with error bars, "
            + "beside the Q-, z-averaged formula and its large-size limit; and early flow curves E[λ_max(t)]/E[λ_max(0)] at the largest size.")
            { sizes, sigmaZ, sigmaJ, seeds, flowTime, flowSteps, flowSeeds, output, json };
        command.SetAction(r =>
        {
            var shapes = ParseSizes(r.GetValue(sizes)!);
            var zs = ParseList(r.GetValue(sigmaZ)!, "--sigma-z");
            double sj = Positive(r.GetValue(sigmaJ), "--sigma-j");
            int n = r.GetValue(seeds), fSteps = r.GetValue(flowSteps), fSeeds = r.GetValue(flowSeeds);
            double fTime = r.GetValue(flowTime);
            if (n < 2) throw new ProbesError("--seeds must be at least 2 (standard errors need two samples).");
            if (!(fTime >= 0) || (fTime > 0 && (fSteps < 1 || fSeeds < 2)))
                throw new ProbesError("--flow-time must be ≥ 0, with --flow-steps ≥ 1 and --flow-seeds ≥ 2.");
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-sharpening"));
            var clock = Stopwatch.StartNew();
            int total = shapes.Count * zs.Length;
            var points = ProgressDisplay.Run(total, progress =>
                SharpeningSeries.Run(shapes, zs, sj, n, done => progress.Report(done, total, $"point {done}/{total}")));
            var coefficients = SharpeningSeries.Coefficients(points);
            WriteSharpening(run.File("sharpening.csv"), points);
            var figures = new List<string> { DrawSharpening(points, coefficients, n).Save(run.Path), DrawBySize(coefficients).Save(run.Path) };
            if (fTime > 0)
            {
                // Flow curves at the largest size only: one per σ̃_z keeps the figure readable.
                var largest = points.MaxBy(x => (long)x.D * x.P)!;
                var flowPoints = points.Where(x => x.D == largest.D && x.P == largest.P).ToList();
                var curves = ProgressDisplay.Run(flowPoints.Count, progress => Flows(flowPoints, fSeeds, fTime / fSteps, fSteps, progress));
                WriteFlows(run.File("flow.csv"), curves);
                figures.Add(DrawFlows(curves, fSeeds).Save(run.Path));
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var line = string.Join("; ", coefficients.Select(c =>
                $"D={c.D},P={c.P}: c̃ = {c.Measured.Mean:G4} ± {c.Measured.StandardError:G2} (formula {c.Predicted.Mean:G4}, limit {Limit(c)}, χ²/dof {c.ChiSquaredPerDof:F2})"));
            ReportCommands.Print(r.GetValue(json), $"E[λ̈]/E[λ] = c̃·σ̃_z²: {line}; {seconds:F1} s → {run.Path}",
                new { directory = run.Path, seconds, seeds = n, sigmaJTilde = sj,
                      coefficients = coefficients.Select(c => new { c.D, c.P, c.Measured, c.Predicted, c.ChiSquaredPerDof, limit = LimitOrNull(c.D, c.P) }),
                      points, figures });
            return 0;
        });
        return command;
    }

    public static Command Nonlinearity()
    {
        var d = Opt("--D", "Outputs.", 40);
        var p = Opt("--P", "Parameters.", 80);
        var sigmaZ = Opt("--sigma-z", "σ̃_z values, comma-separated.", "0.25,0.5,1,2");
        var sigmaJ = Opt("--sigma-j", "σ̃_J values, comma-separated.", "0.25,0.5,1,2");
        var eta = Opt("--lr", "η values, comma-separated.", "0.25,0.5,1,2");
        var seeds = Opt("--seeds", "Random models per grid point (each point draws its own).", 100);
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-nonlinearity)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("nonlinearity",
            "The nonlinearity ratio r_NL (Eq. 27) of random models on a σ̃_z × σ̃_J × η grid: CSV, figure and fitted power-law exponents.")
            { d, p, sigmaZ, sigmaJ, eta, seeds, output, json };
        command.SetAction(r =>
        {
            int dd = r.GetValue(d), pp = r.GetValue(p), n = r.GetValue(seeds);
            if (dd < 1 || pp < 1) throw new ProbesError("--D and --P must be positive.");
            if (n < 2) throw new ProbesError("--seeds must be at least 2 (standard errors need two samples).");
            var zs = ParseList(r.GetValue(sigmaZ)!, "--sigma-z");
            var js = ParseList(r.GetValue(sigmaJ)!, "--sigma-j");
            var etas = ParseList(r.GetValue(eta)!, "--lr");
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-nonlinearity"));
            var clock = Stopwatch.StartNew();
            int total = zs.Length * js.Length * etas.Length;
            var points = ProgressDisplay.Run(total, progress =>
                NonlinearitySeries.Run(dd, pp, zs, js, etas, n, done => progress.Report(done, total, $"point {done}/{total}")));
            var law = NonlinearitySeries.Fit(points);
            double limit = NonlinearitySeries.LimitPrefactor(dd, pp);
            using (var csv = new CsvTrace(run.File("nonlinearity.csv"), ["sigma_z_tilde", "sigma_j_tilde", "eta", "r_nl", "r_nl_se", "seeds"]))
                foreach (var x in points)
                    csv.Write(new Dictionary<string, double>
                    {
                        ["sigma_z_tilde"] = x.SigmaZTilde, ["sigma_j_tilde"] = x.SigmaJTilde, ["eta"] = x.Eta,
                        ["r_nl"] = x.Ratio.Mean, ["r_nl_se"] = x.Ratio.StandardError, ["seeds"] = x.Ratio.Samples,
                    });
            var figure = DrawNonlinearity(points, law, dd, pp).Save(run.Path);
            static string Show(string name, Exponent? e) => e is null ? $"{name}: not varied" : $"{name}^{e.Value:F3}±{e.StandardError:F3}";
            double seconds = clock.Elapsed.TotalSeconds;
            ReportCommands.Print(r.GetValue(json),
                $"r_NL ≈ {law.Prefactor:G4}·{Show("σ̃_z", law.SigmaZ)}·{Show("η", law.Eta)}·{Show("σ̃_J", law.SigmaJ)} "
                + $"(large-size law {limit:G4}·σ̃_z·η); {seconds:F1} s → {run.Path}",
                new { directory = run.Path, seconds, d = dd, p = pp, seeds = n, powerLaw = law, limitPrefactor = limit, points, figures = new[] { figure } });
            return 0;
        });
        return command;
    }

    private static List<FlowCurveAt> Flows(List<SharpeningPoint> points, int seeds, double dt, int steps, IProgress progress)
    {
        var curves = new List<FlowCurveAt>();
        foreach (var pt in points)
        {
            var (sz, sj) = QuadraticFit.Models.QuadraticModel.Rescaled(pt.SigmaZTilde, pt.SigmaJTilde, pt.D, pt.P);
            curves.Add(new FlowCurveAt(pt, RandomModelStatistics.Flow(pt.D, pt.P, sz, sj, seeds, dt, steps)));
            progress.Report(curves.Count, points.Count, $"flow {curves.Count}/{points.Count}");
        }
        return curves;
    }

    /// <summary>The derived large-size coefficient 2P/D, where it holds (D ≤ P).</summary>
    private static double? LimitOrNull(int d, int p) => d <= p ? SharpeningRate.LimitCoefficient(d, p) : null;

    private static string Limit(SizeCoefficient c) => LimitOrNull(c.D, c.P) is { } l ? l.ToString("G4", CultureInfo.InvariantCulture) : "n/a (D > P)";

    private sealed record FlowCurveAt(SharpeningPoint Point, FlowCurve Curve);

    private static void WriteSharpening(string path, List<SharpeningPoint> points)
    {
        using var csv = new CsvTrace(path, ["D", "P", "sigma_z_tilde", "sigma_j_tilde", "ratio", "ratio_se", "predicted", "predicted_se",
            "limit", "lambda_mean", "lambda_se", "lambda_ddot_mean", "lambda_ddot_se", "seeds"]);
        foreach (var x in points)
        {
            var e = x.Estimate;
            csv.Write(new Dictionary<string, double>
            {
                ["D"] = x.D, ["P"] = x.P, ["sigma_z_tilde"] = x.SigmaZTilde, ["sigma_j_tilde"] = x.SigmaJTilde,
                ["ratio"] = e.Ratio.Mean, ["ratio_se"] = e.Ratio.StandardError, ["predicted"] = e.Predicted.Mean, ["predicted_se"] = e.Predicted.StandardError,
                ["limit"] = (LimitOrNull(x.D, x.P) ?? double.NaN) * x.SigmaZTilde * x.SigmaZTilde,
                ["lambda_mean"] = e.Lambda.Mean, ["lambda_se"] = e.Lambda.StandardError, ["lambda_ddot_mean"] = e.LambdaDdot.Mean,
                ["lambda_ddot_se"] = e.LambdaDdot.StandardError, ["seeds"] = e.Ratio.Samples,
            });
        }
    }

    private static void WriteFlows(string path, List<FlowCurveAt> curves)
    {
        using var csv = new CsvTrace(path, ["D", "P", "sigma_z_tilde", "t", "relative_lambda", "relative_lambda_se", "quadratic_prediction"]);
        foreach (var (pt, curve) in curves)
            for (int k = 0; k < curve.Times.Length; k++)
                csv.Write(new Dictionary<string, double>
                {
                    ["D"] = pt.D, ["P"] = pt.P, ["sigma_z_tilde"] = pt.SigmaZTilde, ["t"] = curve.Times[k],
                    ["relative_lambda"] = curve.RelativeLambda[k].Mean, ["relative_lambda_se"] = curve.RelativeLambda[k].StandardError,
                    ["quadratic_prediction"] = 1 + 0.5 * pt.Estimate.Ratio.Mean * curve.Times[k] * curve.Times[k],
                });
    }

    private static Figure DrawSharpening(List<SharpeningPoint> points, List<SizeCoefficient> coefficients, int seeds)
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
            var bars = figure.Plot.Add.ErrorBar(xs, mine.Select(x => x.Estimate.Ratio.Mean).ToArray(), mine.Select(x => x.Estimate.Ratio.StandardError).ToArray());
            bars.Color = color;
            figure.Points(xs, mine.Select(x => x.Estimate.Ratio.Mean).ToArray(), $"D = {c.D}, P = {c.P}: c̃ = {c.Measured.Mean:G3}", color);
            var line = figure.Line(xs, mine.Select(x => x.Estimate.Predicted.Mean).ToArray(), $"formula, D = {c.D}", color);
            line.LinePattern = LinePattern.Dashed;
        }
        if (coefficients.Select(c => (double?)LimitOrNull(c.D, c.P)).Distinct().ToList() is [double limit])
        {
            double top = points.Max(x => x.SigmaZTilde * x.SigmaZTilde);
            var asymptote = figure.Line([0, top], [0, limit * top], $"large-size limit (2P/D)·σ̃_z² = {limit:G3}·σ̃_z²", Colors.Black);
            asymptote.LinePattern = LinePattern.Dotted;
        }
        return figure;
    }

    /// <summary>c̃ = ratio/σ̃_z² against D: the approach to the large-size limit.</summary>
    private static Figure DrawBySize(List<SizeCoefficient> coefficients)
    {
        var figure = new Figure("sharpening-by-size", "Theorem 4.1's coefficient c̃ = E[λ̈]/(E[λ]·σ̃_z²) as D, P grow (±1 s.e.)", "D (outputs)", "c̃");
        var xs = coefficients.Select(c => (double)c.D).ToArray();
        var measured = coefficients.Select(c => c.Measured.Mean).ToArray();
        figure.Plot.Add.ErrorBar(xs, measured, coefficients.Select(c => c.Measured.StandardError).ToArray()).Color = Colors.C0;
        figure.Line(xs, measured, "Monte Carlo", Colors.C0, markers: true);
        figure.Plot.Add.ErrorBar(xs, coefficients.Select(c => c.Predicted.Mean).ToArray(), coefficients.Select(c => c.Predicted.StandardError).ToArray()).Color = Colors.C1;
        figure.Line(xs, coefficients.Select(c => c.Predicted.Mean).ToArray(), "Q-, z-averaged formula", Colors.C1, markers: true);
        var limits = coefficients.Select(c => LimitOrNull(c.D, c.P) ?? double.NaN).ToArray();
        if (limits.All(double.IsFinite))
            figure.Line(xs, limits, "large-size limit 2P/D", Colors.Black).LinePattern = LinePattern.Dotted;
        return figure;
    }

    private static Figure DrawFlows(List<FlowCurveAt> curves, int seeds)
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
    private static Figure DrawNonlinearity(List<NonlinearityPoint> points, PowerLaw law, int d, int p)
    {
        var figure = new Figure("nonlinearity", $"r_NL/η (Eq. 27) at D = {d}, P = {p}, every η and σ̃_J (±1 s.e.): one line if r_NL ∝ η·σ̃_z", "σ̃_z", "r_NL / η");
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
        return figure;
    }

    /// <summary>"a,b,c" into positive finite numbers.</summary>
    internal static double[] ParseList(string text, string name)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !(values[i] > 0) || !double.IsFinite(values[i]))
                throw new ProbesError($"{name} '{text}': '{parts[i]}' is not a positive number.");
        return parts.Length > 0 ? values : throw new ProbesError($"{name} is empty.");
    }

    /// <summary>"D:P,D:P" into positive integer pairs.</summary>
    internal static List<(int D, int P)> ParseSizes(string text)
    {
        var sizes = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dp = part.Split(':');
            if (dp.Length != 2 || !int.TryParse(dp[0], out int d) || !int.TryParse(dp[1], out int p) || d < 1 || p < 1)
                throw new ProbesError($"--sizes '{text}': '{part}' is not D:P with positive integers.");
            sizes.Add((d, p));
        }
        return sizes.Count > 0 ? sizes : throw new ProbesError("--sizes is empty.");
    }
}
