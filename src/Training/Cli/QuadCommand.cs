using System.CommandLine;
using System.Diagnostics;
using QuadraticFit.Models;
using QuadraticFit.Simulation;
using QuadraticFit.TwoStep;
using ScottPlot;
using Spectre.Console;
using Training.Reports;
using Training.Runs;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Cli;

/// <summary><c>probes quad simulate</c> and <c>probes quad phase</c> (and the §4 statistics in <see cref="QuadStatisticsCommands"/>): the quadratic
/// regression models alone.</summary>
internal static class QuadCommand
{
    public static Command Create()
    {
        var command = new Command("quad", "Simulate the paper's quadratic regression models.");
        command.Subcommands.Add(Simulate());
        command.Subcommands.Add(Phase());
        command.Subcommands.Add(QuadStatisticsCommands.Sharpening());
        command.Subcommands.Add(QuadStatisticsCommands.Nonlinearity());
        return command;
    }

    internal static Option<T> Opt<T>(string name, string description, T value) =>
        new(name) { Description = description, DefaultValueFactory = _ => value };

    private static Command Simulate()
    {
        var model = Opt("--model", "d1p2 (D = 1, P = 2, §3) or random (D outputs, P parameters, §4).", "d1p2");
        var eps = Opt("--eps", "d1p2: Q's eigenvalues are {1, −ε}.", 0.1);
        var conserved = Opt("--e-tilde", "d1p2: the conserved Ẽ = T(−1) − 2z̃.", 0.0);
        var z0 = Opt("--z0", "d1p2: initial z̃ = η·z.", -0.5);
        var t0 = Opt("--t0", "d1p2: initial T(0) = η·λ.", 1.5);
        var d = Opt("--D", "random: outputs.", 60);
        var p = Opt("--P", "random: parameters.", 120);
        var sigmaZ = Opt("--sigma-z", "random: σ̃_z (σ_z = σ̃_z/D).", 1.0);
        var sigmaJ = Opt("--sigma-j", "random: σ̃_J (σ_J = σ̃_J/(DP)^¼).", 0.5);
        var seed = Opt("--seed", "random: the model's seed.", 0L);
        var lr = Opt("--lr", "η (random model; d1p2 works in rescaled variables).", 1.0);
        var steps = Opt("--steps", "GD steps.", 2000);
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-<model>)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("simulate", "GD on one quadratic model: trajectory CSV and plots of η·λ_max, z̃, loss and the two-step view.")
            { model, eps, conserved, z0, t0, d, p, sigmaZ, sigmaJ, seed, lr, steps, output, json };
        command.SetAction(r =>
        {
            string kind = r.GetValue(model)!;
            if (r.GetValue(steps) < 1) throw new ProbesError("--steps must be positive.");
            var d1p2 = kind == "d1p2" ? D1P2Model.WithEpsilon(Positive(r.GetValue(eps), "--eps"), r.GetValue(conserved)) : null;
            List<TrajectoryPoint> path = kind switch
            {
                "d1p2" => Trajectory.D1P2(d1p2!, new D1P2State(r.GetValue(z0), r.GetValue(t0)), r.GetValue(steps)),
                "random" => RandomPath(r.GetValue(d), r.GetValue(p), r.GetValue(sigmaZ), r.GetValue(sigmaJ), r.GetValue(seed),
                    Positive(r.GetValue(lr), "--lr"), r.GetValue(steps)),
                _ => throw new ProbesError($"unknown model '{kind}' (expected d1p2 or random)."),
            };
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-" + kind));
            using (var csv = new CsvTrace(run.File("trajectory.csv"), ["step", "z_tilde", "eta_lambda_max", "loss"]))
                foreach (var pt in path)
                    csv.Write(new Dictionary<string, double>
                    {
                        ["step"] = pt.Step, ["z_tilde"] = pt.Z, ["eta_lambda_max"] = pt.Sharpness,
                        ["loss"] = pt.Loss
                    });
            // The paper's y for the D = 1, P = 2 model is the distance from the z̃ nullcline, y = T(0) − f_z̃(z̃) (its Eq. 18);
            // a random model has no such curve, and y = η·λ_max − 2 stands in.
            Func<TrajectoryPoint, double> y = d1p2 is not null ? pt => d1p2.Y(new D1P2State(pt.Z, pt.Sharpness)) : pt => pt.Sharpness - 2;
            var figures = Draw(path, run.Path, kind == "d1p2" ? $"D = 1, P = 2, ε = {r.GetValue(eps)}" :
                $"random model D = {r.GetValue(d)}, P = {r.GetValue(p)}", y, d1p2);
            var last = path[^1];
            // A trajectory whose loss left every finite or sane scale is reported as diverged, not as a "final" value.
            var blowUp = path.FirstOrDefault(x => !double.IsFinite(x.Loss) || !double.IsFinite(x.Sharpness) || x.Loss > DivergedLossFactor *
                Math.Max(path[0].Loss, 1e-300));
            if (blowUp is not null)
            {
                Console.Error.WriteLine($"probes: {kind} diverged at step {blowUp.Step} (loss {blowUp.Loss:G3}, η·λ_max {blowUp.Sharpness:G3}, from "
                    + $"loss {path[0].Loss:G3}); trajectory kept in {run.Path}");
                return ExitCodes.Diverged;
            }
            var steps_ = path.Select(x => (double)x.Step).ToArray();
            var fit = TwoStepFit.Z1(steps_, path.Select(x => x.Z).ToArray(), path.Select(y).ToArray());
            ReportCommands.Print(r.GetValue(json),
                $"{kind}: {path.Count - 1} steps, final η·λ_max {last.Sharpness:F6}, z̃ {last.Z:E3}, loss {last.Loss:E3} → {run.Path}",
                new
                {
                    model = kind, steps = path.Count - 1, finalSharpness = last.Sharpness, finalZ = last.Z, finalLoss = last.Loss,
                    maxSharpness = path.Max(x => x.Sharpness), twoStep = fit, directory = run.Path, figures
                });
            return 0;
        });
        return command;
    }

    /// <summary>A loss this many times the initial one counts as divergence (GD at the edge of stability stays within a few times).</summary>
    private const double DivergedLossFactor = 1e6;

    private static List<TrajectoryPoint> RandomPath(int d, int p, double sz, double sj, long seed, double eta, int steps)
    {
        if (d < 1 || p < 1) throw new ProbesError("--D and --P must be positive.");
        FitsInMemory(d, p);
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(sz, sj, d, p);
        using var m = QuadraticModel.Random(d, p, sigmaZ, sigmaJ, seed);
        return Trajectory.Random(m, eta, steps);
    }

    /// <summary>
    /// A random model holds Q (D·P² doubles) and, while it is drawn, two temporaries of that size: refuse a
    /// size that cannot fit instead of letting libtorch abort the process.
    /// </summary>
    internal static void FitsInMemory(int d, int p)
    {
        double bytes = 3.0 * 8 * d * (double)p * p;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new
                ProbesError($"D = {d}, P = {p}: a random model needs {bytes / (1 << 30):F1} GiB (Q is D × P × P), more than the "
                    + $"{available / (double)(1 << 30):F1} GiB available.");
    }

    internal static double Positive(double v, string name) => v > 0 && double.IsFinite(v) ? v : throw new
        ProbesError($"{name} must be positive, got {v}.");

    private static string[] Draw(List<TrajectoryPoint> path, string folder, string title, Func<TrajectoryPoint, double> y, D1P2Model? d1p2)
    {
        var steps = path.Select(p => (double)p.Step).ToArray();
        var sharp = new Figure("sharpness", $"{title}: η·λ_max", "step", "η·λ_max");
        sharp.Line(steps, path.Select(p => p.Sharpness).ToArray(), "η·λ_max");
        sharp.StabilityLine();
        var z = new Figure("z", $"{title}: z̃", "step", "z̃");
        z.Line(steps, path.Select(p => p.Z).ToArray(), "z̃");
        var loss = new Figure("loss", $"{title}: loss", "step", "loss");
        loss.Line(steps, path.Select(p => p.Loss).ToArray(), "loss");
        string yName = d1p2 is not null ? "y = T(0) − f_z̃(z̃)" : "y = η·λ_max − 2";
        var two = new Figure("two-step", $"{title}: z̃ₜ₊₂ − z̃ₜ against 2·yₜ·z̃ₜ, {yName}", "2·yₜ·z̃ₜ", "z̃ₜ₊₂ − z̃ₜ");
        var n = path.Count - 2;
        if (n > 0)
            two.Points(Enumerable.Range(0, n).Select(t => 2 * y(path[t]) * path[t].Z).ToArray(),
                Enumerable.Range(0, n).Select(t => path[t + 2].Z - path[t].Z).ToArray(), "steps");
        var figures = new List<Figure> { sharp, z, loss, two };
        if (d1p2 is not null) figures.AddRange(TwoStepPlanes(path, title, d1p2));
        return figures.Select(f => f.Save(folder)).ToArray();
    }

    /// <summary>
    /// Figure 2 (middle and right) of the paper: the even steps in the (z̃, T(0)) plane with the z̃ nullcline f_z̃
    /// and arrows of the two-step map, and the same steps in (z̃, y), y = T(0) − f_z̃(z̃).
    /// </summary>
    private static IEnumerable<Figure> TwoStepPlanes(List<TrajectoryPoint> path, string title, D1P2Model model)
    {
        var even = path.Where(p => p.Step % 2 == 0 && double.IsFinite(p.Z) && double.IsFinite(p.Sharpness)).ToList();
        var plane = new Figure("two-step-plane", $"{title}: every other step in (z̃, T(0))", "z̃", "T(0) = η·λ_max");
        plane.Points(even.Select(p => p.Z).ToArray(), even.Select(p => p.Sharpness).ToArray(), "even steps");
        double lo = even.Min(p => p.Z), hi = even.Max(p => p.Z);
        var zs = Enumerable.Range(0, 200).Select(i => lo + (hi - lo) * i / 199.0).Where(v => Math.Abs(v) > 1e-9).ToArray();
        var nullcline = zs.Select(v => (Z: v, F: model.TwoStepNullcline(v))).Where(c => double.IsFinite(c.F)).ToArray();
        plane.Line(nullcline.Select(c => c.Z).ToArray(), nullcline.Select(c => c.F).ToArray(), "z̃ nullcline f_z̃ (z̃ₜ₊₂ = z̃ₜ)");
        double tLo = even.Min(p => p.Sharpness), tHi = even.Max(p => p.Sharpness);
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
            {
                var s = new D1P2State(lo + (hi - lo) * (i + 0.5) / 8, tLo + (tHi - tLo) * (j + 0.5) / 8);
                var next = model.TwoStep(s);
                if (!next.IsFinite) continue;
                // Each arrow points along the two-step map, with a length of a twelfth of the plot's span.
                double dx = (next.Z - s.Z) / (hi - lo), dy = (next.T0 - s.T0) / Math.Max(tHi - tLo, 1e-12), norm = Math.Sqrt(dx * dx + dy * dy);
                if (norm < 1e-15) continue;
                var tip = new ScottPlot.Coordinates(s.Z + dx / norm * (hi - lo) / 12, s.T0 + dy / norm * (tHi - tLo) / 12);
                var arrow = plane.Plot.Add.Arrow(new ScottPlot.Coordinates(s.Z, s.T0), tip);
                arrow.ArrowFillColor = arrow.ArrowLineColor = ScottPlot.Colors.Gray.WithAlpha(0.7);
                arrow.ArrowWidth = 1.5f;
                arrow.ArrowheadWidth = arrow.ArrowheadLength = 7;
            }
        yield return plane;
        var zy = new Figure("two-step-zy", $"{title}: every other step in (z̃, y), y = T(0) − f_z̃(z̃)", "z̃", "y");
        zy.Points(even.Select(p => p.Z).ToArray(), even.Select(p => model.Y(new D1P2State(p.Z, p.Sharpness))).ToArray(), "even steps");
        yield return zy;
    }

    private static Command Phase()
    {
        var d = Opt("--D", "Outputs.", 60);
        var p = Opt("--P", "Parameters.", 120);
        var grid = Opt("--grid", "Grid points per axis.", 20);
        var zRange = Opt("--sigma-z", "σ̃_z range lo:hi (log-spaced).", "0.02:2");
        var jRange = Opt("--sigma-j", "σ̃_J range lo:hi (log-spaced).", "0.05:1");
        var seeds = Opt("--seeds", "Random models per grid point.", 100);
        var steps = Opt("--steps", "GD steps per model.", 200);
        var lr = Opt("--lr", "η.", 1.0);
        var dtype = Opt("--dtype", "float32 (default, fast) or float64.", "float32");
        var threads = new Option<int?>("--threads") { Description = "Torch threads." };
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-phase)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("phase", "Median final η·λ_max of random quadratic models on a σ̃_z × σ̃_J grid (Figure 4): CSV and heatmap.")
            { d, p, grid, zRange, jRange, seeds, steps, lr, dtype, threads, output, json };
        command.SetAction(r =>
        {
            if (r.GetValue(threads) is { } t) set_num_threads(t);
            int g = r.GetValue(grid);
            if (g < 1 || r.GetValue(seeds) < 1 || r.GetValue(steps) < 1 || r.GetValue(d) < 1 || r.GetValue(p) < 1)
                throw new ProbesError("--grid, --seeds, --steps, --D and --P must be positive.");
            var type = r.GetValue(dtype) switch
            {
                "float32" => ScalarType.Float32,
                "float64" => ScalarType.Float64,
                var x => throw new ProbesError($"--dtype must be float32 or float64, got '{x}'.")
            };
            var zs = LogGrid(r.GetValue(zRange)!, g, "--sigma-z");
            var js = LogGrid(r.GetValue(jRange)!, g, "--sigma-j");
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-phase"));
            var clock = Stopwatch.StartNew();
            int total = r.GetValue(seeds);
            List<PhaseCell> cells = ProgressDisplay.Run(total, progress =>
                PhaseDiagram.Run(r.GetValue(d), r.GetValue(p), zs, js, total, r.GetValue(steps), Positive(r.GetValue(lr), "--lr"), type,
                    done => progress.Report(done, total, $"seed {done}/{total}")));
            using (var csv = new CsvTrace(run.File("phase.csv"), ["sigma_z_tilde", "sigma_j_tilde", "median_final_sharpness", "diverged_fraction",
                "median_initial_sharpness"]))
                foreach (var c in cells)
                    csv.Write(new Dictionary<string, double>
                    {
                        ["sigma_z_tilde"] = c.SigmaZTilde, ["sigma_j_tilde"] = c.SigmaJTilde, ["median_final_sharpness"] = c.MedianSharpness,
                        ["diverged_fraction"] = c.DivergedFraction, ["median_initial_sharpness"] = c.MedianInitialSharpness,
                    });
            var heat = new double[g, g];
            for (int a = 0; a < g; a++)
                for (int b = 0; b < g; b++)
                    heat[g - 1 - b, a] = Math.Min(cells[a * g + b].MedianSharpness, 4);   // rows: σ̃_J from top; diverged clipped at 4
            var plot = new Plot();
            var map = plot.Add.Heatmap(heat);
            map.Extent = new CoordinateRect(Math.Log10(zs[0]), Math.Log10(zs[^1]), Math.Log10(js[0]), Math.Log10(js[^1]));
            plot.Add.ColorBar(map).Label = "median final η·λ_max (diverged: 4)";
            plot.Title($"D = {r.GetValue(d)}, P = {r.GetValue(p)}: {total} seeds, {r.GetValue(steps)} steps, η = {r.GetValue(lr)}");
            plot.XLabel("log₁₀ σ̃_z");
            plot.YLabel("log₁₀ σ̃_J");
            plot.SavePng(run.File("phase.png"), 800, 650);
            double seconds = clock.Elapsed.TotalSeconds;
            ReportCommands.Print(r.GetValue(json), $"phase diagram of {g}×{g} points × {total} seeds in {seconds:F1} s → {run.Path}",
                new { directory = run.Path, seconds, cells });
            return 0;
        });
        return command;
    }

    private static double[] LogGrid(string range, int n, string name)
    {
        var parts = range.Split(':');
        if (parts.Length != 2 || !double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out double lo)
            || !double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out double hi) || !(lo > 0) || !(hi >= lo))
            throw new ProbesError($"{name} '{range}' is not a range lo:hi with 0 < lo ≤ hi.");
        return n == 1 ? [lo] : Enumerable.Range(0, n).Select(i => lo * Math.Pow(hi / lo, i / (double)(n - 1))).ToArray();
    }
}
