using Probes.Models;
using Probes.Probing;
using QuadraticFit.Models;
using Training.Config;
using Training.Data;
using Training.Model;
using Training.Runs;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Fit;

/// <summary>One step of the network against its Taylor model, both from θ at the chosen step.</summary>
internal sealed record TaylorRow(int Step, double NetLoss, double TaylorLoss, double NetSharpness, double TaylorSharpness, double NetZ1,
    double TaylorZ1);

/// <summary>The comparison and where the two part.</summary>
internal sealed record TaylorResult(int From, int Steps, int? PartStep, string PartRule, IReadOnlyList<TaylorRow> Rows);

/// <summary>
/// Rebuilds the network at step t₀ by replaying the run's GD from θ₀ (its seed or its --init-weights; training is deterministic, so
/// this is θ_t₀ bit for bit), then runs GD on the network and on its exact second-order Taylor model at θ_t₀
/// side by side with the run's η, probing the NTK of both each step. They "part" at the first step where
/// the losses differ by more than 5% or η·λ₁ by more than 0.05.
/// </summary>
internal static class TaylorComparison
{
    /// <summary>The longest comparison: each step probes the NTK of the network and of the model (~10,000 steps is hours).</summary>
    public const int MaxSteps = 100_000;

    public static TaylorResult Run(string runPath, int from, int steps, Action<string>? progress = null)
    {
        var settings = ConfigFile.Settings(runPath);
        if (from < 0 || from > settings.Steps) throw new ProbesError($"--taylor-at {from} is outside the run's steps 0..{settings.Steps}.");
        if (steps is <= 0 or > MaxSteps)
            throw new ProbesError($"--taylor-steps must be in 1..{MaxSteps} (each step probes two NTKs), got {steps}.");
        if (settings.Optimizer != "gd" || settings.Loss != "mse")
            throw new ProbesError("--taylor-at compares GD on the squared loss on the network and on its Taylor model; this run used "
                + $"{settings.Optimizer} on {settings.Loss}.");
        var (dtype, device) = Trainer.Prepare(settings);
        using var data = CifarDataset.Load(CifarLocator.Resolve(settings.Data), settings.N, 0, dtype, device);
        ConfigFile.RequireSameModelFile(runPath, settings);
        using var model = Trainer.Initial(settings, dtype, device, ConfigFile.InitWeights(runPath));
        for (int t = 0; t < from; t++)
        {
            GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            GradientDescent.Step(model, settings.Lr);
            if (t % 100 == 0) progress?.Invoke($"replaying step {t}/{from}");
        }
        var options = Trainer.ProbeOptionsOf(settings) with { Kinds = ProbeKinds.Ntk };
        using var netProbes = new ProbeSuite(options);
        using var taylorProbes = new ProbeSuite(options);
        using var basePoint = model.Point(data.TrainInputs, data.TrainTargets, null, SquaredLoss.Instance);
        using var taylor = new TaylorModel(basePoint);
        var rows = new List<TaylorRow>();
        int? part = null;
        for (int k = 0; k <= steps; k++)
        {
            using var scope = NewDisposeScope();
            using var netPoint = model.Point(data.TrainInputs, data.TrainTargets, null, SquaredLoss.Instance);
            using var taylorPoint = taylor.At();
            var net = netProbes.Run(netPoint, from + k);
            var quad = taylorProbes.Run(taylorPoint, from + k);
            var row = new TaylorRow(from + k, Loss(netPoint), Loss(taylorPoint), net[ProbeColumns.EtaNtk1], quad[ProbeColumns.EtaNtk1],
                net[ProbeColumns.Z1], quad[ProbeColumns.Z1]);
            rows.Add(row);
            if (part is null && (Math.Abs(row.NetLoss - row.TaylorLoss) > 0.05 * Math.Abs(row.NetLoss) || Math.Abs(row.NetSharpness -
                row.TaylorSharpness) > 0.05))
                part = row.Step;
            progress?.Invoke($"Taylor model step {k}/{steps}");
            if (k == steps) break;
            GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            GradientDescent.Step(model, settings.Lr);
            taylor.Step(settings.Lr);
        }
        return new TaylorResult(from, steps, part, "|Δloss| > 5% of the network's loss or |Δ η·λ₁| > 0.05", rows);
    }

    private static double Loss(IDifferentiablePoint p) => SquaredLoss.At(p);
}
