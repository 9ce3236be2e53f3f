using System.CommandLine;
using Training.Config;
using Training.Flows;
using Training.Reports;
using Training.Runs;

namespace Training.Cli;

/// <summary><c>probes flow RUN_DIR --from S --to T</c>: GD, its central flow and the stable flow side by side (<see cref="FlowRun"/>).</summary>
internal static class FlowCommand
{
    public static Command Create()
    {
        var defaults = new FlowOptions();
        var run = new Argument<string>("RUN_DIR") { Description = "A GD run (any loss): its GD is replayed from θ₀ to --from." };
        var from = new Option<int>("--from")
        {
            Description = "The step the three processes start from (e.g. the onset of EOS; GD is replayed, so it may lie past the run's end).",
            Required = true,
        };
        var to = new Option<int>("--to") { Description = "The last step (may lie past the run's end: GD is replayed).", Required = true };
        var k = QuadCommand.Opt("--k", $"Hessian eigenvalues tracked per process; the central flow constrains those above "
            + "--critical among them.", defaults.K);
        var substeps = QuadCommand.Opt("--substeps", $"Euler substeps per GD step for both flows (dt = 1/substeps).",
            defaults.Substeps);
        var refreshEvery = QuadCommand.Opt("--refresh-every", "Substeps between refreshes of the central flow's eigenpairs and third-order "
            + "products (divides --substeps); in between, the Hessian on their span moves to first order. 1: both every substep.",
            defaults.RefreshEvery);
        var solveEvery = QuadCommand.Opt("--solve-every", "Substeps between the central flow's eigen-solves (a multiple of --refresh-every; "
            + "≤ --substeps or a multiple of it); the refreshes between are the Rayleigh–Ritz pairs of the last solve's span (k products).",
            defaults.SolveEvery);
        var holdTolerance = QuadCommand.Opt("--hold-tolerance", "Largest relative error of the eigenvalues a held span carried over its "
            + "interval for the next to be held too; above it the next refreshes at every substep.", defaults.HoldTolerance);
        var critical = QuadCommand.Opt("--critical", $"η·λ above which an eigenvalue enters the constraint.",
            defaults.Critical);
        var tol = QuadCommand.Opt("--tol", "Relative residual of the Hessian eigenpairs.", defaults.Tolerance);
        var maxIter = QuadCommand.Opt("--max-iter", "Cap on one eigen-solve's matvecs.", defaults.MaxIterations);
        var every = QuadCommand.Opt("--checkpoint-every", $"Flow steps between checkpoints.",
            defaults.CheckpointEvery);
        var eigsEvery = QuadCommand.Opt("--eigs-every", $"GD's and the stable flow's eigenvalues every this many steps (the central flow's "
            + "own: --solve-every).", defaults.EigsEvery);
        var window = QuadCommand.Opt("--average-window", $"Odd number of GD steps in the centred window GD's loss is averaged over, "
            + $"against the central flow's prediction (the summary and figure only).",
            FlowSummary.DefaultWindow);
        var output = new Option<string?>("--out") { Description = "Output directory (default RUN_DIR/flow-FROM); the same command resumes it." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("flow", "Run GD, its central flow (Cohen et al. 2025) and the stable flow side by side from a step of a GD run: "
            + "central-flow.csv, central-flow-summary.json and figures.")
        {
            run, from, to, k, substeps, refreshEvery, solveEvery, holdTolerance, critical, tol, maxIter, eigsEvery, every, window, output, json,
        };
        command.SetAction(r =>
        {
            string runPath = RunDirectory.ForReading(r.GetValue(run)!).Path;
            int start = r.GetValue(from);
            var options = new FlowOptions
            {
                K = r.GetValue(k), Substeps = r.GetValue(substeps), RefreshEvery = r.GetValue(refreshEvery), SolveEvery = r.GetValue(solveEvery),
                HoldTolerance = r.GetValue(holdTolerance), Critical = r.GetValue(critical),
                Tolerance = r.GetValue(tol),
                MaxIterations = r.GetValue(maxIter), EigsEvery = r.GetValue(eigsEvery),
                CheckpointEvery = r.GetValue(every),
            };
            string outPath = r.GetValue(output) ?? FlowRun.DefaultOut(runPath, start);
            int averaged = r.GetValue(window);
            if (averaged < 3 || averaged % 2 == 0) throw new ProbesError($"--average-window must be odd and ≥ 3, got {averaged}.");
            var checkpoint = FlowRun.Run(runPath, start, r.GetValue(to), options, outPath, message => Console.Error.Write($"\r{message}   "));
            Console.Error.WriteLine();
            var table = TraceTable.Read(Path.Combine(outPath, FlowRun.CsvName));
            var summary = FlowSummary.Of(table, checkpoint, averaged);
            RunDirectory.WriteAtomically(Path.Combine(outPath, FlowSummary.FileName),
                s => System.Text.Json.JsonSerializer.Serialize(s, summary, ReportJson.Options));
            FlowFigures.Draw(table, options.K, Path.Combine(outPath, "figures"), averaged);
            string Percent(double? v) => v is { } x ? $"{100 * x:F2}%" : "—";
            ReportCommands.Print(r.GetValue(json), $"flow {summary.From}→{summary.To}: central flow's predicted loss off GD's "
                + $"{averaged}-step average by {Percent(summary.MeanPredictedLossError)} on average ({summary.EdgeRows} steps at the "
                + "edge), max η·λ₁ "
                + $"{summary.MaxCfEtaHess1:F4}; ‖θ_GD − θ_CF‖ {summary.FinalDistanceCf:G3} vs ‖θ_GD − θ_GF‖ {summary.FinalDistanceGf:G3}; "
                + $"{summary.SecondsPerStep:F2} s a flow step = {summary.TrainingStepsPerFlowStep:F0} training steps → {outPath}"
                + (summary.RowsAtK > 0 ? $"; warning: on {summary.RowsAtK} steps all --k {options.K} tracked eigenvalues were critical, so "
                    + "one beyond them went unconstrained (rerun with a larger --k)" : ""),
                summary);
            return 0;
        });
        return command;
    }
}
