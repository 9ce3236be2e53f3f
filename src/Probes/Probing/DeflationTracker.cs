using Probes.Eigensolvers;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Probing;

/// <summary>
/// An operator's <see cref="DeflationSpace"/> across probes, used and estimated as its
/// <see cref="DeflationSchedule"/> says.
/// </summary>
internal sealed class DeflationTracker : IDisposable
{
    private DeflationSpace? _space;
    private DeflationSchedule _schedule = new();

    /// <summary>
    /// The top-k eigenpairs: by <see cref="DeflatedDavidson"/> from <paramref name="start"/>, estimating the
    /// space first where needed (warm-started from the old one), or by <paramref name="lanczos"/> during a
    /// pause; with the matvecs the estimate took. The tracker itself changes only when the caller commits
    /// (a probe is transactional); a rollback frees a space estimated for nothing.
    /// </summary>
    public Solved Solve(ILinearOperator op, Tensor[] start, int size, ProbeOptions o, long seed, Func<LanczosResult> lanczos)
    {
        var schedule = _schedule;
        if (!schedule.Deflate)
            return new Solved(lanczos(), 0, () => _schedule = schedule.Skipped(), () => { });
        var space = _space is { } current && current.Vectors.shape[1] == op.Size ? current : null;   // else: other coordinates
        DeflationSpace? fresh = null;
        int estimate = 0;
        try
        {
            if (space is null || schedule.Stale || space.Size != size)
            {
                IReadOnlyList<Tensor>? warm = space is { } old && old.Size == size
                    ? [.. start, .. Enumerable.Range(0, size).Select(i => old.Vectors[i])]
                    : null;
                var estimated = DeflationSpace.Estimate(op, o.K, size, seed, o.MaxIterations, warm, out var top);
                top.Dispose();
                // Rounded to float32 as the probe state stores it: a resumed run preconditions with the same space.
                fresh = estimated with { Vectors = WarmStarts.Stored(estimated.Vectors).DetachFromDisposeScope() };
                estimated.Vectors.Dispose();
                space = fresh;
                estimate = top.Iterations;
                schedule = schedule.Estimated(estimate);
            }
            var result = DeflatedDavidson.Solve(op, start, space, o.K, o.Tolerance, o.MaxIterations, seed);
            schedule = schedule.Solved(result.Iterations, o.DeflationRefreshAbove);
            if (!result.Converged)
            {
                // Davidson filled its basis: Lanczos from the same start, charged with Davidson's matvecs.
                using var failed = result;
                var fallback = lanczos();
                result = new LanczosResult
                {
                    Top = fallback.Top, Bottom = fallback.Bottom, RitzValues = fallback.RitzValues, RitzWeights = fallback.RitzWeights,
                    Iterations = failed.Iterations + fallback.Iterations, Restarts = fallback.Restarts, Converged = fallback.Converged,
                };
            }
            var committed = schedule;
            return new Solved(result, estimate, () =>
            {
                if (fresh is not null)
                {
                    _space?.Dispose();
                    _space = fresh;
                }
                _schedule = committed;
            }, () => fresh?.Dispose());
        }
        catch
        {
            fresh?.Dispose();
            throw;
        }
    }

    /// <summary>A solve's result and the tracker's change, to be committed or rolled back by the caller.</summary>
    public sealed record Solved(LanczosResult Result, int EstimateMatvecs, Action Commit, Action Rollback);

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
