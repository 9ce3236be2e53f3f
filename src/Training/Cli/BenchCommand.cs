using System.CommandLine;

namespace Training.Cli;

/// <summary><c>probes bench</c>: prints the cost figures (filled in by Bench/).</summary>
internal static class BenchCommand
{
    /// <summary>The most consecutive probed steps a benchmark times (each is a full probe).</summary>
    private const int MaxProbeSteps = 10_000;

    public static Command Create()
    {
        var command = new Command("bench", "Print timings of forward, backward, training step and probe matvecs.");
        var n = new Option<int>("--n") { Description = "Training examples.", DefaultValueFactory = _ => 5000 };
        var threads = new Option<int>("--threads") { Description = "Torch threads.", DefaultValueFactory = _ => 2 };
        threads.Validators.Add(r => { if (Config.SettingsValidator.ThreadsError(r.GetValueOrDefault<int>()) is { } e) r.AddError(e); });
        var data = new Option<string?>("--data") { Description = "CIFAR-10 folder (as for train)." };
        var run = new Option<string?>("--run")
        {
            Description =
            "Also time warm-started probes over consecutive steps from this run's last checkpoint (e.g. one in its EOS phase)."
        };
        var steps = new Option<int>("--probe-steps")
        {
            Description = "Consecutive steps probed with --run.",
            DefaultValueFactory = _ => 6
        };
        steps.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > MaxProbeSteps) r.AddError($"--probe-steps must be in 1..{MaxProbeSteps}.");
        });
        var stride = new Option<int>("--probe-stride")
        {
            Description = "With --run: training steps between the probed steps (1: consecutive, an EOS window; 50: a sparse schedule).",
            DefaultValueFactory = _ => 1
        };
        stride.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > MaxProbeSteps) r.AddError($"--probe-stride must be in 1..{MaxProbeSteps}.");
        });
        var study = new Option<bool>("--ntk-study")
        {
            Description =
            "With --run: what limits the warm-started NTK solve (block sizes, tolerances, float32 floor) against a tight reference."
        };
        var toleranceStudy = new Option<bool>("--tolerance-study")
        {
            Description =
            "With --run: every traced column at probe tolerances 1e-4, 1e-5, 1e-6 (float64 copy of the network) and 1e-6 on the run itself, against "
                + "1e-8 in float64, and what each costs."
        };
        var deflationStudy = new Option<bool>("--deflation-study")
        {
            Description =
            "With --run: Lanczos against deflated Davidson for the top-k NTK at each step, from one deflation space estimated at the first."
        };
        var scenarios = new Option<bool>("--scenarios")
        {
            Description =
            $"Probe costs and peak resident memory of a new run at n = {string.Join(", ", Bench.ScenarioBenchmark.Sizes)}, each in its own process "
                + $"(cold, then --probe-steps steps step by step)."
        };
        var scenario = new Option<int?>("--scenario") { Description = "One size of --scenarios, in this process.", Hidden = true };
        scenario.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--scenario must be a positive n."); });
        command.Options.Add(scenarios);
        command.Options.Add(scenario);
        var arch = new Option<string?>("--arch")
        {
            Description = "Cost of one network's products (as train's --arch: fc-tanh, cnn-relu, …), in forward passes."
        };
        var model = new Option<string?>("--model") { Description = "As --arch, for a TorchScript module (as train's --model)." };
        var inputShape = new Option<string?>("--input-shape") { Description = "With --model: C,H,W, as train's." };
        command.Options.Add(arch);
        command.Options.Add(model);
        command.Options.Add(inputShape);
        var tolerance = new Option<double?>("--probe-tol")
        {
            Description = "With --run: solve the NTK to this relative residual instead of the run's own."
        };
        var hessTolerance = new Option<double?>("--probe-hess-tol")
        {
            Description = "With --run: solve the loss Hessian to this relative residual instead of the run's own."
        };
        var qTolerance = new Option<double?>("--probe-q-tol")
        {
            Description = "With --run: solve Q₁ and Q_r to this relative residual instead of the run's own."
        };
        command.Options.Add(study);
        command.Options.Add(toleranceStudy);
        command.Options.Add(deflationStudy);
        command.Options.Add(tolerance);
        command.Options.Add(hessTolerance);
        command.Options.Add(qTolerance);
        command.Options.Add(n);
        command.Options.Add(threads);
        command.Options.Add(data);
        command.Options.Add(run);
        command.Options.Add(steps);
        command.Options.Add(stride);
        command.SetAction(result => (result.GetValue(arch), result.GetValue(model)) is var (a, m) && (a ?? m) is not null
            ? Bench.NetworkCostBenchmark.Run(result.GetValue(data), result.GetValue(n), result.GetValue(threads),
                new(new[] { ("arch", a), ("model", m), ("input-shape", result.GetValue(inputShape)) }.Where(p => p.Item2 is not null)
                    .Select(p => KeyValuePair.Create(p.Item1, (System.Text.Json.Nodes.JsonNode?)p.Item2))))
            : result.GetValue(scenario) is { } one
            ? Bench.ScenarioBenchmark.RunOne(result.GetValue(data), one, result.GetValue(threads), result.GetValue(steps))
            : result.GetValue(scenarios) ? Bench.ScenarioBenchmark.Run(result.GetValue(data), result.GetValue(threads), result.GetValue(steps))
            : Run(result.GetValue(run), [result.GetValue(study), result.GetValue(toleranceStudy), result.GetValue(deflationStudy)],
                new Bench.ProbeTolerances(result.GetValue(tolerance), result.GetValue(hessTolerance), result.GetValue(qTolerance)),
                result.GetValue(steps), result.GetValue(data), result.GetValue(n), result.GetValue(threads), result.GetValue(stride)));
        return command;
    }

    /// <summary>Checks the combination of options, then runs the one benchmark they name.</summary>
    private static int Run(string? run, bool[] studies, Bench.ProbeTolerances tolerances, int steps, string? data, int n, int threads,
        int stride)
    {
        var (ntkStudy, toleranceStudy, deflationStudy) = (studies[0], studies[1], studies[2]);
        int chosen = studies.Count(b => b);
        if (chosen > 0 && run is null)
            throw new
                ProbesError("--ntk-study, --tolerance-study and --deflation-study need --run RUN_DIR (a run with a checkpoint in its EOS phase).");
        if (chosen > 1) throw new ProbesError("choose one of --ntk-study, --tolerance-study and --deflation-study.");
        double loosest = Config.SettingsValidator.MaxProbeTolerance;      // the same range as train's
        var flags = new[] { ("--probe-tol", tolerances.Ntk), ("--probe-hess-tol", tolerances.Hessian), ("--probe-q-tol", tolerances.Q) };
        foreach (var (flag, value) in flags)
        {
            if (value is { } tol && !(tol > 0 && tol <= loosest)) throw new ProbesError($"{flag} must be in (0, {loosest}], got {tol}.");
            if (value is not null && (run is null || chosen > 0)) throw new ProbesError($"{flag} applies to bench --run RUN_DIR (without a study).");
        }
        if (run is null) return Bench.Benchmark.Run(data, n, threads);
        if (ntkStudy) return Bench.NtkWarmStartStudy.Run(run, threads, steps);
        if (toleranceStudy) return Bench.ToleranceStudy.Run(run, threads, steps);
        if (deflationStudy) return Bench.DeflationStudy.Run(run, threads, steps);
        return Bench.EosProbeBenchmark.Run(run, threads, steps, tolerances, stride);
    }
}
