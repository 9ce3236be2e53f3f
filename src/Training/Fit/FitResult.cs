using Probes.Probing;
using QuadraticFit.TwoStep;
using Training.Reports;
using Training.Runs;

namespace Training.Fit;

/// <summary>What <c>probes fit</c> writes to fit.json.</summary>
internal sealed record FitResult(
    int? WindowFrom, int? WindowTo, LineFit? TwoStepZ1, LinearFit? TwoStepY, D1P2FitResult? D1P2,
    double? ObservedMeanSharpness, TaylorSummary? Taylor, IReadOnlyList<string> Warnings)
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
        var warnings = new List<string>();
        if (summary.NeverReachedEdge is { } never && from is null)
        {
            // Fitting the EOS laws to a run with no EOS phase gives numbers without meaning: say so instead of printing blanks.
            warnings.Add($"this run {never}: nothing to fit (pass --window A:B to fit those steps anyway)");
            return new FitResult(null, to, null, null, null, null, taylor, warnings);
        }
        var d1p2 = D1P2Fit.Fit(steps, z1, sharpness, lo, hi);
        double zMax = Enumerable.Range(0, steps.Length).Where(i => steps[i] >= lo && steps[i] <= hi && double.IsFinite(z1[i]))
            .Select(i => Math.Abs(z1[i])).DefaultIfEmpty(0).Max();
        if (d1p2 is { } f && (f.Epsilon < DegenerateEpsilon || Math.Abs(f.ZScale) * zMax < DegenerateZ))
            warnings.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the D = 1, P = 2 fit collapsed (ε = {f.Epsilon:G3}, largest scaled z̃ = {Math.Abs(f.ZScale) * zMax:G3})")
                + ": a model without curvature or without z̃ fits any constant η·λ₁, so its limit 2 − ε/2 says nothing about this run");
        return new FitResult(lo, to, TwoStepFit.Z1(steps, z1, y, lo, hi), TwoStepFit.Y(steps, z1, y, lo, hi),
            d1p2, inWindow.Length > 0 ? inWindow.Average(i => sharpness[i]) : null, taylor, warnings);
    }

    /// <summary>Below these the D = 1, P = 2 fit has no curvature (ε) or no motion (z̃ = s·z₁): it is degenerate.</summary>
    private const double DegenerateEpsilon = 1e-4, DegenerateZ = 1e-6;
}

/// <summary>The Taylor comparison as fit.json records it (the rows go to taylor.csv).</summary>
internal sealed record TaylorSummary(int From, int Steps, int? PartStep, string PartRule);
