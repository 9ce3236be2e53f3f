using Probes.Models;
using Training.Model;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// A float64 copy of a run's network and training data at the same θ (the float32 values cast exactly), for
/// references that float32 products cannot reach: a float32 matvec carries ~1e-7 relative noise, so no
/// eigensolver on it converges to 1e-8.
/// </summary>
internal sealed class Float64Twin : IDisposable
{
    private readonly CheckpointedRun _run;
    private readonly Network _model;
    private readonly Tensor _inputs, _targets;
    private readonly InputSpan? _span;

    public Float64Twin(CheckpointedRun run)
    {
        _run = run;
        var device = run.Data.TrainInputs.device;
        _model = Training.Train.Trainer.Build(run.Settings, float64, device);
        _inputs = run.Data.TrainInputs.to(float64);
        _targets = run.Data.TrainTargets.to(float64);
        _span = InputSpan.Of(_inputs);
        Sync();
    }

    /// <summary>Copies θ from the run's network (after each of its steps).</summary>
    public void Sync()
    {
        using var _ = no_grad();
        foreach (var (a, b) in _model.parameters().Zip(_run.Model.parameters())) a.copy_(b);
    }

    public IDifferentiablePoint Point() => _model.Point(_inputs, _targets, _span, ILoss.Named[_run.Settings.Loss]);

    public void Dispose()
    {
        _model.Dispose();
        _inputs.Dispose();
        _targets.Dispose();
        _span?.Dispose();
    }
}
