using Probes.Probing;
using QuadraticFit.TwoStep;
using Training.Runs;

namespace Training.Reports;

/// <summary>
/// The numbers that matter about a run's edge-of-stability phase, from its traces: when η·λ₁ first reaches
/// 2 (and the optimizer's edge, edge = λ₁(P⁻¹H)/threshold, first reaches 1), how each behaves afterwards, how often η·λ₁
/// and η·λ₂ cross 2, the two-step fit, and Q₁ against Q_r.
/// All statistics use the probed steps only.
/// </summary>
internal sealed record EosSummary
{
    public int Steps { get; init; }
    public double FinalLoss { get; init; }
    public double FinalAccuracy { get; init; }
    public bool Diverged { get; init; }
    public int ProbedSteps { get; init; }
    public int? OnsetStep { get; init; }
    public double? MeanSharpnessAfterOnset { get; init; }
    public double? StdSharpnessAfterOnset { get; init; }
    public double? FractionWithin5Percent { get; init; }
    public int? CrossingsLambda1 { get; init; }
    public int? CrossingsLambda2 { get; init; }
    public double? MaxSharpnessLambda2 { get; init; }
    public LineFit? TwoStep { get; init; }
    public LinearFit? TwoStepY { get; init; }
    public double? MeanQ1Norm { get; init; }
    public double? MeanQrNorm { get; init; }
    /// <summary>
    /// edge_mid (--probes midpoint), the edge at the midpoint of each probed step, over the probes from the edge's onset on (the
    /// onset of edge, or of η·λ₁ ≥ 2 for GD on mse): the sharpness at the centre of the oscillation, which the central flow holds at 1.
    /// </summary>
    public MidpointStatistics? Midpoint { get; init; }

    /// <summary>Count, mean, population std and the fraction within ±5% of 1 of edge_mid from the onset on.</summary>
    public sealed record MidpointStatistics(int Probes, double Mean, double Std, double FractionWithin5Percent);

    private static MidpointStatistics? MidpointOf(RunTraces run, int? from)
    {
        if (from is null || run.Probes is not { } p || !p.Has(ProbeColumns.EdgeMidpoint)) return null;
        var (steps, edge) = (p["step"], p[ProbeColumns.EdgeMidpoint]);
        var after = Enumerable.Range(0, steps.Length).Where(i => steps[i] >= from && double.IsFinite(edge[i])).Select(i => edge[i]).ToArray();
        if (after.Length == 0) return null;
        double mean = after.Average();
        return new MidpointStatistics(after.Length, mean, Math.Sqrt(after.Average(v => (v - mean) * (v - mean))),
            after.Count(v => Math.Abs(v - 1) <= 0.05) / (double)after.Length);
    }

    /// <summary>Self-stabilization after the onset (where the selfstab columns exist): the measured x_u² against δ² = 2α/β.</summary>
    public SelfStabilizationStatistics? SelfStabilization { get; init; }

    /// <summary>
    /// Over the probes from the onset on where δ² exists (α &gt; 0): their count, the means of x_u² and of δ², and the median of
    /// x_u²/δ² (1 where the oscillation is the size self-stabilization predicts).
    /// </summary>
    public sealed record SelfStabilizationStatistics(int Probes, double MeanX2, double MeanDelta2, double MedianRatio)
    {
        /// <summary>Over the pairs (x_u², δ²) where both exist; null where none does.</summary>
        public static SelfStabilizationStatistics? Of(IEnumerable<(double X2, double Delta2)> pairs)
        {
            var both = pairs.Where(p => double.IsFinite(p.X2) && double.IsFinite(p.Delta2)).ToArray();
            if (both.Length == 0) return null;
            var ratios = both.Select(p => p.X2 / p.Delta2).Order().ToArray();
            double median = ratios.Length % 2 == 1 ? ratios[ratios.Length / 2] : 0.5 * (ratios[ratios.Length / 2 - 1] + ratios[ratios.Length / 2]);
            return new SelfStabilizationStatistics(both.Length, both.Average(p => p.X2), both.Average(p => p.Delta2), median);
        }
    }

    private static SelfStabilizationStatistics? SelfStabilizationOf(RunTraces run, int from)
    {
        if (run.Probes is not { } p || !p.Has(ProbeColumns.XU) || !p.Has(ProbeColumns.Delta2)) return null;
        var (steps, x, d) = (p["step"], p[ProbeColumns.XU], p[ProbeColumns.Delta2]);
        return SelfStabilizationStatistics.Of(Enumerable.Range(0, steps.Length).Where(i => steps[i] >= from).Select(i => (x[i] * x[i], d[i])));
    }
    /// <summary>The largest probed η·λ₁ and its step: how far a run that never reached the edge got.</summary>
    public double? MaxSharpness { get; init; }
    public int? MaxSharpnessStep { get; init; }

    /// <summary>
    /// The run's --optimizer and --loss: under GD on the squared loss the edge is read from η·λ₁ of the NTK, under any other
    /// optimizer or loss from the edge column.
    /// </summary>
    public string Optimizer { get; init; } = "gd";
    public string Loss { get; init; } = "mse";
    public bool GradientDescent => Optimizer == "gd" && Loss == "mse";
    /// <summary>The optimizer's own edge, edge = λ₁(P⁻¹H) / threshold (1 at the edge), over the probes that ran the Hessian.</summary>
    public EdgeStatistics? Edge { get; init; }

    /// <summary>Whether the run reached its optimizer's edge: η·λ₁ ≥ 2 under GD, edge ≥ 1 under any other.</summary>
    public bool ReachedEdge => NtkEdge ? OnsetStep is not null : Edge?.OnsetStep is not null;

    /// <summary>Whether the edge is read from η·λ₁ of the NTK: GD on the squared loss with the NTK probed (else from edge).</summary>
    private bool NtkEdge => GradientDescent && MaxSharpness is not null;

    /// <summary>One line when the run was probed but never reached its edge, for report, fit and summary.json; else null.</summary>
    public string? NeverReachedEdge => ProbedSteps == 0 || ReachedEdge ? null
        : NtkEdge || Edge is null
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"never reached the edge of stability: η·λ₁ peaked at {MaxSharpness:F4} (step {MaxSharpnessStep}) over {ProbedSteps} probes")
            + "; run longer (--steps) or with a larger --lr"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"never reached the edge of stability of {Optimizer} on {Loss}: edge = λ₁(P⁻¹H)/threshold peaked at {Edge.Max:F4} (step {Edge.MaxStep}) ")
            + $"over {Edge.Probes} probes; run longer (--steps) or with a larger --lr";

    /// <summary>A level-crossing series after its onset: the first probed step at or above 1, and the values from there.</summary>
    public sealed record EdgeStatistics(int Probes, int? OnsetStep, double? Mean, double? Std, double? FractionWithin5Percent, double Max,
        int MaxStep);

    /// <summary>
    /// Onset (the first value ≥ level, or with <paramref name="fromBelow"/> the first that reaches it from below), mean and
    /// population std from there, and the fraction within ±5% of the level.
    /// </summary>
    private static (int Onset, double? Mean, double? Std, double? Within) AfterOnset(double[] values, double level, bool fromBelow = false)
    {
        int onset = fromBelow
            ? Enumerable.Range(1, Math.Max(values.Length - 1, 0)).FirstOrDefault(i => values[i] >= level && values[i - 1] < level, -1)
            : Array.FindIndex(values, v => v >= level);
        var after = onset >= 0 ? values[onset..] : [];
        double? mean = after.Length > 0 ? after.Average() : null;
        double? std = after.Length > 1 ? Math.Sqrt(after.Select(v => (v - mean!.Value) * (v - mean.Value)).Sum() / after.Length) : null;
        double? within = after.Length > 0 ? after.Count(v => Math.Abs(v - level) <= 0.05 * level) / (double)after.Length : null;
        return (onset, mean, std, within);
    }

    private static EdgeStatistics? EdgeOf(RunTraces run)
    {
        if (run.Probes is not { } p || !p.Has(ProbeColumns.Edge)) return null;       // a run from before the edge column
        var (steps, edge) = run.Probe(ProbeColumns.Edge);
        if (edge.Length == 0) return null;
        // From below: Adam's first steps divide by P ≈ |g| (v̂ = g² at step 1), so edge starts far above 1 and falls before it sharpens.
        var (onset, mean, std, within) = AfterOnset(edge, 1, fromBelow: true);
        int peak = Array.IndexOf(edge, edge.Max());
        return new EdgeStatistics(edge.Length, onset >= 0 ? (int)steps[onset] : null, mean, std, within, edge[peak], (int)steps[peak]);
    }

    public static EosSummary Of(RunTraces run)
    {
        var loss = run.Train["loss"];
        var summary = new EosSummary
        {
            Steps = (int)run.Train["step"].DefaultIfEmpty(0).Last(),
            FinalLoss = loss.DefaultIfEmpty(double.NaN).Last(),
            FinalAccuracy = run.Train["accuracy"].DefaultIfEmpty(double.NaN).Last(),
            Diverged = loss.Any(v => !double.IsFinite(v)),
            Optimizer = run.Settings["optimizer"] is System.Text.Json.Nodes.JsonValue o && o.TryGetValue(out string? name) ? name : "gd",
            Loss = run.Settings["loss"] is System.Text.Json.Nodes.JsonValue l && l.TryGetValue(out string? lossName) ? lossName : "mse",
        };
        if (!run.HasProbes)
        {
            // Only the Hessian probed (--probes hessian): the edge column's numbers, which every optimizer and loss has.
            var (edgeSteps, _) = run.Probe(ProbeColumns.Edge);
            if (edgeSteps.Length == 0) return summary;
            var edge = EdgeOf(run);
            return summary with { ProbedSteps = edgeSteps.Length, Edge = edge, Midpoint = MidpointOf(run, edge?.OnsetStep) };
        }
        var (steps, s1) = run.Probe(ProbeColumns.EtaNtk1);
        summary = summary with
        {
            ProbedSteps = steps.Length,
            Edge = EdgeOf(run),
            MeanQ1Norm = MeanNorm(run, "q1"),
            MeanQrNorm = MeanNorm(run, "qr"),
        };
        // Self-stabilization from the onset of the run's own edge (η·λ₁ ≥ 2 of the NTK for GD on mse, else edge ≥ 1).
        int? edgeOnset = summary.GradientDescent ? null : summary.Edge?.OnsetStep;
        if (!summary.GradientDescent)
            return edgeOnset is { } eo
                ? summary with { SelfStabilization = SelfStabilizationOf(run, eo), Midpoint = MidpointOf(run, eo) } : summary;
        // η·λ₁ = 2 of the NTK is the edge of GD on the squared loss only: for any other optimizer or loss its numbers would mislead.
        var (_, s2) = run.Probe(ProbeColumns.EtaNtk2);
        var (onsetIndex, mean, std, within) = AfterOnset(s1, 2);
        var (zSteps, z1) = (run.Probes!["step"], run.Probes[ProbeColumns.Z1]);
        var y = run.Probes["y"];
        int from = onsetIndex >= 0 ? (int)steps[onsetIndex] : int.MaxValue;
        return summary with
        {
            OnsetStep = onsetIndex >= 0 ? (int)steps[onsetIndex] : null,
            MeanSharpnessAfterOnset = mean,
            StdSharpnessAfterOnset = std,
            FractionWithin5Percent = within,
            CrossingsLambda1 = Crossings(s1, 2),
            CrossingsLambda2 = Crossings(s2, 2),
            MaxSharpnessLambda2 = s2.Length > 0 ? s2.Max() : null,
            MaxSharpness = s1.Length > 0 ? s1.Max() : null,
            MaxSharpnessStep = s1.Length > 0 ? (int)steps[Array.IndexOf(s1, s1.Max())] : null,
            TwoStep = TwoStepFit.Z1(zSteps, z1, y, from),
            TwoStepY = TwoStepFit.Y(zSteps, z1, y, from),
            SelfStabilization = onsetIndex >= 0 ? SelfStabilizationOf(run, from) : null,
            Midpoint = MidpointOf(run, onsetIndex >= 0 ? from : null),
        };
    }

    /// <summary>How many times the sequence passes the level (a touch counts once it moves to the other side).</summary>
    public static int Crossings(double[] values, double level)
    {
        int count = 0, side = 0;
        foreach (var v in values)
        {
            int s = Math.Sign(v - level);
            if (s == 0) continue;
            if (side != 0 && s != side) count++;
            side = s;
        }
        return count;
    }

    private static double? MeanNorm(RunTraces run, string op)
    {
        if (run.Probes is null || !run.Probes.Has($"{op}_max")) return null;
        var max = run.Probes[$"{op}_max"];
        var min = run.Probes[$"{op}_min"];
        var norms = max.Zip(min, (a, b) => Math.Max(Math.Abs(a), Math.Abs(b))).Where(double.IsFinite).ToArray();
        return norms.Length > 0 ? norms.Average() : null;
    }
}
