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
internal sealed class Trainer
{
    private readonly TrainSettings _s;

    public Trainer(TrainSettings settings) => _s = settings;

    /// <summary>Starts a new run in a new run directory.</summary>
    public int Run()
    {
        var (dtype, device) = Prepare(_s);
        // Everything that can fail on bad input happens before the run directory exists.
        SettingsValidator.RequireRunnable(_s);
        var folder = CifarLocator.Resolve(_s.Data);
        using var data = CifarDataset.Load(folder, _s.N, _s.NTest, dtype, device);
        using var model = Initial(_s, dtype, device, recorded: null);
        using var run = RunDirectory.Create(_s.Out ?? RunDirectory.DefaultPath(_s.Name));
        // The thread count as resolved, not null: it changes the bits of a run (libtorch's reductions split by thread), so a
        // resume and a reader must know it.
        var config = new RunConfig(_s with { Out = run.Path, Threads = _s.Threads ?? get_num_threads() }, data.Info, model.ParameterCount,
            RunConfig.CurrentGitCommit(), RunConfig.PackageVersions(), RunConfig.MachineDescription(), DateTime.UtcNow,
            _s.InitWeights is { } weights ? FileDigest.Of(weights) : null, _s.Model is { } module ? FileDigest.Of(module) : null);
        run.WriteJson(ConfigFile.Name, config, SettingsResolver.Json);
        return Execute(run, model, data, device, new ProbeSuite(ProbeOptionsOf(_s)), Optimizers.Optimizer.For(_s), resumeFrom: null);
    }

    /// <summary>Continues the run in <paramref name="path"/> from its last checkpoint, optionally to more steps.</summary>
    public static int Resume(string path, int? steps)
    {
        using var run = RunDirectory.Open(path);
        var settings = ReadSettings(run);
        if (steps is { } more) settings = settings with { Steps = more };
        SettingsValidator.Validate(settings);
        SettingsValidator.RequireRunnable(settings);
        ConfigFile.RequireSameModelFile(run.Path, settings);
        var checkpoint = Checkpoint.Load(run);
        if (checkpoint.Completed && settings.Steps <= checkpoint.Step && !PyTorchWeights.Written(run))
            return new Trainer(settings).FinishWrites(run, checkpoint);
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
        var optimizer = Optimizers.Optimizer.For(settings);
        try { checkpoint.Restore(run, model, suite, optimizer, device); }       // θ and the states read back before any trace is cut
        catch { suite.Dispose(); throw; }
        checkpoint.TruncateTraces(run);
        ConfigFile.RecordResume(run.Path, checkpoint.Step, settings.Steps);
        return trainer.Execute(run, model, data, device, suite, optimizer, checkpoint);
    }

    /// <summary>A run whose steps all ran but whose last files were not written (a full disk): θ from the final checkpoint.</summary>
    private int FinishWrites(RunDirectory run, Checkpoint checkpoint)
    {
        var (dtype, device) = Prepare(_s);
        using var model = Build(_s, dtype, device);
        checkpoint.RestoreModel(run, model);
        using var log = RunLogger.Create(run.File("log.clef"), run.File("log.txt"), interactive: false);
        WriteFinalWeights(run, model, log);
        var last = RunSummary.LastMetrics(run);
        RunSummary.Write(run, "completed", _s.Steps, last, ended: true);
        log.Information("Wrote the weights files of the completed run at step {Step}", checkpoint.Step);
        Console.WriteLine($"completed: step {checkpoint.Step}; wrote the weights files → {run.Path}");
        return ExitCodes.Ok;
    }

    internal static TrainSettings ReadSettings(RunDirectory run) => ConfigFile.Settings(run.Path);

    internal static (ScalarType, Device) Prepare(TrainSettings s)
    {
        if (s.Threads is { } threads) set_num_threads(threads);
        return (s.Dtype == "float64" ? ScalarType.Float64 : ScalarType.Float32, ResolveDevice(s.Device));
    }

    /// <summary>The probe suite's settings from a run's: the one place they are mapped, for training, bench and fit.</summary>
    internal static ProbeOptions ProbeOptionsOf(TrainSettings s)
    {
        var optimizer = Optimizers.Optimizer.For(s);
        return new()
        {
            LearningRate = s.Lr, Threshold = optimizer.Threshold, GradientDescent = optimizer.IsGradientDescent,
            ResidualLoss = s.Loss == "mse",
            Kinds = ProbeOptions.ParseKinds(s.Probes), K = s.ProbeK, Tolerance = s.ProbeTol, HessianTolerance = s.ProbeHessTol,
            QTolerance = s.ProbeQTol, MaxIterations = s.ProbeMaxIter, Deflation = s.ProbeDeflate, QEvery = s.ProbeQEvery,
            HessianEvery = s.ProbeHessEvery, SpectrumSize = s.SpectraM, Seed = s.Seed,
            DensityVectors = s.SpectraDensity, DensitySteps = s.SpectraDensitySteps,
        };
    }

    /// <summary>
    /// θ₀ of a run: the seeded init, or the --init-weights file. A replay (fit --taylor-at) passes the digest config.json
    /// recorded, so a file changed since the run started is refused instead of replaying another run.
    /// </summary>
    internal static Network Initial(TrainSettings s, ScalarType dtype, Device device, FileDigest? recorded)
    {
        var model = Build(s, dtype, device);
        if (s.InitWeights is not { } weights) return model;
        try
        {
            if (recorded is not null && (File.Exists(weights) ? FileDigest.Of(weights) : null) != recorded)
                throw new ProbesError($"the run started from --init-weights {weights}, which is {(File.Exists(weights) ? "changed" : "gone")} "
                    + "since (its SHA-256 differs from config.json's): θ₀ cannot be rebuilt.");
            PyTorchWeights.Load(model, weights);
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    internal static Network Build(TrainSettings s, ScalarType dtype, Device device) => Architecture.Build(s, dtype, device);

    /// <param name="suite">The probe suite, already restored when resuming; Execute owns and disposes it.</param>
    private int Execute(RunDirectory run, Network model, CifarDataset data, Device device, ProbeSuite suite, Optimizers.Optimizer optimizer,
        Checkpoint? resumeFrom)
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
            log.Information("Run {RunDirectory}: n={N} P={Parameters} lr={Lr} steps={Steps} {Dtype} on {Device}, threads={Threads}, "
                + "data {DataFolder}",
                run.Path, _s.N, model.ParameterCount, _s.Lr, _s.Steps, _s.Dtype, device.ToString(), get_num_threads(), data.Info.Folder);
        }
        // A terminal sees the run's directory and what it will do before the first (slowest) probe, not only at the end.
        if (ProgressDisplay.Interactive) Console.WriteLine(Header(run.Path, model.ParameterCount, start));
        using var stop = new StopSignal();
        Outcome outcome;
        try
        {
            outcome = ProgressDisplay.Run(_s.Steps, progress =>
            {
                stop.Acknowledge = progress.Notice;
                try
                {
                    using var loop = new TrainingLoop(_s, model, data, run, log, suite, optimizer, stop, progress);
                    return loop.Run(start, seconds);
                }
                finally { stop.Acknowledge = Console.Error.WriteLine; }
            });
        }
        catch (ProbesError e)
        {
            log.ForContext(RunLogger.FileOnly, true).Error("Stopped: {Message} (exit {ExitCode})", e.Message, e.ExitCode);
            try { RunSummary.Write(run, "failed", _s.Steps, null, e.Message); } catch (ProbesError) { }   // a full disk may refuse this too
            throw;
        }
        if (outcome.ExitCode == ExitCodes.Ok) WriteFinalWeights(run, model, log);     // θ at the last step, for PyTorch
        log.Information("Finished: {Outcome}; {LastStep:l}, loss {Loss:G6}, accuracy {Accuracy:P2}, {Seconds:F1} s, peak resident memory {Peak:l}",
            outcome.Reason, outcome.LastStep >= 0 ? $"last recorded step {outcome.LastStep}" : "no step recorded", outcome.Last?.Loss,
            outcome.Last?.Accuracy, outcome.Last?.Seconds, PeakMemory.Text());
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

    /// <summary>The run in two lines: where it writes, its size and step size, and when it probes.</summary>
    private string Header(string path, long parameters, int start)
    {
        var when = new List<string>();
        if (_s.ProbeEvery > 0) when.Add($"every {_s.ProbeEvery} steps");
        if (_s.ProbeWindow.Count > 0) when.Add($"every step in {string.Join(", ", _s.ProbeWindow)}");
        bool paper = _s.Optimizer == "gd" && _s.Loss == "mse";
        if (_s.ProbeAbove is { } above) when.Add(paper ? $"every step while η·λ₁ > {above}" : $"every step while edge > {above / 2}");
        string probes = _s.Probes.Count == 0 || when.Count == 0 ? "no probes"
            : $"probes ({string.Join(", ", _s.Probes)}) {string.Join(" and ", when)}";
        return $"probes train → {path}{(start > 0 ? $" (resuming at step {start})" : "")}\n"
            + $"  n = {_s.N}, P = {parameters:N0}, {(_s.Optimizer == "gd" ? "GD" : _s.Optimizer)} with η = {_s.Lr} on {_s.Loss}, "
            + $"{_s.Steps:N0} steps, {_s.Dtype}, "
            + $"{get_num_threads()} thread{(get_num_threads() == 1 ? "" : "s")}; {probes}; "
            + "Ctrl-C stops with a checkpoint";
    }

    /// <summary>
    /// weights.safetensors and weights.pt of a finished run. If they cannot be written (a full disk), the run is "failed" with
    /// that line, and a resume with no more steps writes them from the final checkpoint.
    /// </summary>
    private void WriteFinalWeights(RunDirectory run, Network model, Serilog.ILogger log)
    {
        try { PyTorchWeights.Write(run, model); }
        catch (ProbesError e)
        {
            var message = $"{e.Message} Every step is done: probes train --resume {run.Path} writes the weights files.";
            log.ForContext(RunLogger.FileOnly, true).Error("Stopped: {Message}", message);
            try { RunSummary.Write(run, "failed", _s.Steps, null, message); } catch (ProbesError) { }
            throw new ProbesError(message, e.ExitCode);
        }
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

