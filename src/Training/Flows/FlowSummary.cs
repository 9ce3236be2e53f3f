using Training.Reports;
using Training.Runs;

namespace Training.Flows;

/// <summary>
/// How well the central flow predicts GD, read back from central-flow.csv: over the steps where the constraint was active (c &gt; 0)
/// and a centred window of <see cref="Window"/> GD steps fits, the relative error of the predicted loss L + tr(X)/η (and, for
/// contrast, of L(θ_CF) alone) against GD's loss averaged over the window; the largest η·λ₁ the central flow reached; and
/// the distances from GD of the two flows; self-stabilization at GD's θ where c &gt; 0 (x_u² against δ², where measured); and the
/// steps on which every tracked eigenvalue was critical (c = k), where one beyond them may pass 2/η unseen until --k is raised.
/// </summary>
internal sealed record FlowSummary(int From, int To, int Window, int Rows, int EdgeRows, double? MeanPredictedLossError,
    double? MaxPredictedLossError, double? MeanCfLossError, double? MaxCfEtaHess1, double? MaxGdEtaHess1, double? MaxGfEtaHess1,
    double FinalDistanceCf, double FinalDistanceGf, double MaxDistanceCf, double? SecondsPerStep, double? TrainingStepsPerFlowStep, long Matvecs,
    EosSummary.SelfStabilizationStatistics? GdSelfStabilization, int RowsAtK)
{
    public const string FileName = "central-flow-summary.json";

    /// <summary>
    /// The default centred window over which GD's loss is averaged: GD's EOS oscillation has period 2 and slower cycles of tens
    /// to ~150 steps (catapults, the rises and falls of η·λ₁), which the central flow averages over too. Measured on the quick
    /// preset's flow 540→900 over its EOS phase 700–850: the predicted loss is off GD's average by 9.5% (mean) with a 21-step
    /// window, 7.4% with 51 and 3.3% (signed mean 0.0%) with 101.
    /// </summary>
    public const int DefaultWindow = 101;

    /// <summary>
    /// GD's loss averaged over the centred window at each row, its two end points at half weight (so a period-2 oscillation
    /// averages out exactly: each parity gets half the weight); NaN where the window does not fit.
    /// </summary>
    public static double[] CentredAverage(double[] values, int window)
    {
        int half = window / 2;
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (i < half || i + half >= values.Length) { result[i] = double.NaN; continue; }
            double sum = 0.5 * (values[i - half] + values[i + half]);
            for (int j = i - half + 1; j < i + half; j++) sum += values[j];
            result[i] = sum / (2 * half);
        }
        return result;
    }

    /// <summary>k, the eigenvalues each process tracked (central-flow.csv has a cf_eta_hess column for each).</summary>
    private static int Tracked(TraceTable flow) => Enumerable.Range(1, 16).Count(i => flow.Has(FlowColumns.CfSharpness(i)));

    public static FlowSummary Of(TraceTable flow, FlowCheckpoint checkpoint, int window) =>
        Of(flow, checkpoint.From, checkpoint.Next - 1, checkpoint.Seconds, checkpoint.GdStepSeconds, checkpoint.Matvecs, window);

    public static FlowSummary Of(TraceTable flow, int from, int to, double seconds, double gdSeconds, long matvecs, int window)
    {
        var gd = flow[FlowColumns.GdLoss];
        var average = CentredAverage(gd, window);
        var predicted = flow[FlowColumns.CfPredictedLoss];
        var cfLoss = flow[FlowColumns.CfLoss];
        var critical = flow[FlowColumns.CfCritical];
        var edge = Enumerable.Range(0, flow.RowCount).Where(i => critical[i] > 0 && double.IsFinite(average[i])).ToArray();
        double? Mean(IEnumerable<double> v) => v.Any() ? v.Average() : null;
        double? Max(IEnumerable<double> v) => v.Any() ? v.Max() : null;
        var errors = edge.Select(i => Math.Abs(predicted[i] - average[i]) / average[i]).ToArray();
        var distanceCf = flow[FlowColumns.DistanceCf];
        double gdSteps = to - from;
        return new FlowSummary(from, to, window, flow.RowCount, edge.Length, Mean(errors), Max(errors),
            Mean(edge.Select(i => Math.Abs(cfLoss[i] - average[i]) / average[i])),
            Max(flow[FlowColumns.CfSharpness(1)].Where(double.IsFinite)), Max(flow[FlowColumns.GdSharpness(1)].Where(double.IsFinite)),
            Max(flow[FlowColumns.GfSharpness(1)].Where(double.IsFinite)), distanceCf[^1], flow[FlowColumns.DistanceGf][^1], distanceCf.Max(),
            gdSteps > 0 ? seconds / gdSteps : null, gdSteps > 0 && gdSeconds > 0 ? seconds / gdSeconds : null, matvecs,
            flow.Has(FlowColumns.GdXu2) ? EosSummary.SelfStabilizationStatistics.Of(Enumerable.Range(0, flow.RowCount)
                .Where(i => critical[i] > 0).Select(i => (flow[FlowColumns.GdXu2][i], flow[FlowColumns.GdDelta2][i]))) : null,
            critical.Count(c => c == Tracked(flow)));
    }
}
