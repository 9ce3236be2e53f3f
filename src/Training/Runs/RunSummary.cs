using System.Text.Json;
using System.Text.Json.Nodes;
using Training.Reports;
using Training.Train;

namespace Training.Runs;

/// <summary>
/// summary.json: where a run stands, for a reader that does not want to parse the traces (a sweep's table,
/// a script): status (running, completed, diverged, interrupted, failed), the step reached and the target,
/// the last metrics, wall time, peak resident memory, the resume history and, once the run has ended, the
/// EOS numbers of the report. Written atomically at every checkpoint and at the end. Keys are snake_case;
/// a non-finite number is null.
/// </summary>
internal static class RunSummary
{
    public const string FileName = "summary.json";

    public static void Write(RunDirectory run, string status, int steps, TrainStepMetrics? last, string? failure = null, bool ended = false)
    {
        var summary = new JsonObject
        {
            ["status"] = status,
            ["step"] = last?.Step,
            ["steps"] = steps,
            ["wall_seconds"] = Number(last?.Seconds),
            ["final"] = last is null ? null : new JsonObject
            {
                ["loss"] = Number(last.Loss), ["accuracy"] = Number(last.Accuracy), ["test_loss"] = Number(last.TestLoss),
                ["test_accuracy"] = Number(last.TestAccuracy), ["grad_norm"] = Number(last.GradNorm),
            },
            ["failure"] = failure,
            ["peak_resident_bytes"] = PeakMemory.Bytes(),
            ["threads"] = TorchSharp.torch.get_num_threads(),
            ["resumes"] = Resumes(run),
            ["eos"] = ended ? Eos(run) : null,
            ["updated_utc"] = DateTime.UtcNow.ToString("O"),
        };
        RunDirectory.WriteAtomically(run.File(FileName), stream =>
        {
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            summary.WriteTo(writer);
        });
    }

    /// <summary>The last row of train.csv as metrics (for a summary written after the loop, by a resume that only finishes writes).</summary>
    public static TrainStepMetrics? LastMetrics(RunDirectory run)
    {
        var train = RunTraces.Read(run.Path).Train;
        if (train.RowCount == 0) return null;
        double At(string column) => train[column][^1];
        double? Maybe(string column) => double.IsFinite(At(column)) ? At(column) : null;
        return new TrainStepMetrics((int)At("step"), At("loss"), At("accuracy"), Maybe("test_loss"), Maybe("test_accuracy"), At("grad_norm"),
            At("param_norm"), At("seconds"));
    }

    private static JsonNode? Number(double? x) => x is { } v && double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static JsonNode? Resumes(RunDirectory run)
    {
        try { return ConfigFile.Resumes(run.Path); }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    /// <summary>The report's EOS numbers, or null where the run has no probes to compute them from.</summary>
    private static JsonNode? Eos(RunDirectory run)
    {
        EosSummary s;
        try { s = EosSummary.Of(RunTraces.Read(run.Path)); }
        catch (ProbesError) { return null; }
        if (s.ProbedSteps == 0) return null;
        return new JsonObject
        {
            ["probed_steps"] = s.ProbedSteps,
            ["optimizer"] = s.Optimizer,
            ["loss"] = s.Loss,
            ["reached_edge"] = s.ReachedEdge,
            ["max_sharpness"] = Number(s.MaxSharpness),
            ["max_sharpness_step"] = s.MaxSharpnessStep,
            ["note"] = s.NeverReachedEdge,
            ["onset_step"] = s.OnsetStep,
            ["mean_sharpness_after_onset"] = Number(s.MeanSharpnessAfterOnset),
            ["std_sharpness_after_onset"] = Number(s.StdSharpnessAfterOnset),
            ["fraction_within_5_percent"] = Number(s.FractionWithin5Percent),
            ["edge_onset_step"] = s.Edge?.OnsetStep,
            ["mean_edge_after_onset"] = Number(s.Edge?.Mean),
            ["std_edge_after_onset"] = Number(s.Edge?.Std),
            ["edge_fraction_within_5_percent"] = Number(s.Edge?.FractionWithin5Percent),
            ["max_edge"] = Number(s.Edge?.Max),
            ["mean_edge_mid_after_onset"] = Number(s.Midpoint?.Mean),
            ["std_edge_mid_after_onset"] = Number(s.Midpoint?.Std),
            ["edge_mid_fraction_within_5_percent"] = Number(s.Midpoint?.FractionWithin5Percent),
            ["selfstab_probes"] = s.SelfStabilization?.Probes,
            ["selfstab_mean_x2"] = Number(s.SelfStabilization?.MeanX2),
            ["selfstab_mean_delta2"] = Number(s.SelfStabilization?.MeanDelta2),
            ["selfstab_median_x2_over_delta2"] = Number(s.SelfStabilization?.MedianRatio),
            ["crossings_lambda1"] = s.CrossingsLambda1,
            ["crossings_lambda2"] = s.CrossingsLambda2,
            ["two_step_slope"] = Number(s.TwoStep?.Slope),
            ["two_step_r_squared"] = Number(s.TwoStep?.RSquared),
        };
    }
}
