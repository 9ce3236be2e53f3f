using System.CommandLine;
using Training.Config;
using Training.Fit;
using Training.Reports;
using Training.Runs;

namespace Training.Cli;

/// <summary><c>probes fit RUN_DIR</c>: two-step fits, the D = 1, P = 2 model fit and the Taylor-model comparison.</summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN_DIR") { Description = "A run directory with probes." };
        var window = new Option<string?>("--window") { Description = "A:B: the steps to fit (default: from the first η·λ₁ ≥ 2 to the end)." };
        var taylorAt = new Option<int?>("--taylor-at") { Description = "Also run the network's second-order Taylor model from this step." };
        var taylorSteps = new Option<int>("--taylor-steps")
        {
            Description = "Steps of the Taylor comparison.",
            DefaultValueFactory = _ => 50
        };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("fit", "Fit the two-step laws and quadratic models to a run; results in RUN_DIR/fit.json.") { run, window, taylorAt,
            taylorSteps, json };
        command.SetAction(r =>
        {
            var traces = RunTraces.Read(r.GetValue(run)!);
            (int From, int To)? range = r.GetValue(window) is { } w ? SettingsValidator.ParseWindow(w, int.MaxValue - 2) : null;
            TaylorSummary? taylor = null;
            if (r.GetValue(taylorAt) is { } at)
            {
                var result = TaylorComparison.Run(traces.Path, at, r.GetValue(taylorSteps), message => Console.Error.Write($"\r{message}   "));
                Console.Error.WriteLine();
                using (var csv = new CsvTrace(Path.Combine(traces.Path, "taylor.csv.tmp"),
                    ["step", "net_loss", "taylor_loss", "net_eta_ntk_1", "taylor_eta_ntk_1", "net_z1", "taylor_z1"]))
                    foreach (var row in result.Rows)
                        csv.Write(new Dictionary<string, double>
                        {
                            ["step"] = row.Step, ["net_loss"] = row.NetLoss, ["taylor_loss"] = row.TaylorLoss,
                            ["net_eta_ntk_1"] = row.NetSharpness, ["taylor_eta_ntk_1"] = row.TaylorSharpness,
                            ["net_z1"] = row.NetZ1, ["taylor_z1"] = row.TaylorZ1,
                        });
                File.Move(Path.Combine(traces.Path, "taylor.csv.tmp"), Path.Combine(traces.Path, "taylor.csv"), overwrite: true);
                taylor = new TaylorSummary(result.From, result.Steps, result.PartStep, result.PartRule);
            }
            var fit = FitResult.Of(traces, range?.From, range?.To, taylor);
            RunDirectory.WriteAtomically(Path.Combine(traces.Path, FitResult.FileName),
                s => System.Text.Json.JsonSerializer.Serialize(s, fit, ReportJson.Options));
            var figures = RunFigures.Draw([RunTraces.Read(traces.Path)], Path.Combine(traces.Path, "figures"));
            string fitted = fit.TwoStepZ1 is null && fit.D1P2 is null ? "no EOS fit"
                : (fit.TwoStepZ1 is { } z ? $"two-step slope {z.Slope:F4} R² {z.RSquared:F4}" : "two-step fit: too few pairs")
                    + (fit.D1P2 is { } d ? $"; D1P2 ε {d.Epsilon:G4} → limit {d.PredictedLimit:F4} vs observed {fit.ObservedMeanSharpness:F4}"
                        : "; D1P2 fit: too few pairs");
            ReportCommands.Print(r.GetValue(json), fitted
                + (taylor is null ? "" : taylor.PartStep is { } part ? $"; the Taylor model parts from the network at step {part}"
                    : $"; the Taylor model stays with the network over its {taylor.Steps} steps")
                + $" → {Path.Combine(traces.Path, FitResult.FileName)}",
                fit);
            foreach (var warning in fit.Warnings) Console.Error.WriteLine($"warning: {warning}");
            return 0;
        });
        return command;
    }
}
