using MathNet.Numerics.LinearAlgebra;
using Probes.Eigensolvers;
using Probes.Flows;
using Probes.Models;
using Probes.Operators;
using Probes.Probing;
using Training.Data;
using Training.Model;
using static TorchSharp.torch;

namespace Training.Flows;

/// <summary>
/// One of the three processes of <c>probes flow</c> (GD, the central flow, the stable flow): its own copy of the network and
/// what makes its top Hessian eigenpairs cheap from one evaluation to the next (a substep, or a step), as the probes do step by
/// step: the last eigenvectors as the start, and a deflation space of the next <see cref="SpaceSize"/> eigenvectors for the
/// deflated Davidson solve, re-estimated (warm) when a solve takes more than <see cref="RefreshAbove"/> products.
/// </summary>
internal sealed class FlowProcess(string key, string name, Mlp model, CifarDataset data, ILoss loss, FlowOptions options, long seed)
    : IFlowProcess
{
    /// <summary>The deflation space's size and refresh rule: the probes' defaults (ProbeOptions).</summary>
    public const int SpaceSize = ProbeOptions.DefaultDeflation, RefreshAbove = ProbeOptions.DefaultDeflationRefreshAbove;

    private Tensor[] _warm = [];
    private DeflationSpace? _space;
    private bool _stale;

    /// <summary>The short name its checkpoint entries carry (gd, cf, gf).</summary>
    public string Key => key;

    public Mlp Model => model;

    /// <summary>Hessian products spent on this process's eigenpairs so far.</summary>
    public long Matvecs { get; set; }

    /// <summary>The network's point at θ, in the inputs' span where n &lt; d.</summary>
    public IDifferentiablePoint Point() => new MlpPoint(model, data.TrainInputs, data.TrainTargets, data.TrainSpan, loss);

    public double Loss(IDifferentiablePoint point) => ((MlpPoint)point).Loss;

    public void Displace(IDifferentiablePoint point, Tensor delta) => ((MlpPoint)point).Displace(model, delta);

    /// <summary>The top-k Hessian eigenpairs at <paramref name="point"/>, largest first.</summary>
    public (double Value, Tensor Vector)[] Top(IDifferentiablePoint point)
    {
        var op = ModelOperators.LossHessian(point);
        bool warm = _warm.Length == options.K && _warm.All(v => v.numel() == op.Size);
        if (!warm || _space is null || _stale || _space.Vectors.shape[1] != op.Size)
            Refresh(op, warm);
        using var result = DeflatedDavidson.Solve(op, _warm, _space!, options.K, options.Tolerance, options.MaxIterations, seed);
        Matvecs += result.Iterations;
        _stale = result.Iterations > RefreshAbove;
        if (result.Converged) return Keep(result);
        using var lanczos = LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = options.K, Tolerance = options.Tolerance, MaxIterations = options.MaxIterations, BlockSize = options.K, Seed = seed,
            WarmStart = _warm,
        });
        Matvecs += lanczos.Iterations;
        if (!lanczos.Converged)
            throw new ProbesError($"the {name} Hessian solve did not converge in {options.MaxIterations} matvecs (residual "
                + $"{lanczos.MaxResidual:G3}); raise --max-iter or loosen --tol.");
        return Keep(lanczos);
    }

    /// <summary>The last solve's eigenvectors, rounded as the checkpoint stores them, so that a resumed flow reads the same span.</summary>
    public IReadOnlyList<Tensor> Solved => _warm;

    /// <summary>As the interface's; kept in the checkpoint (the span itself where an interval spans steps, --refresh-every &gt;
    /// --substeps).</summary>
    public HeldSpan Held { get; } = new();

    private bool HeldAcrossSteps => options.RefreshEvery > options.Substeps;

    /// <summary>As the interface's, counting its products.</summary>
    public RitzPair[] Within(IDifferentiablePoint point, IReadOnlyList<Tensor> vectors)
    {
        Matvecs += vectors.Count;
        return RayleighRitz.Pairs(ModelOperators.LossHessian(point), vectors);
    }

    /// <summary>A new deflation space (warm from the last eigenvectors and the old space), and a start where there was none.</summary>
    private void Refresh(FunctionOperator op, bool warm)
    {
        IReadOnlyList<Tensor>? start = warm && _space is { } old && old.Vectors.shape[1] == op.Size
            ? [.. _warm, .. Enumerable.Range(0, old.Size).Select(i => old.Vectors[i])]
            : warm ? _warm : null;
        var space = DeflationSpace.Estimate(op, options.K, SpaceSize, seed, options.MaxIterations, start, out var top);
        using (top)
        {
            Matvecs += top.Iterations;
            if (!warm) Replace([.. top.Top.Select(p => WarmStarts.Stored(p.Vector).DetachFromDisposeScope())]);
        }
        _space?.Dispose();
        // Rounded to float32, as the checkpoint stores it: a resumed flow solves with the same space.
        _space = space with { Vectors = WarmStarts.Stored(space.Vectors).DetachFromDisposeScope() };
        space.Vectors.Dispose();
        _stale = false;
    }

    private (double Value, Tensor Vector)[] Keep(LanczosResult result)
    {
        var top = result.Top.Select(p => (p.Value, p.Vector.detach().clone())).ToArray();     // in the caller's dispose scope
        Replace([.. top.Select(p => WarmStarts.Stored(p.Item2).DetachFromDisposeScope())]);
        return top;
    }

    /// <summary>θ flattened in parameter order, float64.</summary>
    public Tensor Theta() => cat([.. model.parameters().Select(p => p.detach().flatten().to(float64))]);

    /// <summary>What the checkpoint keeps of this process: θ, the start vectors and the deflation space (all exact in float32
    /// for a float32 network).</summary>
    public IEnumerable<(string Name, double[][] Vectors)> Export()
    {
        using (var theta = Theta()) yield return ($"{key}-theta", [theta.data<double>().ToArray()]);
        yield return ($"{key}-vectors", [.. _warm.Select(v => v.cpu().data<double>().ToArray())]);
        if (Held.Refreshed.Length > 0) yield return ($"{key}-refreshed", [Held.Refreshed]);
        if (Held.Carried is not null) yield return ($"{key}-carried", [Held.Carried]);
        if (HeldAcrossSteps && Held.Span is { } held)
        {
            int c = held.Count;
            var pairs = Enumerable.Range(0, c).SelectMany(a => Enumerable.Range(a, c - a).Select(b => (a, b))).ToArray();
            yield return ($"{key}-held-g", [.. pairs.Select(p => held.G(p.a, p.b).cpu().data<double>().ToArray())]);
            yield return ($"{key}-held-m", [[.. held.Projected.ToRowMajorArray(), Held.Holding ? 1 : 0]]);
        }
        if (_space is null) yield break;
        yield return ($"{key}-space", [.. Enumerable.Range(0, _space.Size).Select(i => _space.Vectors[i].cpu().data<double>().ToArray())]);
        yield return ($"{key}-space-values", [[.. _space.Values, _space.BulkEdge, _stale ? 1 : 0]]);
    }

    /// <summary>Puts θ, the start vectors and the space back from a checkpoint (<see cref="Export"/>).</summary>
    public void Import(IReadOnlyDictionary<string, double[][]> state, Device device)
    {
        Restore(state[$"{key}-theta"][0]);
        Replace([.. state.GetValueOrDefault($"{key}-vectors", []).Select(v => tensor(v, float64).to(device).DetachFromDisposeScope())]);
        Held.Refreshed = state.GetValueOrDefault($"{key}-refreshed") is [var refreshed] ? refreshed : [];
        Held.Carried = state.GetValueOrDefault($"{key}-carried") is [var carried] ? carried : null;
        Held.Span = null;
        if (state.GetValueOrDefault($"{key}-held-m") is [var m])
        {
            int c = (int)Math.Round(Math.Sqrt(m.Length - 1));
            var products = state.GetValueOrDefault($"{key}-held-g", []);
            var g = new Tensor[c, c];
            int at = 0;
            for (int a = 0; a < c; a++)
                for (int b = a; b < c; b++) g[a, b] = g[b, a] = tensor(products[at++], float64).to(device).DetachFromDisposeScope();
            Held.Span = new CentralFlow.Span(g, Matrix<double>.Build.Dense(c, c, (i, j) => m[i * c + j]));
            Held.Holding = m[^1] != 0;
        }
        _space?.Dispose();
        _space = null;
        if (state.GetValueOrDefault($"{key}-space") is { Length: > 0 } rows && state[$"{key}-space-values"] is [var values])
        {
            var vectors = stack(rows.Select(r => tensor(r, float64)).ToArray()).to(device).DetachFromDisposeScope();
            _space = new DeflationSpace(vectors, values[..rows.Length], values[rows.Length]);
            _stale = values[rows.Length + 1] != 0;
        }
    }

    /// <summary>θ ← <paramref name="theta"/> (parameter order, float64).</summary>
    public void Restore(double[] theta)
    {
        using var _ = no_grad();
        long at = 0;
        foreach (var p in model.parameters())
        {
            p.copy_(tensor(theta.AsSpan((int)at, (int)p.numel()).ToArray(), float64).view(p.shape).to(p.dtype).to(p.device));
            at += p.numel();
        }
    }

    private void Replace(Tensor[] vectors)
    {
        foreach (var v in _warm) v.Dispose();
        _warm = vectors;
    }

    public void Dispose()
    {
        Held.Dispose();
        Replace([]);
        _space?.Dispose();
        model.Dispose();
    }
}
