using Training.Flows;
using Training.Runs;

namespace Training.Reports;

/// <summary>The figures of <c>probes flow</c>: loss, sharpness and distance of GD, its central flow and the stable flow.</summary>
internal static class FlowFigures
{
    public static IReadOnlyList<string> Draw(TraceTable flow, int k, string folder, int window)
    {
        Directory.CreateDirectory(folder);
        var steps = flow[FlowColumns.Step];
        // log₁₀ when the losses span more than two decades (a quadratic model's gradient flow goes to 1e-30 while GD stays at
        // 1e-5): a linear axis flattens everything after the first steps to 0.
        double[][] losses = [flow[FlowColumns.GdLoss], FlowSummary.CentredAverage(flow[FlowColumns.GdLoss], window),
            flow[FlowColumns.CfPredictedLoss], flow[FlowColumns.CfLoss], flow[FlowColumns.GfLoss]];
        var positive = losses.SelectMany(l => l).Where(v => v > 0 && double.IsFinite(v)).ToArray();
        bool log = positive.Length > 0 && positive.Max() > 100 * positive.Min();
        double[] Scaled(double[] v) => log ? [.. v.Select(x => x > 0 ? Math.Log10(x) : double.NaN)] : v;
        var loss = new Figure("flow-loss", "GD, its central flow and the stable flow: loss", "step", log ? "log₁₀ training loss" : "training loss");
        string[] names = ["GD", $"GD averaged over {window} steps", "central flow: predicted L + tr(X)/η", "central flow: L(θ_CF)", "stable flow"];
        for (int i = 0; i < losses.Length; i++) loss.Line(steps, Scaled(losses[i]), names[i]);
        var sharpness = new Figure("flow-sharpness", "η·λᵢ(H) of each process", "step", "η·λᵢ");
        for (int i = 1; i <= k; i++)
        {
            Measured(sharpness, steps, flow[FlowColumns.GdSharpness(i)], $"GD η·λ{i}");
            Measured(sharpness, steps, flow[FlowColumns.CfSharpness(i)], $"central flow η·λ{i}");
        }
        Measured(sharpness, steps, flow[FlowColumns.GfSharpness(1)], "stable flow η·λ1");
        sharpness.StabilityLine();
        var distance = new Figure("flow-distance", "distance from GD", "step", "‖θ_GD − θ‖");
        distance.Line(steps, flow[FlowColumns.DistanceCf], "central flow");
        distance.Line(steps, flow[FlowColumns.DistanceGf], "stable flow");
        return [.. new[] { loss, sharpness, distance }.Where(f => f.HasData).Select(f => f.Save(folder))];
    }

    /// <summary>The steps where a column was measured (every --eigs-every steps; a held span's steps have only its own), joined
    /// by a line rather than left as isolated points.</summary>
    private static void Measured(Figure figure, double[] steps, double[] values, string legend)
    {
        var kept = Enumerable.Range(0, steps.Length).Where(i => double.IsFinite(values[i])).ToArray();
        figure.Line([.. kept.Select(i => steps[i])], [.. kept.Select(i => values[i])], legend);
    }
}
