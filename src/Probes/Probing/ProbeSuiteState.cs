using static TorchSharp.torch;

namespace Probes.Probing;

/// <summary>The suite's side of <see cref="ProbeState"/>: what a checkpoint stores of it, and how a resume puts it back.</summary>
public sealed partial class ProbeSuite
{
    /// <summary>
    /// Everything the next probe depends on, for checkpoints: each operator's warm-start vectors from the last
    /// four probes (the NTK's also fix the sign alignment), the NTK's and the Hessian's deflation spaces, their steps and z₁
    /// (the period-2 rule), the number of probes so far (Q's schedule) and the last η·λ₁ (the schedule's "above" rule).
    /// Restoring it makes a resumed run's probes identical to an uninterrupted run's.
    /// </summary>
    public ProbeState Export()
    {
        var vectors = new Dictionary<string, double[][]>
        {
            ["history"] = [_probes.SelectMany(p => new double[] { p.Step, p.Z1 }).ToArray()],
            ["probe-count"] = [[_probeCount]],
        };
        foreach (var (name, warm) in Operators)
            for (int lag = 1; lag <= warm.History.Count; lag++)
                vectors[StateKey(name, lag)] = Export(warm.History[lag - 1]);
        foreach (var (name, tracker) in Deflations)
        {
            var (rows, values, schedule) = tracker.Export();
            vectors[$"{name}-deflation"] = rows;
            vectors[$"{name}-deflation-values"] = [values];
            vectors[$"{name}-deflation-schedule"] = [schedule];
        }
        return new ProbeState(vectors, LastSharpness);
    }

    public void Import(ProbeState state, Device device)
    {
        Tensor[] Get(string name) => state.Vectors.TryGetValue(name, out var v) ? v.Select(a => tensor(a, float64).to(device)).ToArray() : [];
        foreach (var (name, warm) in Operators)
            warm.Set(Enumerable.Range(1, WarmStarts.Depth).Select(lag => Get(StateKey(name, lag))));
        double[]? Single(string key) => state.Vectors.TryGetValue(key, out var v) && v is [var only] ? only : null;
        foreach (var (name, tracker) in Deflations)
            tracker.Import(state.Vectors.GetValueOrDefault($"{name}-deflation"), Single($"{name}-deflation-values"),
                Single($"{name}-deflation-schedule"), device);
        _probes.Clear();
        if (state.Vectors.TryGetValue("history", out var h) && h is [var flat])         // older state: no history, no period-2 start
            for (int i = 0; i + 1 < flat.Length; i += 2) _probes.Add(((int)flat[i], flat[i + 1]));
        LastSharpness = state.LastSharpness;
        // A state from before Q's schedule counted probes has no count: Q then runs at the resume's first probe.
        _probeCount = Single("probe-count") is [var count] ? (long)count : 0;
    }

    /// <summary>"ntk" for the last probe's vectors, "ntk-before" for t − 2 (the names of older state files), then "ntk-3", "ntk-4".</summary>
    private static string StateKey(string name, int lag) => lag switch { 1 => name, 2 => name + "-before", _ => $"{name}-{lag}" };

    private static double[][] Export(Tensor[] vectors) => vectors.Select(v => v.cpu().data<double>().ToArray()).ToArray();
}
