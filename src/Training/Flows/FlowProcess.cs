using Probes.Eigensolvers;
using Probes.Operators;
using Training.Model;
using static TorchSharp.torch;

namespace Training.Flows;

/// <summary>
/// One of the three processes of <c>probes flow</c> (GD, the central flow, the stable flow): its own copy of the network and
/// the warm start of its top Hessian eigenvectors, which move little from one evaluation to the next (a substep, or a step).
/// </summary>
internal sealed class FlowProcess(string name, Mlp model, FlowOptions options, long seed) : IDisposable
{
    private Tensor[] _warm = [];

    public string Name => name;
    public Mlp Model => model;

    /// <summary>The last eigenvectors, for the flow's checkpoint (float64, the point's coordinates).</summary>
    public IReadOnlyList<Tensor> Warm => _warm;

    /// <summary>The top-k Hessian eigenpairs at <paramref name="point"/> (largest first), warm-started from the last ones.</summary>
    public (double Value, Tensor Vector)[] Top(MlpPoint point)
    {
        using var result = LanczosSolver.Solve(ModelOperators.LossHessian(point), new LanczosOptions
        {
            Count = options.K,
            Tolerance = options.Tolerance,
            MaxIterations = options.MaxIterations,
            BlockSize = options.K,
            Seed = seed,
            WarmStart = _warm.Length == options.K && _warm.All(v => v.numel() == point.ParameterSize) ? _warm : null,
        });
        if (!result.Converged)
            throw new ProbesError($"the {name} Hessian solve did not converge in {options.MaxIterations} matvecs (residual "
                + $"{result.MaxResidual:G3}); raise --max-iter or loosen --tol.");
        var top = result.Top.Select(p => (p.Value, p.Vector.detach().clone().DetachFromDisposeScope())).ToArray();
        Replace([.. top.Select(p => p.Item2)]);
        Matvecs += result.Iterations;
        return top;
    }

    /// <summary>Hessian products spent on this process's eigenvalues so far.</summary>
    public long Matvecs { get; set; }

    /// <summary>θ flattened in parameter order, float64.</summary>
    public Tensor Theta() => cat([.. model.parameters().Select(p => p.detach().flatten().to(float64))]);

    /// <summary>Puts θ and the warm start back from a checkpoint.</summary>
    public void Restore(double[] theta, double[][] warm, Device device)
    {
        using (no_grad())
        {
            long at = 0;
            foreach (var p in model.parameters())
            {
                p.copy_(tensor(theta.AsSpan((int)at, (int)p.numel()).ToArray(), float64).view(p.shape).to(p.dtype).to(p.device));
                at += p.numel();
            }
        }
        Replace([.. warm.Select(v => tensor(v, float64).to(device).DetachFromDisposeScope())]);
    }

    private void Replace(Tensor[] vectors)
    {
        foreach (var v in _warm) v.Dispose();
        _warm = vectors;
    }

    public void Dispose()
    {
        Replace([]);
        model.Dispose();
    }
}
