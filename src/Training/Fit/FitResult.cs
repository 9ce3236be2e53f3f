using Probes.Probing;
using QuadraticFit.TwoStep;
using Training.Reports;
using Training.Runs;

namespace Training.Fit;

/// <summary>What <c>probes fit</c> writes to fit.json.</summary>
internal sealed record FitResult(
    int? WindowFrom, int? WindowTo, LineFit? TwoStepZ1, LinearFit? TwoStepY, D1P2FitResult? D1P2,
    double? ObservedMeanSharpness, TaylorSummary? Taylor)
{
    public const string FileName = "fit.json";

    /// <summary>Two-step fits and the D = 1, P = 2 fit over [from, to] (default: onset to the end).</summary>
    public static FitResult Of(RunTraces run, int? from, int? to, TaylorSummary? taylor)
    {
        if (!run.HasProbes) throw new ProbesError($"{run.Path} has no NTK probes to fit (run with --probe-every or --probe-window).");
        var summary = EosSummary.Of(run);
        int lo = from ?? summary.OnsetStep ?? 0, hi = to ?? int.MaxValue;
        var steps = run.Probes!["step"];
        var z1 = run.Probes[ProbeColumns.Z1];
        var y = run.Probes["y"];
        var sharpness = run.Probes[ProbeColumns.EtaNtk1];
        var inWindow = Enumerable.Range(0, steps.Length).Where(i => steps[i] >= lo && steps[i] <= hi && double.IsFinite(sharpness[i])).ToArray();
        return new FitResult(lo, to, TwoStepFit.Z1(steps, z1, y, lo, hi), TwoStepFit.Y(steps, z1, y, lo, hi),
            D1P2Fit.Fit(steps, z1, sharpness, lo, hi), inWindow.Length > 0 ? inWindow.Average(i => sharpness[i]) : null, taylor);
    }
}

/// <summary>The Taylor comparison as fit.json records it (the rows go to taylor.csv).</summary>
internal sealed record TaylorSummary(int From, int Steps, int? PartStep, string PartRule);
