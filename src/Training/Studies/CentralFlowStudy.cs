using System.Diagnostics;
using QuadraticFit.Models;
using Training.Flows;
using Training.Reports;
using Training.Runs;

namespace Training.Studies;

/// <summary>
/// <c>probes quad simulate --central-flow</c>: GD, its central flow and the stable flow on a quadratic regression model from its
/// θ₀, with exact eigenpairs (<see cref="QuadraticFlowProcess"/>): central-flow.csv (the network's schema, <see cref="FlowColumns"/>),
/// its summary and figures, beside the model's trajectory.csv.
/// </summary>
internal static class CentralFlowStudy
{
    public static FlowSummary Run(QuadraticModel model, double eta, int steps, FlowOptions options, RunDirectory run)
    {
        using var theta = model.Theta.clone();
        using var gd = new QuadraticFlowProcess(model, theta, options.K);
        using var cf = new QuadraticFlowProcess(model, theta, options.K);
        using var gf = new QuadraticFlowProcess(model, theta, options.K);
        var clock = Stopwatch.StartNew();
        double gdSeconds = 0;
        int last = 0;
        double initial = double.NaN;
        using (var table = new CsvTrace(run.File(FlowRun.CsvName), FlowColumns.Names(options.K)))
        {
            for (int t = 0; t <= steps; t++)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var row = FlowRow.Measure(t, true, gd, cf, gf, eta, options);
                table.Write(row);
                last = t;
                double loss = row[FlowColumns.GdLoss];
                if (t == 0) initial = loss;
                // GD left every sane scale: stop, as `quad simulate` does for its trajectory.
                if (t == steps || !double.IsFinite(loss) || loss > TrajectoryStudy.DivergedLossFactor * Math.Max(initial, 1e-300)) break;
                var gdClock = Stopwatch.StartNew();
                using (var point = gd.Point()) gd.Displace(point, FlowRow.Gradient(point) * -eta);
                gdSeconds += gdClock.Elapsed.TotalSeconds;
            }
        }
        var flow = TraceTable.Read(run.File(FlowRun.CsvName));
        var summary = FlowSummary.Of(flow, 0, last, clock.Elapsed.TotalSeconds, gdSeconds, 0, FlowSummary.DefaultWindow);
        RunDirectory.WriteAtomically(run.File(FlowSummary.FileName), s => System.Text.Json.JsonSerializer.Serialize(s, summary, ReportJson.Options));
        FlowFigures.Draw(flow, options.K, run.Path, FlowSummary.DefaultWindow);
        return summary;
    }
}
