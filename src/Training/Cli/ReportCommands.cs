using System.CommandLine;
using System.Text.Json;
using Training.Reports;
using Training.Runs;

namespace Training.Cli;

/// <summary><c>probes plot</c>, <c>probes report</c> and <c>probes compare</c>: figures and reports from run directories.</summary>
internal static class ReportCommands
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print a JSON object instead of the one-line summary." };

    public static Command Plot()
    {
        var run = new Argument<string>("RUN_DIR") { Description = "A run directory." };
        var command = new Command("plot", "Draw the run's figures (PNG and SVG) into RUN_DIR/figures.") { run, Json };
        command.SetAction(r =>
        {
            var traces = RunTraces.Read(r.GetValue(run)!);
            var figures = RunFigures.Draw([traces], Path.Combine(traces.Path, "figures"));
            WriteToTensorBoard(traces, figures);
            Print(r.GetValue(Json), $"{figures.Count} figures in {Path.Combine(traces.Path, "figures")}",
                new { figures = figures.Select(f => f.PngPath).ToArray() });
            return 0;
        });
        return command;
    }

    /// <summary>The figures as TensorBoard images at the run's last step, beside its scalars.</summary>
    private static void WriteToTensorBoard(RunTraces traces, IReadOnlyList<SavedFigure> figures) =>
        TensorBoardTrace.WriteFigures(traces.Path, (int)traces.Train["step"][^1], figures.Select(f => (f.Name, f.PngPath)));

    public static Command Report()
    {
        var run = new Argument<string>("RUN_DIR") { Description = "A run directory." };
        var command = new Command("report", "Write RUN_DIR/report.html (self-contained) and report.md with the EOS numbers and figures.") { run,
            Json };
        command.SetAction(r =>
        {
            var traces = RunTraces.Read(r.GetValue(run)!);
            var summary = EosSummary.Of(traces);
            var figures = RunFigures.Draw([traces], Path.Combine(traces.Path, "figures"));
            WriteToTensorBoard(traces, figures);
            var (md, html) = ReportWriter.Write(traces, summary, figures, traces.Path);
            Print(r.GetValue(Json),
                summary.NeverReachedEdge is { } never ? $"report: {html} (this run {never})"
                : summary.ProbedSteps == 0 ? $"report: {html} (no probes)"
                : !summary.GradientDescent && summary.Edge is { } edge
                    ? $"report: {html} ({summary.Optimizer} on {summary.Loss}: edge onset {edge.OnsetStep}, "
                        + $"edge after onset {edge.Mean:F4} ± {edge.Std:F4})"
                : $"report: {html} (onset {summary.OnsetStep}, η·λ₁ after onset {summary.MeanSharpnessAfterOnset:F4}"
                    + (summary.TwoStep is { } t ? $", two-step R² {t.RSquared:F3})" : ", two-step fit: too few pairs)"),
                new { html, markdown = md, summary });
            return 0;
        });
        return command;
    }

    public static Command Compare()
    {
        var runs = new Argument<string[]>("RUN") { Description = "Two or more run directories.", Arity = new ArgumentArity(2, 100) };
        var output = new Option<string?>("--out")
        {
            Description = "Folder for the overlaid figures (default comparisons/<UTC time>-N-runs; never overwritten)."
        };
        var command = new Command("compare", "Overlay runs in the same figures, each labelled by the settings that differ between them.")
            { runs, output, Json };
        command.SetAction(r =>
        {
            var traces = r.GetValue(runs)!.Select(RunTraces.Read).ToList();
            var labelled = traces.Zip(CompareLabels.Of(traces), (t, label) => t.Named(label)).ToList();
            // Not inside the first run: a comparison belongs to no one run, and a run directory holds only what its run wrote.
            var folder = r.GetValue(output) ?? Path.Combine("comparisons", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{traces.Count}-runs");
            folder = CompareLabels.FreshFolder(folder);
            var figures = RunFigures.Draw(labelled, folder);
            Print(r.GetValue(Json),
                $"{figures.Count} overlaid figures of {traces.Count} runs ({string.Join("; ", labelled.Select(t => t.Name))}) in {folder}",
                new { folder, labels = labelled.Select(t => t.Name).ToArray(), figures = figures.Select(f => f.PngPath).ToArray() });
            return 0;
        });
        return command;
    }

    internal static void Print(bool json, string line, object value) =>
        Console.WriteLine(json ? JsonSerializer.Serialize(value, ReportJson.Options) : line);
}
