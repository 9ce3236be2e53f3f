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
/// A training run: loads the data, builds the network, runs full-batch GD and, on the schedule, the probes,
/// writing the run directory as it goes. Row t of every trace is at θ_t, before step t's update; the last
/// row (t = steps) has no update after it. Probes read a snapshot of θ and never change the trajectory.
/// A run can be resumed from its last checkpoint and then continues exactly as if it had never stopped.
/// </summary>
public sealed class Trainer
{
    private readonly TrainSettings _s;

    public Trainer(TrainSettings settings) => _s = settings;

    /// <summary>Starts a new run in a new run directory.</summary>
    public int Run()
    {
        var (dtype, device) = Prepare(_s);
        // Everything that can fail on bad input happens before the run directory exists.
        var folder = CifarLocator.Resolve(_s.Data);
        using var data = CifarDataset.Load(folder, _s.N, _s.NTest, dtype, device);
        using var model = Build(_s, dtype, device);
        if (_s.InitWeights is { } weights) PyTorchWeights.Load(model, weights);
        using var run = RunDirectory.Create(_s.Out ?? RunDirectory.DefaultPath(_s.Name));
        var config = new RunConfig(_s with { Out = run.Path }, data.Info, model.ParameterCount, RunConfig.CurrentGitCommit(),
            RunConfig.PackageVersions(), RunConfig.MachineDescription(), DateTime.UtcNow);
        run.WriteJson("config.json", config, SettingsResolver.Json);
        return Execute(run, model, data, device, new ProbeSuite(ProbeOptionsOf(_s)), resumeFrom: null);
    }

    /// <summary>Continues the run in <paramref name="path"/> from its last checkpoint, optionally to more steps.</summary>
    public static int Resume(string path, int? steps)
    {
        using var run = RunDirectory.Open(path);
        var settings = ReadSettings(run);
        if (steps is { } more) settings = settings with { Steps = more };
        SettingsValidator.Validate(settings);
        var checkpoint = Checkpoint.Load(run);
        if (checkpoint.Completed && settings.Steps <= checkpoint.Step)
            throw new ProbesError($"run {path} already completed step {checkpoint.Step}; pass --steps N with N > {checkpoint.Step} to extend it.");
        if (settings.Steps < checkpoint.Step)
            throw new ProbesError($"--steps {settings.Steps} is before the checkpoint at step {checkpoint.Step}.");
        var trainer = new Trainer(settings);
        var (dtype, device) = Prepare(settings);
        var folder = CifarLocator.Resolve(settings.Data);
        using var data = CifarDataset.Load(folder, settings.N, settings.NTest, dtype, device);
        using var model = Build(settings, dtype, device);
        var suite = new ProbeSuite(ProbeOptionsOf(settings));
        try { checkpoint.Restore(run, model, suite, device); }       // θ and the state read back before any trace is cut
        catch { suite.Dispose(); throw; }
        checkpoint.TruncateTraces(run);
        RecordResume(run, checkpoint.Step, settings.Steps);
        return trainer.Execute(run, model, data, device, suite, checkpoint);
    }

    /// <summary>
    /// config.json keeps the truth: its steps become the resumed run's target, and each resume is appended to
    /// its "resumes" list (from which step, to how many, when), so a report never contradicts the run.
    /// </summary>
    private static void RecordResume(RunDirectory run, int fromStep, int steps)
    {
        var path = run.File("config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config["settings"]!["steps"] = steps;
        var resumes = config["resumes"] as JsonArray ?? [];
        resumes.Add(new JsonObject { ["from-step"] = fromStep, ["steps"] = steps, ["utc"] = DateTime.UtcNow.ToString("O") });
        config["resumes"] = resumes;
        RunDirectory.WriteAtomically(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream,
            new JsonWriterOptions { Indented = true }); config.WriteTo(w);
        });
    }

    internal static TrainSettings ReadSettings(RunDirectory run) => ReadSettings(run.File("config.json"));

    internal static TrainSettings ReadSettings(string configPath)
    {
        var path = configPath;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path))?["settings"]
                ?? throw new ProbesError($"{path} has no \"settings\" object.");
            return node.Deserialize<TrainSettings>(SettingsResolver.Json)!;
        }
        catch (JsonException e) { throw new ProbesError($"{path} is unreadable: {e.Message.Split(". ")[0]}."); }
    }

    internal static (ScalarType, Device) Prepare(TrainSettings s)
    {
        if (s.Threads is { } threads) set_num_threads(threads);
        return (s.Dtype == "float64" ? ScalarType.Float64 : ScalarType.Float32, ResolveDevice(s.Device));
    }

    /// <summary>The probe suite's settings from a run's: the one place they are mapped, for training, bench and fit.</summary>
    internal static ProbeOptions ProbeOptionsOf(TrainSettings s) => new()
    {
        LearningRate = s.Lr, Kinds = ProbeOptions.ParseKinds(s.Probes), K = s.ProbeK, Tolerance = s.ProbeTol,
        MaxIterations = s.ProbeMaxIter, Deflation = s.ProbeDeflate, QEvery = s.ProbeQEvery, SpectrumSize = s.SpectraM, Seed = s.Seed,
        DensityVectors = s.SpectraDensity, DensitySteps = s.SpectraDensitySteps,
    };

    internal static Mlp Build(TrainSettings s, ScalarType dtype, Device device) =>
        new(CifarRecords.PixelsPerImage, Enumerable.Repeat(s.Width, s.Depth).ToList(), s.Outputs,
            ActivationFunctions.Parse(s.Activation), s.Seed, dtype, device);

    /// <param name="suite">The probe suite, already restored when resuming; Execute owns and disposes it.</param>
    private int Execute(RunDirectory run, Mlp model, CifarDataset data, Device device, ProbeSuite suite, Checkpoint? resumeFrom)
    {
        using var owned = suite;
        using var log = RunLogger.Create(run.File("log.clef"), run.File("log.txt"), ProgressDisplay.Interactive);
        int start = 0;
        double seconds = 0;
        if (resumeFrom is not null)
        {
            (start, seconds) = (resumeFrom.Step, resumeFrom.Seconds);
            log.Information("Resumed {RunDirectory} from the checkpoint at step {Step}", run.Path, start);
        }
        else
        {
            log.Information("Run {RunDirectory}: n={N} P={Parameters} lr={Lr} steps={Steps} {Dtype} on {Device}, {Threads} threads, "
                + "data {DataFolder}",
                run.Path, _s.N, model.ParameterCount, _s.Lr, _s.Steps, _s.Dtype, device.ToString(), get_num_threads(), data.Info.Folder);
        }
        using var stop = new StopSignal();
        Outcome outcome;
        try { outcome = ProgressDisplay.Run(_s.Steps, progress => new Loop(_s, model, data, run, log, suite, stop, progress).Run(start, seconds)); }
        catch (ProbesError e)
        {
            log.ForContext(RunLogger.FileOnly, true).Error("Stopped: {Message} (exit {ExitCode})", e.Message, e.ExitCode);
            try { RunSummary.Write(run, "failed", _s.Steps, null, e.Message); } catch (ProbesError) { }   // a full disk may refuse this too
            throw;
        }
        log.Information("Finished: {Outcome} at step {Step}, loss {Loss:G6}, accuracy {Accuracy:P2}, {Seconds:F1} s, peak resident memory "
            + "{PeakBytes} bytes",
            outcome.Reason, outcome.LastStep, outcome.Last?.Loss, outcome.Last?.Accuracy, outcome.Last?.Seconds, PeakMemory.Bytes());
        if (outcome.ExitCode == ExitCodes.Ok) PyTorchWeights.Write(run, model);     // θ at the last step, for PyTorch
        RunSummary.Write(run, outcome.ExitCode switch
        {
            ExitCodes.Ok => "completed",
            ExitCodes.Diverged => "diverged",
            ExitCodes.Interrupted => "interrupted",
            _ => "failed",
        }, _s.Steps, outcome.Last, ended: true);
        Console.WriteLine(outcome.Summary(run.Path));
        return outcome.ExitCode;
    }

    private static Device ResolveDevice(string name)
    {
        if (name == "cpu") return CPU;
        if (!cuda.is_available())
            throw new
                ProbesError($"--device {name}: CUDA is not available (this build uses the CPU libtorch; build with -p:ProbesGpu=true on a CUDA "
                    + $"machine).");
        return new Device(name);
    }
}

/// <summary>How a run ended.</summary>
public sealed record Outcome(string Reason, int LastStep, TrainStepMetrics? Last, int ExitCode)
{
    public string Summary(string path) => ExitCode switch
    {
        ExitCodes.Interrupted => $"interrupted after step {LastStep}; resume with: probes train --resume {path}",
        ExitCodes.Diverged => $"diverged at step {LastStep}; traces, log and the last finite checkpoint are in {path}",
        _ => $"{Reason}: step {LastStep}, loss {Last?.Loss:G6}, accuracy {Last?.Accuracy:P2}, {Last?.Seconds:F1} s → {path}\n"
             + $"next: probes plot {path}   probes report {path}   probes fit {path}",
    };
}

/// <summary>The GD loop of one run, from a start step to the end, a target, divergence or a stop signal.</summary>
internal sealed class Loop(TrainSettings s, Mlp model, CifarDataset data, RunDirectory run, ILogger log,
    ProbeSuite suite, StopSignal stop, IProgress progress)
{
    public Outcome Run(int start, double secondsBefore)
    {
        var schedule = new ProbeSchedule(s.ProbeEvery, s.ProbeWindow.Select(w => SettingsValidator.ParseWindow(w, s.Steps)).ToList(), s.ProbeAbove);
        using var trainCsv = new CsvTrace(run.File("train.csv"), TrainStepMetrics.Columns);
        using var probesCsv = new CsvTrace(run.File("probes.csv"), ProbeRecord.Columns(s.ProbeK));
        using var spectraCsv = new CsvTrace(run.File("spectra.csv"), [.. SpectrumValue.Schema.Select(c => c.Name)]);
        using var densityCsv = new CsvTrace(run.File("density.csv"), [.. DensityColumns.Schema.Select(c => c.Name)]);
        CsvTrace[] traces = [trainCsv, probesCsv, spectraCsv, densityCsv];
        var warnings = new WarningThrottle(log);
        var clock = Stopwatch.StartNew();
        double Seconds() => secondsBefore + clock.Elapsed.TotalSeconds;
        if (start == 0) Checkpoint.Save(run, 0, 0, model, suite, Checkpoint.Lengths(traces), completed: false);
        for (int step = start; ; step++)
        {
            using var scope = NewDisposeScope();
            var lengthsBeforeStep = Checkpoint.Lengths(traces);
            var (loss, accuracy, gradNorm) = GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            (double Loss, double Accuracy)? test = data.TestInputs is not null && (step % s.TestEvery == 0 || step == s.Steps)
                ? GradientDescent.Evaluate(model, data.TestInputs, data.TestTargets!, data.TestLabels!) : null;
            var metrics = new TrainStepMetrics(step, loss, accuracy, test?.Loss, test?.Accuracy, gradNorm,
                GradientDescent.ParameterNorm(model), Seconds());
            CrashPoint.Maybe("step", step);

            ProbeRecord? probe = null;
            if (schedule.IsDue(step, suite.LastSharpness) || s.SpectraAt.Contains(step))
            {
                using var point = new MlpPoint(model, data.TrainInputs, data.TrainTargets, data.TrainSpan);
                CrashPoint.SignalMaybe("probe", step, () => stop.Requested);
                try
                {
                    probe = suite.Run(new CancellablePoint(point, stop.Token), step, spectra: s.SpectraAt.Contains(step));
                }
                catch (OperationCanceledException)
                {
                    // θ_step, the suite as before the probe, the traces as before this step: a resume redoes it all.
                    Checkpoint.Save(run, step, Seconds(), model, suite, lengthsBeforeStep, completed: false);
                    log.Warning("Interrupted during the probe of step {Step}; checkpoint written at step {Step}", step, step);
                    return new Outcome("interrupted", step - 1, metrics, ExitCodes.Interrupted);
                }
                CrashPoint.Maybe("probe", step);
                probesCsv.Write(probe.Values);
                foreach (var v in probe.Spectra)
                    spectraCsv.WriteFields([v.Step.ToString(), v.Operator, v.End, v.Index.ToString(), CsvTrace.Format(v.Value)]);
                foreach (var (op, density) in probe.Densities)
                    for (int i = 0; i < density.X.Length; i++)
                        densityCsv.WriteFields([step.ToString(), op, CsvTrace.Format(density.X[i]), CsvTrace.Format(density.Values[i])]);
                log.Debug("Probe {Step}: {@Probe}", step, probe.Values.ToDictionary(p => p.Key, p => p.Value));
                if (probe.Crossing) warnings.Warn("crossing",
                    "Step {Step}: the top NTK eigenvector now matches the previous second one (λ₁/λ₂ crossing)", step);
                foreach (var op in probe.Unconverged)
                    warnings.Warn("cap-" + op, "Step {Step}: the eigensolver for {Operator} hit the cap of {Cap} matvecs", step, op, s.ProbeMaxIter);
                foreach (var op in new[] { "ntk", "hess" })
                    if (probe[$"{op}_deflation_iters"] is > 0 and var cost)
                        log.Information("Step {Step}: estimated the {Operator} deflation space ({Matvecs} matvecs)", step, op, cost);
            }
            trainCsv.Write(metrics.Values());
            log.Debug("Step {Step}: {@Metrics}", step, metrics);
            if (step % s.LogEvery == 0 || step == s.Steps)
                log.Information("step {Step}/{Steps} loss {Loss:G6} acc {Accuracy:P1} test {TestAccuracy:P1} |g| {GradNorm:G4}{Sharpness}",
                    step, s.Steps, loss, accuracy, test?.Accuracy, gradNorm, suite.LastSharpness is { } sh ? $" η·λ₁ {sh:F4}" : "");
            progress.Report(step, s.Steps, Status(metrics, step - start + 1, clock, suite.LastSharpness));

            if (!metrics.IsFinite)
            {
                log.Error("Diverged at step {Step}: loss {Loss}, gradient norm {GradNorm}", step, loss, gradNorm);
                return new Outcome("diverged", step, metrics, ExitCodes.Diverged);
            }
            if (probe?.FirstNonFinite() is { } bad)
            {
                log.Error("Diverged at step {Step}: probe value {Column} is not finite", step, bad);
                return new Outcome("diverged", step, metrics, ExitCodes.Diverged);
            }
            string? reached = s.TargetLoss is { } tl && loss <= tl ? $"reached target loss {tl}"
                : s.TargetAccuracy is { } ta && accuracy >= ta ? $"reached target accuracy {ta}"
                : step == s.Steps ? "completed" : null;
            if (reached is not null)
            {
                // θ_step with the traces as before this step's rows, so that an extension redoes this step exactly.
                Checkpoint.Save(run, step, metrics.Seconds, model, suite, lengthsBeforeStep, completed: true);
                return new Outcome(reached, step, metrics, ExitCodes.Ok);
            }
            GradientDescent.Step(model, s.Lr);
            if (stop.Requested)
            {
                Checkpoint.Save(run, step + 1, Seconds(), model, suite, Checkpoint.Lengths(traces), completed: false);
                log.Warning("Interrupted after step {Step}; checkpoint written at step {Next}", step, step + 1);
                return new Outcome("interrupted", step, metrics, ExitCodes.Interrupted);
            }
            if ((step + 1) % s.CheckpointEvery == 0)
            {
                Checkpoint.Save(run, step + 1, Seconds(), model, suite, Checkpoint.Lengths(traces), completed: false);
                RunSummary.Write(run, "running", s.Steps, metrics);
            }
        }
    }

    private static string Status(TrainStepMetrics m, int done, Stopwatch clock, double? sharpness)
    {
        double rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        return $"loss {m.Loss:G5} acc {m.Accuracy:P1}{(sharpness is { } sh ? $" η·λ₁ {sh:F3}" : "")} {rate:F1} steps/s";
    }
}
