using System.Globalization;
using Training.Flows;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// `quad simulate --central-flow` on a small random quadratic model: GD in parameter space is the closed-form trajectory of
/// trajectory.csv, the central flow holds η·λ₁ at 2 (to the Euler substeps' O(dt²)) with X &gt; 0, and the table is the
/// network's schema.
/// </summary>
public class CentralFlowStudyTests
{
    private static double Parse(string s) => s == "" ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void OnARandomQuadraticModelTheCentralFlowHoldsTheEdgeBesideTheClosedFormGd()
    {
        using var dir = new TempDirectory();
        var run = dir.Combine("quad");
        var (code, _, error) = CommandLineTests.Probes("quad", "simulate", "--model", "random", "--D", "8", "--P", "16", "--sigma-z", "0.3",
            "--sigma-j", "0.5", "--seed", "0", "--lr", "1", "--steps", "60", "--central-flow", "--out", run);
        Assert.True(code == 0, error);
        Assert.Equal(FlowColumns.Names(3), File.ReadLines(Path.Combine(run, "central-flow.csv")).First().Split(','));
        var flow = OptimizerEdgeTests.CsvRows(Path.Combine(run, "central-flow.csv"));
        var trajectory = OptimizerEdgeTests.CsvRows(Path.Combine(run, "trajectory.csv"));
        Assert.Equal(trajectory.Count, flow.Count);
        for (int t = 0; t < flow.Count; t++)
        {
            Assert.Equal(Parse(trajectory[t]["loss"]), Parse(flow[t]["gd_loss"]), 1e-9 * Math.Max(1e-12, Parse(trajectory[t]["loss"])));
            // trajectory.csv's η·λ_max is of JJᵀ; GD's η·λ₁(H) differs from it by the Σ_α z_α Q_α part, small once z is.
        }
        Assert.Contains(flow, r => Parse(r["x_1"]) > 0);
        foreach (var r in flow.Where(r => Parse(r["cf_critical"]) > 0).Skip(1))
            Assert.True(Parse(r["cf_eta_hess_1"]) <= 2.001, $"step {r["step"]}: the central flow's η·λ₁ {r["cf_eta_hess_1"]}");
        Assert.True(File.Exists(Path.Combine(run, FlowSummary.FileName)));
        Assert.True(File.Exists(Path.Combine(run, "flow-loss.png")));
        // The central flow is GD's: another optimizer is refused in one line.
        (code, _, error) = CommandLineTests.Probes("quad", "simulate", "--model", "random", "--D", "8", "--P", "16", "--optimizer", "adam",
            "--central-flow", "--out", dir.Combine("bad"));
        Assert.Equal(2, code);
        Assert.Contains("--central-flow is GD's central flow", error);
        Assert.False(Directory.Exists(dir.Combine("bad")));
    }
}
