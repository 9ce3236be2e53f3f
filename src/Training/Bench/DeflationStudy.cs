using Probes.Lanczos;
using Probes.Operators;
using Probes.Probing;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// What the deflation space buys the warm-started top-2 NTK solve in an EOS window, and how fast it ages:
/// from a run's last checkpoint, one space estimated at the first step and never again, then at every
/// step Lanczos and deflated Davidson from the same start (t − 1, t − 2, then the extrapolated
/// 2·v(t−2) − v(t−4), as the probes choose), to the run's tolerance, with their matvecs and how far
/// apart their eigenvalues land.
/// </summary>
public static class DeflationStudy
{
    public static int Run(string runPath, int threads, int steps)
    {
        using var run = new CheckpointedRun(runPath, threads);
        var s = run.Settings;
        int k = s.ProbeK, size = s.ProbeDeflate > 0 ? s.ProbeDeflate : 12;
        var history = new List<Tensor[]>();          // converged top-k of the steps before, newest first
        DeflationSpace? space = null;
        Console.WriteLine($"probes bench --run {runPath} --deflation-study: from step {run.Checkpoint.Step}, top-{k} to {s.ProbeTol:G2}, space of {size}");
        Console.WriteLine("step   start   lanczos  davidson  (matvecs)   max |Δλ|/λ between them");
        for (int t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            using (var point = run.Point())
            {
                var op = ModelOperators.Ntk(point);
                if (space is null)
                {
                    space = DeflationSpace.Estimate(op, k, size, s.Seed, s.ProbeMaxIter, null, out var top);
                    Console.WriteLine($"{run.Checkpoint.Step + t,5}  space estimated cold to {DeflationSpace.Tolerance:G1}: {top.Iterations} matvecs; μ = {space.Values[0]:F1} … {space.Values[^1]:F1}");
                    history.Insert(0, top.Top.Select(p => p.Vector.clone().DetachFromDisposeScope()).ToArray());
                    top.Dispose();
                }
                else
                {
                    var (start, name) = history.Count > 3 ? (WarmStarts.Extrapolate(history[1], history[3]), "extrap")
                        : history.Count > 1 ? (history[1], "t−2") : (history[0], "t−1");
                    using var lanczos = LanczosSolver.Solve(op, new LanczosOptions { Count = k, Tolerance = s.ProbeTol, MaxIterations = s.ProbeMaxIter, WarmStart = start });
                    using var davidson = DeflatedDavidson.Solve(op, start, space, k, s.ProbeTol, s.ProbeMaxIter, s.Seed);
                    double gap = lanczos.Top.Zip(davidson.Top, (a, b) => Math.Abs(a.Value - b.Value) / a.Value).Max();
                    Console.WriteLine($"{run.Checkpoint.Step + t,5}  {name,-6} {lanczos.Iterations,8} {davidson.Iterations,9}              {gap:E1}");
                    history.Insert(0, davidson.Top.Select(p => p.Vector.clone().DetachFromDisposeScope()).ToArray());
                }
                if (history.Count > WarmStarts.Depth) { foreach (var v in history[^1]) v.Dispose(); history.RemoveAt(WarmStarts.Depth); }
            }
            run.Step();
        }
        space?.Dispose();
        return 0;
    }
}
