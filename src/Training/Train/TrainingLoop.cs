using System.Globalization;
using Probes.Models;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Probes.Probing;
using Serilog;
using Training.Config;
using Training.Data;
using Training.Model;
using Training.Runs;
using static TorchSharp.torch;

namespace Training.Train;

/// <summary>
/// The GD loop of one run, from a start step to the end, a target, divergence or a stop signal. Each step:
/// measure at θ_t (<see cref="Measure"/>), probe if due (<see cref="Probe"/>), write the rows and log
/// (<see cref="Record"/>), decide whether to stop (<see cref="Ending"/>), update θ and checkpoint.
/// </summary>
internal sealed class TrainingLoop(TrainSettings s, Network model, CifarDataset data, RunDirectory run, ILogger log,
    ProbeSuite suite, Optimizers.Optimizer optimizer, StopSignal stop, IProgress progress) : IDisposable
{
    private readonly CsvTrace _train = new(run.File("train.csv"), TrainStepMetrics.Columns);
    private readonly CsvTrace _probes = new(run.File("probes.csv"), ProbeRecord.Columns(s.ProbeK));
    private readonly CsvTrace _spectra = new(run.File("spectra.csv"), [.. SpectrumValue.Schema.Select(c => c.Name)]);
    // Only where densities are asked for: an empty density.csv in every run said nothing.
    private readonly CsvTrace? _density = s.SpectraDensity > 0 ? new(run.File("density.csv"), [.. DensityColumns.Schema.Select(c => c.Name)])
        : null;
    private readonly TensorBoardTrace _events = new(run.File(TensorBoardTrace.RelativePath));
    private static List<(int From, int To)> Windows(TrainSettings s) => [.. s.ProbeWindow.Select(w => SettingsValidator.ParseWindow(w, s.Steps))];
    private readonly ProbeSchedule _schedule = new(s.ProbeEvery, Windows(s), s.ProbeAbove);
    private readonly RunEta _eta = new(s.ProbeEvery, Windows(s), s.ProbeAbove);
    private readonly WarningThrottle _warnings = new(log);
    private readonly ILoss _loss = ILoss.Named[s.Loss];
    private readonly Stopwatch _clock = new();
    private double _secondsBefore;

    private ITrace[] Traces => _density is null ? [_train, _probes, _spectra, _events] : [_train, _probes, _spectra, _density, _events];
    private double Seconds => _secondsBefore + _clock.Elapsed.TotalSeconds;

    public Outcome Run(int start, double secondsBefore)
    {
        _secondsBefore = secondsBefore;
        _clock.Start();
        if (start == 0)
        {
            _events.Text("settings", $"```json\n{System.Text.Json.JsonSerializer.Serialize(s, SettingsResolver.Json)}\n```");
            Checkpoint.Save(run, 0, 0, model, suite, optimizer, Checkpoint.Lengths(run, Traces), completed: false);
        }
        for (int step = start; ; step++)
        {
            using var scope = NewDisposeScope();
            var lengthsBeforeStep = Checkpoint.Lengths(run, Traces);
            var stepClock = Stopwatch.StartNew();
            var metrics = Measure(step);
            ProbeRecord? probe = null;
            double probeSeconds = 0;
            bool due = _schedule.IsDue(step, suite.LastSharpness) || s.SpectraAt.Contains(step);
            // A run that ends here keeps θ_step and the traces before this step, so that an extension redoes the step: its
            // checkpoint must hold the suite as before this step's probe too, or the redone probe starts from its own vectors.
            var stateBeforeProbe = due && Reached(metrics) is not null ? suite.Export() : null;
            if (due)
            {
                progress.Report(step, s.Steps, $"step {step:N0}/{s.Steps:N0} · probing" + (suite.LastSharpness is null ? " (cold start)" : ""));
                var probeClock = Stopwatch.StartNew();
                probe = Probe(step);
                probeSeconds = probeClock.Elapsed.TotalSeconds;
                _eta.Probed(probeSeconds);
                if (probe is null)
                {
                    // θ_step, the suite as before the probe, the traces as before this step: a resume redoes it all.
                    Checkpoint.Save(run, step, Seconds, model, suite, optimizer, lengthsBeforeStep, completed: false);
                    log.Warning("Interrupted during the probe of step {Step}; checkpoint written: a resume starts at step {Step}", step);
                    return new Outcome("interrupted", step - 1, metrics, ExitCodes.Interrupted);
                }
            }
            Record(metrics);
            if (Ending(metrics, probe) is { } ending)
            {
                // θ_step with the traces as before this step's rows, so that an extension redoes this step exactly.
                if (ending.ExitCode == ExitCodes.Ok)
                    Checkpoint.Save(run, step, metrics.Seconds, model, suite, optimizer, lengthsBeforeStep, completed: true, stateBeforeProbe);
                return ending;
            }
            optimizer.Step(model);
            _eta.Trained(stepClock.Elapsed.TotalSeconds - probeSeconds);
            if (stop.Requested)
            {
                Checkpoint.Save(run, step + 1, Seconds, model, suite, optimizer, Checkpoint.Lengths(run, Traces), completed: false);
                log.Warning("Interrupted after step {Step}; checkpoint written: a resume starts at step {Next}", step, step + 1);
                return new Outcome("interrupted", step, metrics, ExitCodes.Interrupted);
            }
            if ((step + 1) % s.CheckpointEvery == 0)
            {
                Checkpoint.Save(run, step + 1, Seconds, model, suite, optimizer, Checkpoint.Lengths(run, Traces), completed: false);
                RunSummary.Write(run, "running", s.Steps, metrics);
            }
        }
    }

    /// <summary>Loss, accuracy and gradient at θ_t (the gradient stays for the update), and the test set when due.</summary>
    private TrainStepMetrics Measure(int step)
    {
        var (loss, accuracy, gradNorm) = GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels, _loss);
        (double Loss, double Accuracy)? test = data.TestInputs is not null && (step % s.TestEvery == 0 || step == s.Steps)
            ? GradientDescent.Evaluate(model, data.TestInputs, data.TestTargets!, data.TestLabels!, _loss) : null;
        var metrics = new TrainStepMetrics(step, loss, accuracy, test?.Loss, test?.Accuracy, gradNorm,
            GradientDescent.ParameterNorm(model), Seconds);
        CrashPoint.Maybe("step", step);
        return metrics;
    }

    /// <summary>The probe of θ_t with its rows written and its warnings raised; null when a stop signal cancelled it.</summary>
    private ProbeRecord? Probe(int step)
    {
        // A diagonal preconditioner is diagonal only in the network's own coordinates: no reduction to the inputs' span then.
        using var preconditioner = optimizer.Preconditioner(model);
        using var point = model.Point(data.TrainInputs, data.TrainTargets, preconditioner is null ? data.TrainSpan : null, _loss);
        // The step the optimizer is about to take, for Δz₁'s split under any optimizer (GD's the suite derives itself).
        bool split = !optimizer.IsGradientDescent && _loss is SquaredLoss && ProbeOptions.ParseKinds(s.Probes).HasFlag(ProbeKinds.Ratio);
        using var full = split ? optimizer.NextStep(model) : null;
        using var nextStep = full is null ? null : Network.Coordinates(point, full);
        // --probes midpoint: the same point's coordinates at θ + ½Δθ, the midpoint of the step about to be taken.
        Action<Action<IDifferentiablePoint>> atMidpoint = there => optimizer.AlongNextStep(model, 0.5, () =>
        {
            using var midpoint = model.Point(data.TrainInputs, data.TrainTargets, preconditioner is null ? data.TrainSpan : null, _loss);
            there(new CancellablePoint(midpoint, stop.Token));
        });
        CrashPoint.SignalMaybe("probe", step, () => stop.Requested);
        ProbeRecord probe;
        try
        {
            probe = suite.Run(new CancellablePoint(point, stop.Token), step, spectra: s.SpectraAt.Contains(step), preconditioner, nextStep,
                atMidpoint);
        }
        catch (OperationCanceledException) { return null; }
        CrashPoint.Maybe("probe", step);
        _probes.Write(probe.Values);
        _events.Scalars(step, "probes", probe.Values);
        foreach (var v in probe.Spectra)
            _spectra.WriteFields([v.Step.ToString(), v.Operator, v.End, v.Index.ToString(), CsvTrace.Format(v.Value)]);
        foreach (var (op, density) in _density is null ? [] : probe.Densities)
            for (int i = 0; i < density.X.Length; i++)
                _density!.WriteFields([step.ToString(), op, CsvTrace.Format(density.X[i]), CsvTrace.Format(density.Values[i])]);
        log.Debug("Probe {Step}: {@Probe}", step, probe.Values.ToDictionary(p => p.Key, p => p.Value));
        if (probe.Crossing)
            _warnings.Warn("crossing", "Step {Step}: the top NTK eigenvector now matches the previous second one (λ₁/λ₂ crossing)", step);
        foreach (var op in probe.Unconverged)
            _warnings.Warn("cap-" + op, "Step {Step}: the eigensolver for {Operator} hit the cap of {Cap} matvecs", step, op, s.ProbeMaxIter);
        foreach (var op in ProbeColumns.Operators)
            if (probe[ProbeColumns.DeflationIterations(op)] is > 0 and var cost)
                log.Information("Step {Step}: estimated the {Operator} deflation space ({Matvecs} matvecs)", step, op, cost);
        return probe;
    }

    /// <summary>The step's train.csv row, its log lines and the progress display.</summary>
    private void Record(TrainStepMetrics m)
    {
        _train.Write(m.Values());
        _events.Scalars(m.Step, "train", m.Values());
        log.Debug("Step {Step}: {@Metrics}", m.Step, m.Values().ToDictionary());      // snake_case keys, as in train.csv
        if (m.Step % s.LogEvery == 0 || m.Step == s.Steps)
            log.Information("step {Step}/{Steps} loss {Loss:G6} acc {Accuracy:P1}{Test:l} |g| {GradNorm:G4}{Sharpness}",
                m.Step, s.Steps, m.Loss, m.Accuracy,
                m.TestAccuracy is { } test ? string.Create(CultureInfo.InvariantCulture, $" test {test:P1}") : "",
                m.GradNorm, suite.LastSharpness is { } sh ? string.Create(CultureInfo.InvariantCulture, $" {Sharpness(sh, "F4")}") : "");
        progress.Report(m.Step, s.Steps, Status(m));
    }

    /// <summary>How the run ends at this step, if it does: divergence (loss or a probe), a target reached, or the last step.</summary>
    private Outcome? Ending(TrainStepMetrics m, ProbeRecord? probe)
    {
        if (!m.IsFinite)
        {
            log.Error("Diverged at step {Step}: loss {Loss}, gradient norm {GradNorm}", m.Step, m.Loss, m.GradNorm);
            return new Outcome("diverged", m.Step, m, ExitCodes.Diverged);
        }
        if (probe?.FirstNonFinite() is { } bad)
        {
            log.Error("Diverged at step {Step}: probe value {Column} is not finite", m.Step, bad);
            return new Outcome("diverged", m.Step, m, ExitCodes.Diverged);
        }
        return Reached(m) is { } reached ? new Outcome(reached, m.Step, m, ExitCodes.Ok) : null;
    }

    /// <summary>Why the run ends well at this step, if it does: a target reached, or the last step.</summary>
    private string? Reached(TrainStepMetrics m) =>
        s.TargetLoss is { } tl && m.Loss <= tl ? $"reached target loss {tl}"
            : s.TargetAccuracy is { } ta && m.Accuracy >= ta ? $"reached target accuracy {ta}"
            : m.Step == s.Steps ? "completed" : null;

    /// <summary>The bar's words: where the run is, what it measured last, and the time left with the probes to come.</summary>
    private string Status(TrainStepMetrics m)
    {
        var sharpness = suite.LastSharpness;
        string eta = _eta.SecondsLeft(m.Step, s.Steps, sharpness) is { } left ? $" · {RunEta.Format(left)} left" : "";
        // Short, most important first: it shares an 80-column row with the bar, and Spectre drops a description that does not fit.
        return $"step {m.Step:N0}/{s.Steps:N0}{eta} · loss {m.Loss:G4}" + (sharpness is { } sh ? $" · {Sharpness(sh, "F3")}" : "");
    }

    /// <summary>
    /// The last probe's sharpness as the run reads it: η·λ₁ under GD on the squared loss, edge (1 at the edge) under any other
    /// optimizer or loss.
    /// </summary>
    private string Sharpness(double sharpness, string format) => optimizer.IsGradientDescent && s.Loss == "mse"
        ? "η·λ₁ " + sharpness.ToString(format, CultureInfo.InvariantCulture)
        : "edge " + (sharpness / 2).ToString(format, CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var trace in Traces) trace.Dispose();
    }
}
