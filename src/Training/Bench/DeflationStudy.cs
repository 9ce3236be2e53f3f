using Probes.Eigensolvers;
using Probes.Operators;
using Probes.Probing;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// What the deflation space buys the warm-started top-k NTK solve in an EOS window, how fast it ages and how
/// accurate it needs to be: from a run's last checkpoint, two spaces estimated at the first step and never
/// again (the probes' coarse one and a tight one), then at every step Lanczos and deflated Davidson with
/// each space from the same start (t − 1, t − 2, then the extrapolated 2·v(t−2) − v(t−4), as the probes
/// choose), to the run's tolerance, with their matvecs and how far apart their eigenvalues land.
/// </summary>
internal static class DeflationStudy
{
    private const double TightTolerance = 1e-4;

    public static int Run(string runPath, int threads, int steps)
    {
        using var run = new CheckpointedRun(runPath, threads);
        var s = run.Settings;
        int k = s.ProbeK;
        int size = (int)Math.Min(s.ProbeDeflate > 0 ? s.ProbeDeflate : 12, s.Outputs * (long)s.N - k - 1);
        if (size < 1) throw new
            ProbesError($"the NTK of this run (D = {s.Outputs * (long)s.N}) is too small for a deflation space below its top {k}.");
        var history = new List<Tensor[]>();          // converged top-k of the steps before, newest first
        DeflationSpace? coarse = null, tight = null;
        Console.WriteLine($"probes bench --run {runPath} --deflation-study: from step {run.Checkpoint.Step}, top-{k} to {s.ProbeTol:G2}, spaces of "
            + $"{size}");
        Console.WriteLine($"step   start   lanczos  davidson {DeflationSpace.Tolerance:0e0}  davidson {TightTolerance:0e0}  (matvecs)   max |Δλ|/λ "
            + $"vs Lanczos");
        for (int t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            using (var point = run.Point())
            {
                var op = ModelOperators.Ntk(point);
                if (coarse is null || tight is null)
                {
                    coarse = DeflationSpace.Estimate(op, k, size, s.Seed, s.ProbeMaxIter, null, out var top);
                    tight = DeflationSpace.Estimate(op, k, size, s.Seed, s.ProbeMaxIter, null, out var tightTop, TightTolerance);
                    Console.WriteLine($"{run.Checkpoint.Step + t,5}  spaces estimated cold: to {DeflationSpace.Tolerance:0e0} in {top.Iterations} "
                        + $"matvecs, "
                        + $"to {TightTolerance:0e0} in {tightTop.Iterations}; μ = {coarse.Values[0]:F1} … {coarse.Values[^1]:F1}");
                    history.Insert(0, top.Top.Select(p => p.Vector.clone().DetachFromDisposeScope()).ToArray());
                    top.Dispose();
                    tightTop.Dispose();
                }
                else
                {
                    var (start, name) = history.Count > 3 ? (WarmStarts.Extrapolate(history[1], history[3]), "extrap")
                        : history.Count > 1 ? (history[1], "t−2") : (history[0], "t−1");
                    using var lanczos = LanczosSolver.Solve(op, new LanczosOptions
                    {
                        Count = k, Tolerance = s.ProbeTol,
                        MaxIterations = s.ProbeMaxIter, WarmStart = start
                    });
                    using var davidson = DeflatedDavidson.Solve(op, start, coarse, k, s.ProbeTol, s.ProbeMaxIter, s.Seed);
                    using var tightDavidson = DeflatedDavidson.Solve(op, start, tight, k, s.ProbeTol, s.ProbeMaxIter, s.Seed);
                    double Gap(LanczosResult r) => lanczos.Top.Zip(r.Top, (a, b) => Math.Abs(a.Value - b.Value) / a.Value).Max();
                    Console.WriteLine($"{run.Checkpoint.Step + t,5}  {name,-6} {lanczos.Iterations,8} {davidson.Iterations,14} "
                        + $"{tightDavidson.Iterations,14}"
                        + $"              {Math.Max(Gap(davidson), Gap(tightDavidson)):E1}");
                    history.Insert(0, davidson.Top.Select(p => p.Vector.clone().DetachFromDisposeScope()).ToArray());
                }
                if (history.Count > WarmStarts.Depth) { foreach (var v in history[^1]) v.Dispose(); history.RemoveAt(WarmStarts.Depth); }
            }
            run.Step();
        }
        coarse?.Dispose();
        tight?.Dispose();
        return 0;
    }
}
