using Probes.Models;
using Probes.Eigensolvers;
using Probes.Operators;
using Probes.Probing;
using Training.Data;
using Training.Model;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// What a warm-started top-2 NTK solve costs in an EOS window and what limits it: from a run's last
/// checkpoint, at consecutive GD steps, a tight cold reference (top 6), then warm starts from the reference
/// vectors of t − 1, t − 2, both, the t − 1 and t − 2 top-4, the t − 2 top-6, and the extrapolated
/// 2·v(t−2) − v(t−4), each stopped after 2…24 matvecs and scored by its
/// residual and its errors against the reference. Also the float32 matvec's error against float64 at the same θ.
/// </summary>
internal static class NtkWarmStartStudy
{
    public static int Run(string runPath, int threads, int steps)
    {
        using var run = new CheckpointedRun(runPath, threads);
        var checkpoint = run.Checkpoint;
        MatvecPrecision(run);
        var history = new List<Tensor[]>();      // reference vectors of the steps before, newest first
        Console.WriteLine("step  λ₁        λ₂        λ₃        λ₄        λ₆");
        Console.WriteLine("      start      matvecs  max resid  |Δλ₁|/λ₁  |Δλ₂|/λ₂  1−|⟨v₁,v₁*⟩|  1−|⟨v₂,v₂*⟩|");
        for (int t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            using (var point = run.Point())
            {
                var op = ModelOperators.Ntk(point);
                using var reference = LanczosSolver.Solve(op, new LanczosOptions { Count = 6, BlockSize = 6, Tolerance = 1e-7, MaxIterations = 400 });
                var r = reference.Top;
                Console.WriteLine($"{checkpoint.Step + t,5} {r[0].Value,9:F4} {r[1].Value,9:F4} {r[2].Value,9:F4} {r[3].Value,9:F4} "
                    + $"{r[5].Value,9:F4}   (cold top-6: {reference.Iterations} matvecs, resid {reference.MaxResidual:E1})");
                var starts = new List<(string Name, Tensor[] Vectors)>();
                if (history.Count > 0) starts.Add(("t−1", history[0][..2]));
                if (history.Count > 1) starts.Add(("t−2", history[1][..2]));
                if (history.Count > 1) starts.Add(("t−1,t−2", [.. history[0][..2], .. history[1][..2]]));
                if (history.Count > 0) starts.Add(("t−1 top-4", history[0][..4]));
                if (history.Count > 1) starts.Add(("t−2 top-4", history[1][..4]));
                if (history.Count > 1) starts.Add(("t−2 top-6", history[1][..6]));
                if (history.Count > 3) starts.Add(("2(t−2)−(t−4)", WarmStarts.Extrapolate(history[1][..2], history[3][..2])));
                foreach (var (name, vectors) in starts)
                    foreach (int cap in new[] { 2, 4, 6, 8, 12, 16, 24 })
                    {
                        if (cap < vectors.Length) continue;
                        using var warm = LanczosSolver.Solve(ModelOperators.Ntk(point), new LanczosOptions
                        {
                            Count = 2, Tolerance = 1e-12,
                            MaxIterations = cap, WarmStart = vectors
                        });
                        double E(int i) => Math.Abs(warm.Top[i].Value - r[i].Value) / r[i].Value;
                        double V(int i) => 1 - Math.Abs(warm.Top[i].Vector.dot(r[i].Vector).item<double>());
                        Console.WriteLine($"      {name,-10} {warm.Iterations,3}  {warm.MaxResidual,9:E1}  {E(0),9:E1} {E(1),9:E1} {V(0),12:E1} "
                            + $"{V(1),12:E1}");
                    }
                // What each tolerance costs from the best start, and what it buys against the reference.
                var best = history.Count > 3 ? ("2(t−2)−(t−4)", WarmStarts.Extrapolate(history[1][..2],
                    history[3][..2])) : history.Count > 1 ? ("t−2", history[1][..2]) : default;
                if (best.Item2 is { } bestStart)
                    foreach (double tol in new[] { 1e-4, 1e-5, 1e-6 })
                    {
                        using var warm = LanczosSolver.Solve(ModelOperators.Ntk(point), new LanczosOptions
                        {
                            Count = 2, Tolerance = tol,
                            MaxIterations = 300, WarmStart = bestStart
                        });
                        double E(int i) => Math.Abs(warm.Top[i].Value - r[i].Value) / r[i].Value;
                        double V(int i) => 1 - Math.Abs(warm.Top[i].Vector.dot(r[i].Vector).item<double>());
                        // z₁ = v₁·z with v₁'s sign taken from the reference: what the tolerance does to the traced z₁.
                        var v1 = warm.Top[0].Vector;
                        if (v1.dot(r[0].Vector).item<double>() < 0) v1 = -v1;
                        double z1 = r[0].Vector.dot(point.Residual).item<double>(), dz1 = Math.Abs(v1.dot(point.Residual).item<double>() - z1);
                        Console.WriteLine($"      {best.Item1 + " to " + tol.ToString("0e0"),-18} {warm.Iterations,3}  {warm.MaxResidual,9:E1}  "
                            + $"{E(0),9:E1} {E(1),9:E1} {V(0),12:E1} {V(1),12:E1}   z₁ {z1:F4}, |Δz₁| {dz1:E1}");
                    }
                history.Insert(0, r.Select(p => p.Vector.clone().DetachFromDisposeScope()).ToArray());
                if (history.Count > 4) { foreach (var v in history[^1]) v.Dispose(); history.RemoveAt(4); }
            }
            run.Step();
        }
        return 0;
    }

    /// <summary>Relative error of the float32 K·u against float64 at the same θ: the floor under any tolerance.</summary>
    private static void MatvecPrecision(CheckpointedRun run)
    {
        var (model, data, settings) = (run.Model, run.Data, run.Settings);
        if (model.parameters().First().dtype != float32) return;
        using var scope = NewDisposeScope();
        var device = data.TrainInputs.device;
        using var data64 = CifarDataset.Load(run.DataFolder, settings.N, 0, float64, device);
        using var model64 = Trainer.Build(settings, float64, device);
        using (no_grad())
            foreach (var (a, b) in model64.parameters().Zip(model.parameters())) a.copy_(b);
        using var p32 = model.Point(data.TrainInputs, data.TrainTargets, null, SquaredLoss.Instance);
        using var p64 = model64.Point(data64.TrainInputs, data64.TrainTargets, null, SquaredLoss.Instance);
        var u = randn([p32.OutputSize], float64, generator: new Generator(3));
        var exact = p64.Ntk(u);
        double err = (p32.Ntk(u) - exact).norm().item<double>() / exact.norm().item<double>();
        Console.WriteLine($"float32 K·u vs float64 at the same θ: relative error {err:E2} (random u)");
    }
}
