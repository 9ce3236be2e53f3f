using Probes.Lanczos;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Probing;

/// <summary>
/// An operator's <see cref="DeflationSpace"/> across probes, used and estimated as its
/// <see cref="DeflationSchedule"/> says.
/// </summary>
public sealed class DeflationTracker : IDisposable
{
    private DeflationSpace? _space;
    private DeflationSchedule _schedule = new();

    /// <summary>
    /// The top-k eigenpairs: by <see cref="DeflatedDavidson"/> from <paramref name="start"/>, estimating the
    /// space first where needed (warm-started from the old one), or by <paramref name="lanczos"/> during a
    /// pause; returns the matvecs the estimate took.
    /// </summary>
    public (LanczosResult Result, int EstimateMatvecs) Solve(ILinearOperator op, Tensor[] start, int size, ProbeOptions o, long seed,
        Func<LanczosResult> lanczos)
    {
        if (!_schedule.Deflate)
        {
            _schedule = _schedule.Skipped();
            return (lanczos(), 0);
        }
        int estimate = 0;
        if (_space is { } other && other.Vectors.shape[1] != op.Size)      // a state from other coordinates
        {
            other.Dispose();
            _space = null;
        }
        if (_space is null || _schedule.Stale || _space.Size != size)
        {
            IReadOnlyList<Tensor>? warm = _space is { } old && old.Size == size
                ? [.. start, .. Enumerable.Range(0, size).Select(i => old.Vectors[i])]
                : null;
            var estimated = DeflationSpace.Estimate(op, o.K, size, seed, o.MaxIterations, warm, out var top);
            top.Dispose();
            _space?.Dispose();
            // Rounded to float32 as the probe state stores it: a resumed run preconditions with the same space.
            _space = estimated with { Vectors = WarmStarts.Stored(estimated.Vectors).DetachFromDisposeScope() };
            estimated.Vectors.Dispose();
            estimate = top.Iterations;
            _schedule = _schedule.Estimated();
        }
        var result = DeflatedDavidson.Solve(op, start, _space, o.K, o.Tolerance, o.MaxIterations, seed);
        _schedule = _schedule.Solved(result.Iterations, o.DeflationRefreshAbove);
        if (result.Converged) return (result, estimate);
        // Davidson filled its basis: Lanczos from the same start, charged with Davidson's matvecs.
        using var failed = result;
        var fallback = lanczos();
        return (new LanczosResult
        {
            Top = fallback.Top, Bottom = fallback.Bottom, RitzValues = fallback.RitzValues, RitzWeights = fallback.RitzWeights,
            Iterations = failed.Iterations + fallback.Iterations, Restarts = fallback.Restarts, Converged = fallback.Converged,
        }, estimate);
    }

    /// <summary>For the probe state: the space's rows and [μ…, β] (none before the first estimate), and the schedule.</summary>
    public (double[][] Rows, double[] Values, double[] Schedule) Export()
    {
        var schedule = _schedule.Export();
        if (_space is null) return ([], [], schedule);
        var rows = Enumerable.Range(0, _space.Size).Select(i => _space.Vectors[i].cpu().data<double>().ToArray()).ToArray();
        return (rows, [.. _space.Values, _space.BulkEdge], schedule);
    }

    public void Import(double[][]? rows, double[]? values, double[]? schedule, Device device)
    {
        Dispose();
        _schedule = DeflationSchedule.Import(schedule);
        if (rows is not { Length: > 0 } || values is null || values.Length != rows.Length + 1) return;
        var vectors = WarmStarts.Stored(stack(rows.Select(r => tensor(r, float64)).ToArray()).to(device)).DetachFromDisposeScope();
        _space = new DeflationSpace(vectors, values[..rows.Length], values[rows.Length]);
    }

    public void Dispose()
    {
        _space?.Dispose();
        _space = null;
        _schedule = new();
    }
}
