using Probes.Lanczos;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Probing;

/// <summary>
/// An operator's <see cref="DeflationSpace"/> across probes and when to estimate it again: at the first
/// solve that uses it, and at the next one after a solve that cost more than
/// <see cref="ProbeOptions.DeflationRefreshAbove"/> matvecs (the space no longer pays for itself).
/// </summary>
public sealed class DeflationTracker : IDisposable
{
    private DeflationSpace? _space;
    private bool _stale;

    /// <summary>
    /// The top-k eigenpairs by <see cref="DeflatedDavidson"/> from <paramref name="start"/>, estimating the
    /// space first where needed (warm-started from the old one); returns the matvecs the estimate took.
    /// </summary>
    public (LanczosResult Result, int EstimateMatvecs) Solve(ILinearOperator op, Tensor[] start, int size, ProbeOptions o, long seed)
    {
        int estimate = 0;
        if (_space is null || _stale || _space.Size != size)
        {
            IReadOnlyList<Tensor>? warm = _space is { } old && old.Size == size
                ? [.. start, .. Enumerable.Range(0, size).Select(i => old.Vectors[i])]
                : null;
            var space = DeflationSpace.Estimate(op, o.K, size, seed, o.MaxIterations, warm, out var top);
            top.Dispose();
            _space?.Dispose();
            _space = space;
            estimate = top.Iterations;
        }
        var result = DeflatedDavidson.Solve(op, start, _space, o.K, o.Tolerance, o.MaxIterations, seed);
        _stale = result.Iterations > o.DeflationRefreshAbove;
        return (result, estimate);
    }

    /// <summary>The space's rows and [μ…, β, stale] for the probe state; none before the first estimate.</summary>
    public (double[][] Rows, double[] Meta)? Export()
    {
        if (_space is null) return null;
        var rows = Enumerable.Range(0, _space.Size).Select(i => _space.Vectors[i].cpu().data<double>().ToArray()).ToArray();
        return (rows, [.. _space.Values, _space.BulkEdge, _stale ? 1 : 0]);
    }

    public void Import(double[][]? rows, double[]? meta, Device device)
    {
        Dispose();
        if (rows is null || meta is null || rows.Length == 0 || meta.Length != rows.Length + 2) return;
        var vectors = stack(rows.Select(r => tensor(r, float64)).ToArray()).to(device).DetachFromDisposeScope();
        _space = new DeflationSpace(vectors, meta[..rows.Length], meta[rows.Length]);
        _stale = meta[^1] != 0;
    }

    public void Dispose()
    {
        _space?.Dispose();
        _space = null;
        _stale = false;
    }
}
