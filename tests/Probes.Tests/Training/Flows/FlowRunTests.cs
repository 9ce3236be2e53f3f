using System.Globalization;
using Training.Flows;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// `probes flow` end to end on a tiny GD run that reaches its edge: GD replayed bit for bit against the run's own traces, the
/// central flow held at η·λ ≤ 2 while X &gt; 0, and a flow killed (SIGKILL), stopped (SIGTERM) or extended resuming to the
/// uninterrupted flow.csv byte for byte; bad input one line, exit 2, nothing written.
/// </summary>
public class FlowRunTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static double Parse(string s) => s == "" ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);

    private static int Flow(IEnumerable<string> args, string? crashAt = null, string? signalAt = null) =>
        ResumeTests.RunToEnd(["flow", .. args], crashAt, signalAt);

    [Fact]
    public void TheFlowReplaysGdHoldsTheEdgeAndResumesToTheSameBytes()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "60", "--lr", "0.0102", "--dtype", "float64", "--probe-every", "1", "--probes", "ntk,hessian,selfstab", "--threads", "1", "--out", run);
        Assert.True(exit == 0, err);
        var probes = OptimizerEdgeTests.CsvRows(Path.Combine(run, "probes.csv"));
        var sharpness = probes.ToDictionary(r => (int)Parse(r["step"]), r => Parse(r["eta_hess_1"]));
        output.WriteLine(string.Join(" ", sharpness.Select(p => $"{p.Key}:{p.Value:F3}")));
        int from = sharpness.First(p => p.Value > 1.8).Key, to = from + 12;
        Assert.True(sharpness.Where(p => p.Key >= from && p.Key <= to).Any(p => p.Value > 2), "the tiny run passes the edge in the window");
        string[] Args(string name, int last) =>
            [run, "--from", $"{from}", "--to", $"{last}", "--checkpoint-every", "4", "--out", dir.Combine(name)];
        Assert.Equal(0, Flow(Args("baseline", to)));
        var rows = OptimizerEdgeTests.CsvRows(Path.Combine(dir.Combine("baseline"), "central-flow.csv"));
        Assert.Equal(FlowColumns.Names(3), File.ReadLines(Path.Combine(dir.Combine("baseline"), "central-flow.csv")).First().Split(','));
        Assert.Equal(to - from + 1, rows.Count);
        var train = OptimizerEdgeTests.CsvRows(Path.Combine(run, "train.csv")).ToDictionary(r => (int)Parse(r["step"]), r => Parse(r["loss"]));
        foreach (var r in rows)
        {
            int step = (int)Parse(r["step"]);
            Assert.Equal(train[step], Parse(r["gd_loss"]), 1e-12);                        // GD replayed: the run's own trajectory
            Assert.Equal(sharpness[step], Parse(r["gd_eta_hess_1"]), 1e-6);
            // Self-stabilization at GD's θ, as the run's own probes measured it (the eigenvector to the solvers' tolerance).
            var probe = probes.Single(p => (int)Parse(p["step"]) == step);
            Assert.Equal(Math.Pow(Parse(probe["x_u"]), 2), Parse(r["gd_x_u2"]), 1e-4 * Math.Pow(Parse(probe["x_u"]), 2) + 1e-15);
            if (probe["delta2"] == "") Assert.Equal("", r["gd_delta2"]);
            else Assert.Equal(Parse(probe["delta2"]), Parse(r["gd_delta2"]), 1e-4 * Parse(probe["delta2"]));
        }
        Assert.Contains(rows, r => r["gd_delta2"] != "");
        Assert.Equal(0, Parse(rows[0]["dist_cf"]));
        Assert.Contains(rows, r => Parse(r["x_1"]) > 0);
        foreach (var r in rows.Skip(1).Where(r => Parse(r["cf_critical"]) > 0))
            Assert.True(Parse(r["cf_eta_hess_1"]) <= 2 * (1 + 1e-5), $"step {r["step"]}: the central flow's η·λ₁ {r["cf_eta_hess_1"]}");
        foreach (var r in rows.Where(r => Parse(r["x_1"]) > 0))
            Assert.Equal(Parse(r["cf_loss"]) + (Parse(r["x_1"]) + (Parse(r["x_2"]) is var x2 && double.IsFinite(x2) ? x2 : 0)
                + (Parse(r["x_3"]) is var x3 && double.IsFinite(x3) ? x3 : 0)) / 0.0102, Parse(r["cf_predicted_loss"]), 12);
        Assert.True(File.Exists(Path.Combine(dir.Combine("baseline"), FlowSummary.FileName)));
        Assert.True(File.Exists(Path.Combine(dir.Combine("baseline"), "figures", "flow-loss.png")));
        var expected = File.ReadAllBytes(Path.Combine(dir.Combine("baseline"), "central-flow.csv"));
        // `probes report` reads a flow kept in the run directory (its default --out, RUN/flow-S).
        Directory.CreateDirectory(Path.Combine(run, $"flow-{from}"));
        File.Copy(Path.Combine(dir.Combine("baseline"), FlowSummary.FileName), Path.Combine(run, $"flow-{from}", FlowSummary.FileName));
        var (reported, _, reportError) = CommandLineTests.Probes("report", run);
        Assert.True(reported == 0, reportError);
        var report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains($"central flow from step {from} to {to}", report);
        Assert.Contains("self-stabilization at GD's θ over the central flow's steps at the edge", report);
        // Steps with every tracked eigenvalue critical (c = k), where one beyond them can pass 2/η unseen: counted in the summary,
        // and a warning in the summary line and the report where there are any.
        var summaryJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Combine("baseline"), FlowSummary.FileName)))!;
        Assert.Equal(rows.Count(r => Parse(r["cf_critical"]) == 3), (int)summaryJson["rows_at_k"]!);
        var (atK, atKOutput, atKError) = CommandLineTests.Probes(["flow", .. Args("k1", from + 4), "--k", "1"]);
        Assert.True(atK == 0, atKError);
        Assert.Contains("all --k 1 tracked eigenvalues were critical", atKOutput);
        Assert.DoesNotContain("tracked eigenvalues were critical", report);


        // SIGKILL after a row between checkpoints, then the same command.
        Assert.NotEqual(0, Flow(Args("killed", to), crashAt: $"flow:{from + 6}"));
        Assert.Equal(0, Flow(Args("killed", to)));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dir.Combine("killed"), "central-flow.csv")));
        // SIGTERM (Ctrl-C): a checkpoint at that step, exit 130, then the same command.
        Assert.Equal(130, Flow(Args("stopped", to), signalAt: $"flow:{from + 2}"));
        Assert.Equal(0, Flow(Args("stopped", to)));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dir.Combine("stopped"), "central-flow.csv")));
        // A shorter flow extended with a later --to.
        Assert.Equal(0, Flow(Args("extended", from + 5)));
        Assert.Equal(0, Flow(Args("extended", to)));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dir.Combine("extended"), "central-flow.csv")));

        // A flow directory that cannot be resumed: other settings, a damaged flow.json, a damaged state file. One line, exit 2,
        // and the table there untouched.
        var damaged = dir.Combine("damaged");
        Directory.CreateDirectory(damaged);
        foreach (var f in Directory.GetFiles(dir.Combine("baseline"))) File.Copy(f, Path.Combine(damaged, Path.GetFileName(f)));
        void Refused(string[] extra, string expected)
        {
            var (code, _, error) = CommandLineTests.Probes(["flow", .. Args("damaged", to + 3), .. extra]);
            Assert.True(code == 2, error);
            Assert.Contains(expected, error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Combine("baseline"), "central-flow.csv")),
                File.ReadAllBytes(Path.Combine(damaged, "central-flow.csv")));
        }
        Refused(["--k", "2"], "with other settings");
        File.WriteAllText(Path.Combine(damaged, "central-flow.json"), "{ \"from\": ");
        Refused([], "is damaged");
        File.Copy(Path.Combine(dir.Combine("baseline"), "central-flow.json"), Path.Combine(damaged, "central-flow.json"), overwrite: true);
        File.WriteAllBytes(Path.Combine(damaged, "central-flow-state.bin"), [1, 2, 3]);
        Refused([], "does not match");

        // A flow written before --solve-every and --refresh-every existed (no such keys in its checkpoint) solved and took ∇³L at
        // every substep: the defaults refuse to go on with it, and `--refresh-every 1 --solve-every 1` extends it.
        var older = dir.Combine("older");
        Directory.CreateDirectory(older);
        foreach (var f in Directory.GetFiles(dir.Combine("baseline"))) File.Copy(f, Path.Combine(older, Path.GetFileName(f)));
        File.WriteAllLines(Path.Combine(older, "central-flow.json"), File.ReadLines(Path.Combine(dir.Combine("baseline"), "central-flow.json"))
            .Where(l => !l.Contains("\"solve_every\"") && !l.Contains("\"refresh_every\"")));
        var (olderCode, _, olderError) = CommandLineTests.Probes(["flow", .. Args("older", to + 2)]);
        Assert.True(olderCode == 2 && olderError.Contains("with other settings"), olderError);
        Assert.Equal(0, Flow([.. Args("older", to + 2), "--refresh-every", "1", "--solve-every", "1"]));
        Assert.Equal(to + 2 - from + 1, OptimizerEdgeTests.CsvRows(Path.Combine(older, "central-flow.csv")).Count);

        // The span held over two steps, solves four steps apart, Rayleigh–Ritz pairs of the last solve's span between (this tiny
        // network's Hessian turns too fast for the default --hold-tolerance, which refreshes at every substep here): killed
        // between checkpoints, or stopped after a step inside a held interval, it resumes to the same bytes, the span, its third-
        // order products, the eigenvalues' pace and what the held span carried kept in the checkpoint.
        string[] apart = ["--refresh-every", "8", "--solve-every", "16", "--hold-tolerance", "1"];
        Assert.Equal(0, Flow([.. Args("apart", to), .. apart]));
        Assert.NotEqual(0, Flow([.. Args("apart-killed", to), .. apart], crashAt: $"flow:{from + 6}"));
        Assert.Equal(0, Flow([.. Args("apart-killed", to), .. apart]));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Combine("apart"), "central-flow.csv")),
            File.ReadAllBytes(Path.Combine(dir.Combine("apart-killed"), "central-flow.csv")));
        Assert.Equal(130, Flow([.. Args("apart-stopped", to), .. apart], signalAt: $"flow:{from + (from % 2 == 0 ? 2 : 1)}"));
        Assert.Equal(0, Flow([.. Args("apart-stopped", to), .. apart]));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Combine("apart"), "central-flow.csv")),
            File.ReadAllBytes(Path.Combine(dir.Combine("apart-stopped"), "central-flow.csv")));
        Assert.NotEqual(expected, File.ReadAllBytes(Path.Combine(dir.Combine("apart"), "central-flow.csv")));     // held: another flow

        // GD's and the stable flow's eigenvalues every 3rd step only; the central flow, which needs its own, unchanged.
        Assert.Equal(0, Flow([.. Args("sparse", to), "--eigs-every", "3"]));
        var sparse = OptimizerEdgeTests.CsvRows(Path.Combine(dir.Combine("sparse"), "central-flow.csv"));
        for (int i = 0; i < rows.Count; i++)
        {
            foreach (var column in new[] { "gd_eta_hess_1", "gf_eta_hess_2" })
                if (i % 3 != 0) Assert.Equal("", sparse[i][column]);
                else Assert.Equal(Parse(rows[i][column]), Parse(sparse[i][column]), 1e-9);     // warm from 3 steps back: the last digits
            Assert.Equal(rows[i]["cf_predicted_loss"], sparse[i]["cf_predicted_loss"]);
        }

        // The central flow's eigenpairs and third-order products at every substep instead of once a step: the same flow to the
        // held span's second-order error (FlowRowTests: its convergence).
        Assert.Equal(0, Flow([.. Args("every-substep", to), "--refresh-every", "1", "--solve-every", "1"]));
        var everySubstep = OptimizerEdgeTests.CsvRows(Path.Combine(dir.Combine("every-substep"), "central-flow.csv"));
        var (worst, at) = (0.0, "");
        for (int i = 0; i < rows.Count; i++)
            foreach (var column in new[] { "cf_predicted_loss", "cf_eta_hess_1", "dist_cf" })
            {
                double a = Parse(everySubstep[i][column]), b = Parse(rows[i][column]), error = Math.Abs(a - b) / (Math.Abs(a) + 1e-12);
                if (error > worst) (worst, at) = (error, $"step {rows[i]["step"]} {column}: {b} once a step, {a} every substep");
            }
        output.WriteLine($"largest relative difference from the every-substep flow: {worst:G3} ({at})");
        Assert.True(worst <= 1e-2, at);

        // Bad input: one line, exit 2, nothing written.
        foreach (var bad in new[] { new[] { "--from", "-1", "--to", "70" }, ["--from", $"{from}", "--to", $"{from}"],
                     ["--from", $"{from}", "--to", $"{to}", "--critical", "2.5"], ["--from", $"{from}", "--to", $"{to}", "--k", "0"],
                     ["--from", $"{from}", "--to", $"{to}", "--eigs-every", "0"], ["--from", $"{from}", "--to", $"{to}", "--average-window", "4"],
                     ["--from", $"{from}", "--to", $"{to}", "--solve-every", "5"], ["--from", $"{from}", "--to", $"{to}", "--refresh-every", "3"],
                     ["--from", $"{from}", "--to", $"{to}", "--refresh-every", "6"],
                     ["--from", $"{from}", "--to", $"{to}", "--refresh-every", "2", "--solve-every", "3"],
                     ["--from", $"{from}", "--to", $"{to}", "--hold-tolerance", "-1"] })
        {
            var (code, _, error) = CommandLineTests.Probes(["flow", run, .. bad, "--out", dir.Combine("bad")]);
            Assert.Equal(2, code);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(dir.Combine("bad")), string.Join(" ", bad));
        }
    }

    [Fact]
    public void ANonGdRunIsRefusedInOneLine()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "5", "--optimizer", "momentum", "--probe-every", "0", "--threads", "1", "--out", run);
        Assert.True(exit == 0, err);
        var (code, _, error) = CommandLineTests.Probes("flow", run, "--from", "1", "--to", "3", "--out", dir.Combine("flow"));
        Assert.Equal(2, code);
        Assert.Contains("the central flow here is GD's; this run used momentum", error);
        Assert.False(Directory.Exists(dir.Combine("flow")));
    }
}
