using System.Diagnostics;
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
/// writing the run directory as it goes. Every row is at θ_t before step t's update; the last row (t =
/// steps) has no update after it. Probes read a snapshot of θ and never change the trajectory.
/// </summary>
public sealed class Trainer
{
    private readonly TrainSettings _s;

    public Trainer(TrainSettings settings) => _s = settings;

    public int Run()
    {
        var dtype = _s.Dtype == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        var device = ResolveDevice(_s.Device);
        if (_s.Threads is { } threads) set_num_threads(threads);

        // Everything that can fail on bad input happens before the run directory exists.
        var folder = CifarLocator.Resolve(_s.Data);
        using var data = CifarDataset.Load(folder, _s.N, _s.NTest, dtype, device);
        var outPath = _s.Out ?? RunDirectory.DefaultPath(_s.Name);
        using var run = RunDirectory.Create(outPath);
        using var log = RunLogger.Create(run.File("log.clef"), run.File("log.txt"), ProgressDisplay.Interactive);

        var hidden = Enumerable.Repeat(_s.Width, _s.Depth).ToList();
        using var model = new Mlp(CifarRecords.PixelsPerImage, hidden, _s.Outputs, ActivationFunctions.Parse(_s.Activation), _s.Seed, dtype, device);
        var config = new RunConfig(_s with { Out = run.Path }, data.Info, model.ParameterCount, RunConfig.CurrentGitCommit(),
            RunConfig.PackageVersions(), RunConfig.MachineDescription(), DateTime.UtcNow);
        run.WriteJson("config.json", config, SettingsResolver.Json);
        log.Information("Run {RunDirectory}: n={N} P={Parameters} lr={Lr} steps={Steps} {Dtype} on {Device}, {Threads} threads, data {DataFolder}",
            run.Path, _s.N, model.ParameterCount, _s.Lr, _s.Steps, _s.Dtype, device.ToString(), get_num_threads(), folder);

        using var stop = new StopSignal();
        var outcome = ProgressDisplay.Run(_s.Steps, progress => Loop(model, data, run, log, stop, progress));
        SaveModel(model, run, outcome.LastStep);
        log.Information("Finished: {Outcome} at step {Step}, loss {Loss:G6}, accuracy {Accuracy:P2}, {Seconds:F1} s",
            outcome.Reason, outcome.LastStep, outcome.Last?.Loss, outcome.Last?.Accuracy, outcome.Last?.Seconds);
        Console.WriteLine(outcome.Summary(run.Path));
        return outcome.ExitCode;
    }

    private Outcome Loop(Mlp model, CifarDataset data, RunDirectory run, ILogger log, StopSignal stop, IProgress progress)
    {
        var schedule = new ProbeSchedule(_s.ProbeEvery,
            _s.ProbeWindow.Select(w => SettingsValidator.ParseWindow(w, _s.Steps)).ToList(), _s.ProbeAbove);
        var probeKinds = ProbeOptions.ParseKinds(_s.Probes);
        using var suite = new ProbeSuite(new ProbeOptions
        {
            LearningRate = _s.Lr, Kinds = probeKinds, K = _s.ProbeK, Tolerance = _s.ProbeTol,
            MaxIterations = _s.ProbeMaxIter, SpectrumSize = _s.SpectraM, Seed = _s.Seed,
        });
        using var trainCsv = new CsvTrace(run.File("train.csv"), TrainStepMetrics.Columns);
        using var probesCsv = schedule.IsEmpty ? null : new CsvTrace(run.File("probes.csv"), ProbeRecord.Columns(_s.ProbeK));
        using var spectraCsv = _s.SpectraAt.Count == 0 ? null : new CsvTrace(run.File("spectra.csv"), ["step", "operator", "end", "index", "value"]);
        var clock = Stopwatch.StartNew();
        TrainStepMetrics? last = null;
        for (int step = 0; ; step++)
        {
            using var scope = NewDisposeScope();
            var (loss, accuracy, gradNorm) = GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            (double Loss, double Accuracy)? test = data.TestInputs is not null && (step % _s.TestEvery == 0 || step == _s.Steps)
                ? GradientDescent.Evaluate(model, data.TestInputs, data.TestTargets!, data.TestLabels!) : null;
            last = new TrainStepMetrics(step, loss, accuracy, test?.Loss, test?.Accuracy, gradNorm,
                GradientDescent.ParameterNorm(model), clock.Elapsed.TotalSeconds);

            ProbeRecord? probe = null;
            if (schedule.IsDue(step, suite.LastSharpness) || _s.SpectraAt.Contains(step))
            {
                using var point = new MlpPoint(model, data.TrainInputs, data.TrainTargets);
                probe = suite.Run(point, step, spectra: _s.SpectraAt.Contains(step));
                probesCsv?.Write(probe.Values);
                foreach (var v in probe.Spectra)
                    spectraCsv?.WriteFields([v.Step.ToString(), v.Operator, v.End, v.Index.ToString(), CsvTrace.Format(v.Value)]);
                log.Debug("Probe {Step}: {@Probe}", step, probe.Values.ToDictionary(p => p.Key, p => p.Value));
                if (probe.Crossing) log.Warning("Step {Step}: the top NTK eigenvector now matches the previous second one (λ₁/λ₂ crossing)", step);
                foreach (var op in probe.Unconverged)
                    log.Warning("Step {Step}: Lanczos for {Operator} hit the cap of {Cap} iterations", step, op, _s.ProbeMaxIter);
            }
            trainCsv.Write(last.Values());
            log.Debug("Step {Step}: {@Metrics}", step, last);
            if (step % _s.LogEvery == 0 || step == _s.Steps)
                log.Information("step {Step}/{Steps} loss {Loss:G6} acc {Accuracy:P1} test {TestAccuracy:P1} |g| {GradNorm:G4}{Sharpness}",
                    step, _s.Steps, loss, accuracy, test?.Accuracy, gradNorm, suite.LastSharpness is { } sh ? $" η·λ₁ {sh:F4}" : "");
            progress.Report(step, _s.Steps, Status(last, clock, suite.LastSharpness));

            if (!last.IsFinite)
            {
                log.Error("Diverged at step {Step}: loss {Loss}, gradient norm {GradNorm}", step, loss, gradNorm);
                return new Outcome("diverged", step, last, ExitCodes.Diverged);
            }
            if (probe?.FirstNonFinite() is { } bad)
            {
                log.Error("Diverged at step {Step}: probe value {Column} is not finite", step, bad);
                return new Outcome("diverged", step, last, ExitCodes.Diverged);
            }
            if (_s.TargetLoss is { } targetLoss && loss <= targetLoss)
                return new Outcome($"reached target loss {targetLoss}", step, last, ExitCodes.Ok);
            if (_s.TargetAccuracy is { } targetAccuracy && accuracy >= targetAccuracy)
                return new Outcome($"reached target accuracy {targetAccuracy}", step, last, ExitCodes.Ok);
            if (step == _s.Steps) return new Outcome("completed", step, last, ExitCodes.Ok);
            if (stop.Requested)
            {
                log.Warning("Interrupted at step {Step}", step);
                return new Outcome("interrupted", step, last, ExitCodes.Interrupted);
            }
            GradientDescent.Step(model, _s.Lr);
            if ((step + 1) % _s.CheckpointEvery == 0) SaveModel(model, run, step + 1);
        }
    }

    private static string Status(TrainStepMetrics m, Stopwatch clock, double? sharpness)
    {
        double rate = (m.Step + 1) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        return $"loss {m.Loss:G5} acc {m.Accuracy:P1}{(sharpness is { } s ? $" η·λ₁ {s:F3}" : "")} {rate:F1} steps/s";
    }

    /// <summary>The parameters at θ_step, written atomically with a small JSON header.</summary>
    private static void SaveModel(Mlp model, RunDirectory run, int step)
    {
        var temporary = run.File("model.pt.tmp");
        model.save(temporary);
        File.Move(temporary, run.File("model.pt"), overwrite: true);
        run.WriteJson("checkpoint.json", new { step, file = "model.pt" }, SettingsResolver.Json);
    }

    private static Device ResolveDevice(string name)
    {
        if (name == "cpu") return CPU;
        if (!cuda.is_available())
            throw new ProbesError($"--device {name}: CUDA is not available (this build uses the CPU libtorch; build with -p:ProbesGpu=true on a CUDA machine).");
        return new Device(name);
    }

    private sealed record Outcome(string Reason, int LastStep, TrainStepMetrics? Last, int ExitCode)
    {
        public string Summary(string path) => ExitCode switch
        {
            ExitCodes.Interrupted => $"interrupted at step {LastStep}; traces and the checkpoint are in {path}",
            _ => $"{Reason}: step {LastStep}, loss {Last?.Loss:G6}, accuracy {Last?.Accuracy:P2}, {Last?.Seconds:F1} s → {path}",
        };
    }
}
