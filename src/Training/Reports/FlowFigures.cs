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
        var loss = new Figure("flow-loss", "GD, its central flow and the stable flow: loss", "step", "training loss");
        loss.Line(steps, flow[FlowColumns.GdLoss], "GD");
        loss.Line(steps, FlowSummary.CentredAverage(flow[FlowColumns.GdLoss], window), $"GD averaged over {window} steps");
        loss.Line(steps, flow[FlowColumns.CfPredictedLoss], "central flow: predicted L + tr(X)/η");
        loss.Line(steps, flow[FlowColumns.CfLoss], "central flow: L(θ_CF)");
        loss.Line(steps, flow[FlowColumns.GfLoss], "stable flow");
        var sharpness = new Figure("flow-sharpness", "η·λᵢ(H) of each process", "step", "η·λᵢ");
        for (int i = 1; i <= k; i++)
        {
            sharpness.Line(steps, flow[FlowColumns.GdSharpness(i)], $"GD η·λ{i}");
            sharpness.Line(steps, flow[FlowColumns.CfSharpness(i)], $"central flow η·λ{i}");
        }
        sharpness.Line(steps, flow[FlowColumns.GfSharpness(1)], "stable flow η·λ1");
        sharpness.StabilityLine();
        var distance = new Figure("flow-distance", "distance from GD", "step", "‖θ_GD − θ‖");
        distance.Line(steps, flow[FlowColumns.DistanceCf], "central flow");
        distance.Line(steps, flow[FlowColumns.DistanceGf], "stable flow");
        return [.. new[] { loss, sharpness, distance }.Where(f => f.HasData).Select(f => f.Save(folder))];
    }
}
