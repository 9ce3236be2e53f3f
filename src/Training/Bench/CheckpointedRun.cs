using Probes.Models;
using Probes.Probing;
using Training.Config;
using Training.Data;
using Training.Model;
using Training.Runs;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>A run restored at its last checkpoint (θ, data and probe state), for benchmarks that continue it.</summary>
internal sealed class CheckpointedRun : IDisposable
{
    private readonly RunDirectory _run;
    private readonly Optimizers.Optimizer _optimizer;        // the run's own, so a benchmark's steps are the run's steps

    public TrainSettings Settings { get; }
    public Checkpoint Checkpoint { get; }
    public string DataFolder { get; }
    public CifarDataset Data { get; }
    public Network Model { get; }
    public ProbeSuite Suite { get; }

    /// <param name="tolerance">Overrides the run's NTK/Hessian probe tolerance (to measure the cost of another).</param>
    /// <param name="qTolerance">Overrides the run's Q₁/Q_r probe tolerance.</param>
    public CheckpointedRun(string path, int threads, ProbeTolerances? tolerances = null)
    {
        set_num_threads(threads);
        _run = RunDirectory.Open(path);
        Settings = Trainer.ReadSettings(_run);
        ConfigFile.RequireSameModelFile(_run.Path, Settings);
        Checkpoint = Checkpoint.Load(_run);
        var (dtype, device) = Trainer.Prepare(Settings);
        DataFolder = CifarLocator.Resolve(Settings.Data);
        Data = CifarDataset.Load(DataFolder, Settings.N, 0, dtype, device);
        Model = Trainer.Build(Settings, dtype, device);
        Suite = new ProbeSuite(Options(tolerances ?? new(null, null, null)));
        _optimizer = Optimizers.Optimizer.For(Settings);
        Checkpoint.Restore(_run, Model, Suite, _optimizer, device);
    }

    /// <summary>The run's own tolerances.</summary>
    public ProbeTolerances Own => new(Settings.ProbeTol, Settings.ProbeHessTol, Settings.ProbeQTol);

    /// <summary>Another suite with the run's probe settings at these tolerances, holding the checkpoint's probe state.</summary>
    public ProbeSuite NewSuite(ProbeTolerances tolerances)
    {
        var suite = new ProbeSuite(Options(tolerances));
        using var stream = File.OpenRead(_run.File(Checkpoint.ProbeState));
        suite.Import(ProbeState.Read(stream), Data.TrainInputs.device);
        return suite;
    }

    private ProbeOptions Options(ProbeTolerances t) => Trainer.ProbeOptionsOf(Settings) with
    {
        Tolerance = t.Ntk ?? Settings.ProbeTol,
        HessianTolerance = t.Hessian ?? Settings.ProbeHessTol,
        QTolerance = t.Q ?? Settings.ProbeQTol,
    };

    public IDifferentiablePoint Point() => Model.Point(Data.TrainInputs, Data.TrainTargets, Data.TrainSpan, ILoss.Named[Settings.Loss]);

    /// <summary>One full-batch GD step with the run's step size.</summary>
    public void Step()
    {
        GradientDescent.Gradient(Model, Data.TrainInputs, Data.TrainTargets, Data.TrainLabels);
        _optimizer.Step(Model);
    }

    public void Dispose()
    {
        Suite.Dispose();
        Model.Dispose();
        Data.Dispose();
        _run.Dispose();
    }
}
