using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Training.Reports;
using Training.Runs;
using Training.Train;

namespace Training.Studies;

/// <summary>
/// <c>probes quad sharpening</c>, Theorem 4.1: E[λ̈_max(0)]/E[λ_max(0)] under gradient flow against σ̃_z² for
/// growing D, P by Monte Carlo (<see cref="SharpeningSeries"/>), and early flow curves at the largest size;
/// written to sharpening.csv and flow.csv with their figures.
/// </summary>
internal static class SharpeningStudy
{
    /// <summary>What to run: sizes, σ̃_z values, σ̃_J, seeds per point, Q's convention, and the flow curves (FlowTime 0: none).</summary>
    public sealed record Spec(IReadOnlyList<(int D, int P)> Sizes, double[] SigmaZ, double SigmaJ, int Seeds, QConvention Convention,
        double FlowTime, int FlowSteps, int FlowSeeds);

    /// <summary>What it found: every point, the coefficient c̃ per size, and the figures.</summary>
    public sealed record Outcome(List<SharpeningPoint> Points, List<SizeCoefficient> Coefficients, List<string> Figures);

    /// <summary>One time of one flow curve.</summary>
    public sealed record FlowSample(SharpeningPoint Point, double Time, Estimate RelativeLambda);

    public static readonly Table<SharpeningPoint> Table = new("sharpening.csv",
    [
        new("D", "outputs", x => x.D),
        new("P", "parameters", x => x.P),
        new("sigma_z_tilde", "σ̃_z = D·σ_z", x => x.SigmaZTilde),
        new("sigma_j_tilde", "σ̃_J = (DP)^¼·σ_J", x => x.SigmaJTilde),
        new("ratio", "E[λ̈_max(0)]/E[λ_max(0)] under gradient flow, Monte Carlo over the seeds", x => x.Estimate.Ratio.Mean),
        new("ratio_se", "its standard error", x => x.Estimate.Ratio.StandardError),
        new("predicted", "the same from the formula averaged over Q and z, at the drawn J", x => x.Estimate.Predicted.Mean),
        new("predicted_se", "its standard error", x => x.Estimate.Predicted.StandardError),
        new("limit", "the large-size limit c·σ̃_z² (c = 2P/D times Q's variance convention)",
            x => SharpeningRate.LimitCoefficient(x.D, x.P, x.Convention) * x.SigmaZTilde * x.SigmaZTilde),
        new("lambda_mean", "E[λ_max(0)] of JJᵀ", x => x.Estimate.Lambda.Mean),
        new("lambda_se", "its standard error", x => x.Estimate.Lambda.StandardError),
        new("lambda_dot_mean", "E[λ̇_max(0)] (Theorem 4.1: 0)", x => x.Estimate.LambdaDot.Mean),
        new("lambda_dot_se", "its standard error", x => x.Estimate.LambdaDot.StandardError),
        new("lambda_ddot_mean", "E[λ̈_max(0)]", x => x.Estimate.LambdaDdot.Mean),
        new("lambda_ddot_se", "its standard error", x => x.Estimate.LambdaDdot.StandardError),
        new("seeds", "random models drawn for the point", x => x.Estimate.Ratio.Samples),
    ]);

    public static readonly Table<FlowSample> FlowTable = new("flow.csv",
    [
        new("D", "outputs", x => x.Point.D),
        new("P", "parameters", x => x.Point.P),
        new("sigma_z_tilde", "σ̃_z = D·σ_z", x => x.Point.SigmaZTilde),
        new("t", "gradient-flow time", x => x.Time),
        new("relative_lambda", "E[λ_max(t)]/E[λ_max(0)] over the flow seeds", x => x.RelativeLambda.Mean),
        new("relative_lambda_se", "its standard error", x => x.RelativeLambda.StandardError),
        new("quadratic_prediction", "1 + ½·ratio·t², the second-order prediction from sharpening.csv's ratio",
            x => 1 + 0.5 * x.Point.Estimate.Ratio.Mean * x.Time * x.Time),
    ]);

    public static Outcome Run(Spec s, RunDirectory run)
    {
        int total = s.Sizes.Count * s.SigmaZ.Length;
        var points = ProgressDisplay.Run(total, progress =>
            SharpeningSeries.Run(s.Sizes, s.SigmaZ, s.SigmaJ, s.Seeds, done => progress.Report(done, total, $"point {done}/{total}"), s.Convention));
        var coefficients = SharpeningSeries.Coefficients(points);
        Table.Write(run, points);
        var figures = new List<string> { QuadStatisticsFigures.Sharpening(points, coefficients, s.Seeds).Save(run.Path),
            QuadStatisticsFigures.BySize(coefficients).Save(run.Path) };
        if (s.FlowTime > 0)
        {
            // Flow curves at the largest size only: one per σ̃_z keeps the figure readable.
            var largest = points.MaxBy(x => (long)x.D * x.P)!;
            var flowPoints = points.Where(x => x.D == largest.D && x.P == largest.P).ToList();
            var curves = ProgressDisplay.Run(flowPoints.Count, progress => Flows(flowPoints, s, progress));
            FlowTable.Write(run, curves.SelectMany(c => c.Curve.Times.Select((t, k) => new FlowSample(c.Point, t, c.Curve.RelativeLambda[k]))));
            figures.Add(QuadStatisticsFigures.Flows(curves, s.FlowSeeds).Save(run.Path));
        }
        return new Outcome(points, coefficients, figures);
    }

    private static List<FlowCurveAt> Flows(List<SharpeningPoint> points, Spec s, IProgress progress)
    {
        var curves = new List<FlowCurveAt>();
        foreach (var pt in points)
        {
            var (sz, sj) = QuadraticModel.Rescaled(pt.SigmaZTilde, pt.SigmaJTilde, pt.D, pt.P);
            curves.Add(new FlowCurveAt(pt,
                RandomModelStatistics.Flow(pt.D, pt.P, sz, sj, s.FlowSeeds, s.FlowTime / s.FlowSteps, s.FlowSteps, convention: pt.Convention)));
            progress.Report(curves.Count, points.Count, $"flow {curves.Count}/{points.Count}");
        }
        return curves;
    }
}
