using Probes.Probing;
using QuadraticFit.TwoStep;
using Training.Runs;

namespace Training.Reports;

/// <summary>
/// The numbers that matter about a run's edge-of-stability phase, from its traces: when η·λ₁ first reaches
/// 2, how it behaves afterwards, how often η·λ₁ and η·λ₂ cross 2, the two-step fit, and Q₁ against Q_r.
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
    public int CrossingsLambda1 { get; init; }
    public int CrossingsLambda2 { get; init; }
    public double? MaxSharpnessLambda2 { get; init; }
    public LineFit? TwoStep { get; init; }
    public LinearFit? TwoStepY { get; init; }
    public double? MeanQ1Norm { get; init; }
    public double? MeanQrNorm { get; init; }
    /// <summary>The largest probed η·λ₁ and its step: how far a run that never reached the edge got.</summary>
    public double? MaxSharpness { get; init; }
    public int? MaxSharpnessStep { get; init; }

    /// <summary>One line when the run was probed but never reached η·λ₁ = 2, for report, fit and summary.json; else null.</summary>
    public string? NeverReachedEdge => ProbedSteps > 0 && OnsetStep is null
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"never reached the edge of stability: η·λ₁ peaked at {MaxSharpness:F4} (step {MaxSharpnessStep}) over {ProbedSteps} probes")
            + "; run longer (--steps) or with a larger --lr"
        : null;

    public static EosSummary Of(RunTraces run)
    {
        var loss = run.Train["loss"];
        var summary = new EosSummary
        {
            Steps = (int)run.Train["step"].DefaultIfEmpty(0).Last(),
            FinalLoss = loss.DefaultIfEmpty(double.NaN).Last(),
            FinalAccuracy = run.Train["accuracy"].DefaultIfEmpty(double.NaN).Last(),
            Diverged = loss.Any(v => !double.IsFinite(v)),
        };
        if (!run.HasProbes) return summary;
        var (steps, s1) = run.Probe(ProbeColumns.EtaNtk1);
        var (_, s2) = run.Probe(ProbeColumns.EtaNtk2);
        int onsetIndex = Array.FindIndex(s1, v => v >= 2);
        var after = onsetIndex >= 0 ? s1[onsetIndex..] : [];
        double? mean = after.Length > 0 ? after.Average() : null;
        var (zSteps, z1) = (run.Probes!["step"], run.Probes[ProbeColumns.Z1]);
        var y = run.Probes["y"];
        int from = onsetIndex >= 0 ? (int)steps[onsetIndex] : int.MaxValue;
        return summary with
        {
            ProbedSteps = steps.Length,
            OnsetStep = onsetIndex >= 0 ? (int)steps[onsetIndex] : null,
            MeanSharpnessAfterOnset = mean,
            StdSharpnessAfterOnset = after.Length > 1 ? Math.Sqrt(after.Select(v => (v - mean!.Value) * (v - mean.Value)).Sum() / after.Length) :
                null,
            FractionWithin5Percent = after.Length > 0 ? after.Count(v => Math.Abs(v - 2) <= 0.1) / (double)after.Length : null,
            CrossingsLambda1 = Crossings(s1, 2),
            CrossingsLambda2 = Crossings(s2, 2),
            MaxSharpnessLambda2 = s2.Length > 0 ? s2.Max() : null,
            MaxSharpness = s1.Length > 0 ? s1.Max() : null,
            MaxSharpnessStep = s1.Length > 0 ? (int)steps[Array.IndexOf(s1, s1.Max())] : null,
            TwoStep = TwoStepFit.Z1(zSteps, z1, y, from),
            TwoStepY = TwoStepFit.Y(zSteps, z1, y, from),
            MeanQ1Norm = MeanNorm(run, "q1"),
            MeanQrNorm = MeanNorm(run, "qr"),
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
