using System.CommandLine;
using System.Diagnostics;
using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Training.Config;
using Training.Optimizers;
using Training.Runs;
using Training.Studies;
using static TorchSharp.torch;

namespace Training.Cli;

/// <summary><c>probes quad simulate</c> and <c>probes quad phase</c> (and the §4 statistics in <see cref="QuadStatisticsCommands"/>): the quadratic
/// regression models alone.</summary>
internal static class QuadCommand
{
    /// <summary>The longest trajectory `quad simulate` keeps (in memory, then in trajectory.csv).</summary>
    private const int MaxSteps = 10_000_000;

    public static Command Create()
    {
        var command = new Command("quad", "Simulate the paper's quadratic regression models.");
        command.Subcommands.Add(Simulate());
        command.Subcommands.Add(Phase());
        command.Subcommands.Add(QuadStatisticsCommands.Sharpening());
        command.Subcommands.Add(QuadStatisticsCommands.Nonlinearity());
        command.Subcommands.Add(QuadFigureCommand.Create());
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
        var optimizer = new Option<string?>("--optimizer")
        {
            Description = "Train the model in parameter space with one of train's optimizers (gd, momentum, nesterov, rmsprop, adam) at --lr, "
                + "and trace its edge λ₁(P⁻¹H)/threshold; without it, GD's closed-form maps.",
        };
        var momentum = Opt("--momentum", "β of momentum and nesterov.", new TrainSettings().Momentum);
        var beta1 = Opt("--beta1", "Adam's β₁.", new TrainSettings().Beta1);
        var beta2 = new Option<double?>("--beta2") { Description = "Adam's β₂ (default 0.999) or RMSprop's α (default 0.99)." };
        var optimizerEps = Opt("--opt-eps", "ε of Adam and RMSprop (train's --eps; --eps here is the D = 1, P = 2 model's ε).",
            new TrainSettings().Eps);
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-<model>)." };
        var centralFlow = new Option<bool>("--central-flow")
        {
            Description = "Also run GD's central flow and the stable flow beside GD from θ₀ (exact eigenpairs): central-flow.csv, its summary "
                + "and figures, as `probes flow` writes for a network.",
        };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("simulate", "GD on one quadratic model: trajectory CSV and plots of η·λ_max, z̃, loss and the two-step view.")
        {
            model, eps, conserved, z0, t0, d, p, sigmaZ, sigmaJ, seed, lr, steps, optimizer, momentum, beta1, beta2, optimizerEps, centralFlow,
            output, json,
        };
        command.SetAction(r =>
        {
            string kind = r.GetValue(model)!;
            if (r.GetValue(steps) is < 1 or > MaxSteps)
                throw new ProbesError($"--steps must be in 1..{MaxSteps:N0} (a trajectory is kept in memory), got {r.GetValue(steps)}.");
            var d1p2 = kind == "d1p2" ? D1P2Model.WithEpsilon(Positive(r.GetValue(eps), "--eps"), Finite(r.GetValue(conserved), "--e-tilde")) : null;
            var trained = r.GetValue(optimizer) is { } name ? OptimizerOf(r, name, lr, momentum, beta1, beta2, optimizerEps) : null;
            if (r.GetValue(centralFlow) && trained is not null)
                throw new ProbesError("--central-flow is GD's central flow; leave out --optimizer.");
            List<TrajectoryPoint> path = trained is not null ? OptimizerPath(kind, d1p2, trained, r, z0, t0, d, p, sigmaZ, sigmaJ, seed, lr, steps)
                : kind switch
                {
                    "d1p2" => Trajectory.D1P2(d1p2!, new D1P2State(Finite(r.GetValue(z0), "--z0"), Finite(r.GetValue(t0), "--t0")),
                        r.GetValue(steps)),
                    "random" => RandomPath(r.GetValue(d), r.GetValue(p), Positive(r.GetValue(sigmaZ), "--sigma-z"),
                        Positive(r.GetValue(sigmaJ), "--sigma-j"), r.GetValue(seed),
                        Positive(r.GetValue(lr), "--lr"), r.GetValue(steps)),
                    _ => throw new ProbesError($"unknown model '{kind}' (expected d1p2 or random)."),
                };
            string title = (d1p2 is not null ? $"D = 1, P = 2, ε = {r.GetValue(eps)}" : $"random model D = {r.GetValue(d)}, P = {r.GetValue(p)}")
                + (r.GetValue(optimizer) is { } used ? $", {used}" : "");
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-" + kind));
            QuadRunConfig.Write(run, r);
            // The nullcline planes and the two-step law are GD's: under another optimizer the figures show its edge instead.
            bool gradientDescent = trained is null or { IsGradientDescent: true };
            var outcome = TrajectoryStudy.Run(new TrajectoryStudy.Spec(path, gradientDescent ? d1p2 : null, title, gradientDescent), run);
            if (outcome.Divergence is { } blowUp)
            {
                Console.Error.WriteLine($"probes: {kind} diverged at step {blowUp.Step} (loss {blowUp.Loss:G3}, η·λ_max {blowUp.Sharpness:G3}, from "
                    + $"loss {path[0].Loss:G3}); trajectory kept in {run.Path}");
                return ExitCodes.Diverged;
            }
            var last = path[^1];
            string flowLine = "";
            if (r.GetValue(centralFlow))
            {
                double eta = Positive(r.GetValue(lr), "--lr");
                using var flowModel = ModelOf(kind, d1p2, r, z0, t0, d, p, sigmaZ, sigmaJ, seed, eta);
                // Exact eigenpairs and third-order products at every substep: they cost nothing here.
                var flow = CentralFlowStudy.Run(flowModel, eta, r.GetValue(steps), new Flows.FlowOptions { RefreshEvery = 1, SolveEvery = 1 }, run);
                flowLine = $"; central flow: predicted loss off GD's average by {100 * flow.MeanPredictedLossError:F2}% on average over "
                    + $"{flow.EdgeRows} steps at the edge, max η·λ₁ {flow.MaxCfEtaHess1:F6}, final ‖θ_GD − θ_CF‖ {flow.FinalDistanceCf:G3} vs "
                    + $"‖θ_GD − θ_GF‖ {flow.FinalDistanceGf:G3}";
            }
            ReportCommands.Print(r.GetValue(json),
                $"{kind}: {path.Count - 1} steps, final η·λ_max {last.Sharpness:F6}, z̃ {last.Z:E3}, loss {last.Loss:E3}{flowLine} → {run.Path}",
                new
                {
                    model = kind, steps = path.Count - 1, finalSharpness = last.Sharpness, finalZ = last.Z, finalLoss = last.Loss,
                    maxSharpness = path.Max(x => x.Sharpness), twoStep = outcome.TwoStep, directory = run.Path, figures = outcome.Figures
                });
            return 0;
        });
        return command;
    }

    /// <summary>The optimizer --optimizer names, with train's settings and validation.</summary>
    private static Optimizer OptimizerOf(ParseResult r, string name, Option<double> lr, Option<double> momentum, Option<double> beta1,
        Option<double?> beta2, Option<double> eps)
    {
        var settings = new TrainSettings
        {
            Optimizer = name, Lr = r.GetValue(lr), Momentum = r.GetValue(momentum), Beta1 = r.GetValue(beta1), Beta2 = r.GetValue(beta2),
            Eps = r.GetValue(eps),
        };
        SettingsValidator.Validate(settings);
        return Optimizer.For(settings);
    }

    private static List<TrajectoryPoint> OptimizerPath(string kind, D1P2Model? d1p2, Optimizer optimizer, ParseResult r, Option<double> z0,
        Option<double> t0, Option<int> d, Option<int> p, Option<double> sigmaZ, Option<double> sigmaJ, Option<long> seed, Option<double> lr,
        Option<int> steps)
    {
        double eta = Positive(r.GetValue(lr), "--lr");
        using var model = ModelOf(kind, d1p2, r, z0, t0, d, p, sigmaZ, sigmaJ, seed, eta);
        return OptimizerTrajectory.Run(model, optimizer, eta, r.GetValue(steps));
    }

    /// <summary>The model itself, at θ₀, for the paths that step it in parameter space (another optimizer, the central flow).</summary>
    private static QuadraticModel ModelOf(string kind, D1P2Model? d1p2, ParseResult r, Option<double> z0, Option<double> t0, Option<int> d,
        Option<int> p, Option<double> sigmaZ, Option<double> sigmaJ, Option<long> seed, double eta) => kind switch
        {
            "d1p2" => OptimizerTrajectory.D1P2(d1p2!, new D1P2State(Finite(r.GetValue(z0), "--z0"), Finite(r.GetValue(t0), "--t0")), eta),
            "random" => RandomModel(r.GetValue(d), r.GetValue(p), Positive(r.GetValue(sigmaZ), "--sigma-z"), Positive(r.GetValue(sigmaJ),
                "--sigma-j"), r.GetValue(seed)),
            _ => throw new ProbesError($"unknown model '{kind}' (expected d1p2 or random)."),
        };

    private static QuadraticModel RandomModel(int d, int p, double sz, double sj, long seed)
    {
        if (d < 1 || p < 1) throw new ProbesError("--D and --P must be positive.");
        FitsInMemory(d, p);
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(sz, sj, d, p);
        return QuadraticModel.Random(d, p, sigmaZ, sigmaJ, seed);
    }

    private static List<TrajectoryPoint> RandomPath(int d, int p, double sz, double sj, long seed, double eta, int steps)
    {
        if (d < 1 || p < 1) throw new ProbesError("--D and --P must be positive.");
        FitsInMemory(d, p);
        return Trajectory.RandomModel(d, p, sz, sj, seed, eta, steps);
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

    internal static double Finite(double v, string name) => double.IsFinite(v) ? v : throw new
        ProbesError($"{name} must be a finite number, got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");

    internal static double Positive(double v, string name) => v > 0 && double.IsFinite(v) ? v : throw new
        ProbesError($"{name} must be positive, got {v}.");

    private static Command Phase()
    {
        var d = Opt("--D", "Outputs.", 60);
        var p = Opt("--P", "Parameters.", 120);
        var grid = Opt("--grid", "Grid points per axis.", 20);
        var zRange = Opt("--sigma-z", "σ̃_z range lo:hi (log-spaced).", "0.02:2");
        var jRange = Opt("--sigma-j", "σ̃_J range lo:hi (log-spaced).", "0.05:1");
        var seeds = Opt("--seeds", "Random models per grid point.", 100);
        var steps = new Option<int?>("--steps") { Description = "A fixed number of GD steps per model, instead of running until the cells settle." };
        var maxSteps = Opt("--max-steps", "The cap on GD steps while waiting for every cell to settle.", 5000);
        var settle = Opt("--settle", "A cell is settled when its η·λ_max moved less than this over 100 steps (or it diverged).", 1e-4);
        var lr = Opt("--lr", "η.", 1.0);
        var dtype = Opt("--dtype", "float32 (default, fast) or float64.", "float32");
        var convention = QuadStatisticsCommands.ConventionOption();
        var threads = new Option<int?>("--threads") { Description = "Torch threads." };
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-phase)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("phase", "Median final η·λ_max of random quadratic models on a σ̃_z × σ̃_J grid (Figure 4): CSV and heatmap.")
            { d, p, grid, zRange, jRange, seeds, steps, maxSteps, settle, lr, dtype, convention, threads, output, json };
        command.SetAction(r =>
        {
            if (r.GetValue(threads) is { } t)
                set_num_threads(Config.SettingsValidator.ThreadsError(t) is { } e ? throw new ProbesError(e) : t);
            int g = r.GetValue(grid);
            if (g < 1 || r.GetValue(seeds) < 1 || r.GetValue(steps) is < 1 || r.GetValue(maxSteps) < 1 || r.GetValue(d) < 1 || r.GetValue(p) < 1)
                throw new ProbesError("--grid, --seeds, --steps, --max-steps, --D and --P must be positive.");
            var stopping = r.GetValue(steps) is { } fixedSteps ? PhaseStopping.Fixed(fixedSteps)
                : new PhaseStopping(r.GetValue(maxSteps), Positive(r.GetValue(settle), "--settle"));
            var type = r.GetValue(dtype) switch
            {
                "float32" => ScalarType.Float32,
                "float64" => ScalarType.Float64,
                var x => throw new ProbesError($"--dtype must be float32 or float64, got '{x}'.")
            };
            // Every cell's z and J (and their update) are held at once, beside each seed's Q: refuse what cannot fit.
            double batch = (double)g * g * r.GetValue(seeds), dd = r.GetValue(d), pp = r.GetValue(p);
            double need = batch * (dd + 3 * dd * pp) * (type == ScalarType.Float32 ? 4 : 8) + r.GetValue(seeds) * dd * pp * pp * 8;
            double have = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (need > have)
                throw new ProbesError($"{g}×{g} cells × {r.GetValue(seeds)} seeds at D = {dd}, P = {pp} need at least {need / 1e9:G3} GB and this "
                    + $"machine has {have / 1e9:G3} GB: lower --grid, --seeds, --D or --P.");
            // The batch holds ½η² and the state in the chosen type: an η beyond it overflows on the first step.
            if (type == ScalarType.Float32 && r.GetValue(lr) > Math.Sqrt(float.MaxValue))
                throw new ProbesError(
                    $"--lr {r.GetValue(lr)} is too large for float32 (½η² must be below {float.MaxValue:G3}): use --dtype float64.");
            var spec = new PhaseStudy.Spec(r.GetValue(d), r.GetValue(p), LogGrid(r.GetValue(zRange)!, g, "--sigma-z"),
                LogGrid(r.GetValue(jRange)!, g, "--sigma-j"), r.GetValue(seeds), stopping, Positive(r.GetValue(lr), "--lr"), type,
                QuadStatisticsCommands.Convention(r.GetValue(convention)!));
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-phase"));
            QuadRunConfig.Write(run, r);
            var clock = Stopwatch.StartNew();
            var cells = PhaseStudy.Run(spec, run);
            double seconds = clock.Elapsed.TotalSeconds;
            ReportCommands.Print(r.GetValue(json), $"phase diagram of {g}×{g} points × {spec.Seeds} seeds in {seconds:F1} s → {run.Path}",
                new { directory = run.Path, seconds, qConvention = spec.Convention.Name(), cells });
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
